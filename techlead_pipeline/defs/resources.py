"""Dagster resources: thin configuration over the library classes.

Every field left unset falls back to the deployment's `TECHLEAD_*` environment (see settings.py),
so one `Definitions` serves local use, tests and production unchanged.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Optional

import dagster as dg

from ..adapters import base_models
from ..adapters.base_model import BaseModel
from ..adapters.store import AdapterStore
from ..adapters.trainer import LoraSettings
from ..common.run_workspace import RunWorkspace, sweep_workspaces
from ..common.settings import Settings
from ..github_api.client import GitHubAccess, GitHubCredentials
from ..github_api.token_vault import TokenVault


class PipelineSettings(dg.ConfigurableResource):
    """Where the pipeline keeps its files, and the knobs of collection and learning."""

    home: Optional[str] = None
    context_lines: Optional[int] = None
    max_prs: Optional[int] = None
    min_examples: Optional[int] = None
    holdout_fraction: Optional[float] = None
    github_api_url: Optional[str] = None
    github_web_url: Optional[str] = None
    seconds_between_writes: Optional[float] = None
    retry_backoff: Optional[float] = None
    secondary_rate_wait: Optional[float] = None

    def settings(self) -> Settings:
        base = Settings()
        changes = {k: v for k, v in self.model_dump().items() if v is not None}
        if "home" in changes:
            changes["home"] = Path(changes["home"]).resolve()
        return base.with_(**changes)

    def vault(self) -> TokenVault:
        return TokenVault.open(self.settings().secrets_dir)

    def app_client(self):
        """The GitHub App (github_api/app.py) when the vault holds App credentials, else None."""
        credentials = GitHubCredentials.from_vault(self.vault())
        if credentials.app_id is None:
            return None
        return GitHubAccess(self.settings(), credentials).app

    def github(self, repo: str, notify=None) -> GitHubAccess:
        """`notify`: where the access says it pauses for GitHub's rate limit (a run's `context.log.info`)."""
        settings = self.settings()
        return GitHubAccess(settings, GitHubCredentials.from_vault(self.vault()), repo, notify=notify)

    def workspace(self, context: dg.AssetExecutionContext) -> RunWorkspace:
        return RunWorkspace(
            self.settings().workspaces_dir, context.run.run_id, context.partition_key, self.vault().fernet
        )

    def adapter_store(self) -> AdapterStore:
        return AdapterStore(self.settings().adapters_dir)

    def sweep_workspaces(self, instance: dg.DagsterInstance, current_run_id: str) -> list[str]:
        """Removes the workspaces that runs killed before their cleanup left behind."""
        live = {
            dg.DagsterRunStatus.QUEUED,
            dg.DagsterRunStatus.NOT_STARTED,
            dg.DagsterRunStatus.STARTING,
            dg.DagsterRunStatus.STARTED,
            dg.DagsterRunStatus.CANCELING,
        }

        def run_state(run_id: str) -> bool | None:
            """Running (True), ended (False), or unknown to this instance (None)."""
            if run_id == current_run_id:
                return True
            run = instance.get_run_by_id(run_id)
            return None if run is None else run.status in live

        return sweep_workspaces(self.settings().workspaces_dir, run_state)


class AdapterTraining(dg.ConfigurableResource):
    """How adapters are trained. Unset fields come from `TECHLEAD_LORA_<FIELD>` or LoraSettings'
    production defaults (Llama 3 8B, bf16, activation checkpointing on one 80 GB GPU)."""

    trainer: Optional[str] = None  # "torchtune", or "none" for retrieval-only deployments
    retrieval_encoder_name: Optional[str] = None  # "hashed-tfidf" (default) or "minilm"
    base_model_name: Optional[str] = None  # TECHLEAD_BASE_MODEL: an entry of adapters/base_models.py
    base_model_dir: Optional[str] = None  # TECHLEAD_BASE_MODEL_DIR: a prepared local folder (Llama 3 8B)
    rank: Optional[int] = None
    alpha: Optional[float] = None
    lr: Optional[float] = None
    epochs: Optional[int] = None
    max_seq_len: Optional[int] = None
    batch_size: Optional[int] = None
    grad_accum: Optional[int] = None
    max_steps: Optional[int] = None
    dtype: Optional[str] = None
    activation_checkpointing: Optional[str] = None
    max_train_comments: Optional[int] = None
    max_train_tokens: Optional[int] = None

    @property
    def kind(self) -> str:
        return self.trainer or os.environ.get("TECHLEAD_TRAINER", "torchtune")

    @property
    def retrieval_encoder(self) -> str:
        return self.retrieval_encoder_name or os.environ.get("TECHLEAD_RETRIEVAL_ENCODER", "hashed-tfidf")

    def lora_settings(self, base: Optional[BaseModel] = None) -> LoraSettings:
        """LoraSettings' production defaults, then the base model's CPU profile when no GPU is here,
        then TECHLEAD_LORA_* and this resource's own fields."""
        values = dict(base.spec.cpu_lora) if base is not None and not _gpu() else {}
        for f in fields(LoraSettings):
            mine = getattr(self, f.name, None)
            env = os.environ.get(f"TECHLEAD_LORA_{f.name.upper()}")
            if mine is not None:
                values[f.name] = mine
            elif env is not None:
                values[f.name] = _parse_env(f.name, f.default, env)
        return LoraSettings(**values)

    def base_model(self, home: Path) -> BaseModel:
        return configured_base_model(home, self.base_model_name, self.base_model_dir)


def configured_base_model(home: Path, name: Optional[str] = None, folder: Optional[str] = None) -> BaseModel:
    """The deployment's base model (adapters/base_models.py), prepared under `home` the first time."""
    env = dict(os.environ)
    if name:
        env["TECHLEAD_BASE_MODEL"] = name
    if folder:
        env["TECHLEAD_BASE_MODEL_DIR"] = folder
    return base_models.resolve(base_models.chosen_name(env), home, env.get("TECHLEAD_BASE_MODEL_DIR"))


# What deploy/k8s/vllm.yaml starts the model server with (a test keeps these equal to its arguments).
VLLM_SERVED_MODEL = "meta-llama/Meta-Llama-3-8B-Instruct"
VLLM_MAX_LORA_RANK = 16


def served_model_name(base: Optional[BaseModel]) -> Optional[str]:
    """The model this deployment serves adapters on: vLLM's `--served-model-name` when reviews go
    through vLLM, else the base model reviews load in-process."""
    if os.environ.get("TECHLEAD_VLLM_URL"):
        return os.environ.get("TECHLEAD_VLLM_SERVED_MODEL", VLLM_SERVED_MODEL)
    return base.model_id if base is not None else None


def max_lora_rank() -> int:
    return int(os.environ.get("TECHLEAD_VLLM_MAX_LORA_RANK", str(VLLM_MAX_LORA_RANK)))


def _gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def _parse_env(name: str, default, raw: str):
    if name == "attn_modules":
        return tuple(x.strip() for x in raw.split(",") if x.strip())
    if raw.strip().lower() in ("", "none") and default is None:
        return None
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, int) or default is None:
        return int(raw)
    return raw


class ReviewerBackendResource(dg.ConfigurableResource):
    """Which backend writes the comments: `auto` (what the served bundle says: its LoRA through vLLM
    when TECHLEAD_VLLM_URL is set, else in-process; or retrieval), `retrieval`, `local`, `vllm`."""

    kind: Optional[str] = None  # TECHLEAD_BACKEND
    vllm_url: Optional[str] = None  # TECHLEAD_VLLM_URL, e.g. http://vllm.techlead.svc:8000
    server_adapters_root: Optional[str] = None  # where the vLLM pod mounts the adapter volume

    def backend(self, target, bundle, home: Path, override: Optional[str] = None):
        from ..evaluation.gate import LEARNED_MODES, writer_of
        from ..reviews.service import make_backend

        kind = (
            override
            if override and override != "default"
            else (self.kind or os.environ.get("TECHLEAD_BACKEND", "auto"))
        )
        vllm_url = self.vllm_url or os.environ.get("TECHLEAD_VLLM_URL")
        serves_learned = bundle.has_lora and writer_of(bundle.manifest.get("serving")) in LEARNED_MODES
        in_process = kind == "local" or (kind == "auto" and serves_learned and not vllm_url)
        return make_backend(
            kind,
            target,
            bundle,
            home / "adapters",
            vllm_url=vllm_url,
            server_adapters_root=self.server_adapters_root or os.environ.get("TECHLEAD_VLLM_ADAPTERS_ROOT"),
            base=configured_base_model(home) if in_process else None,
            vllm_context_tokens=int(os.environ.get("TECHLEAD_VLLM_MAX_MODEL_LEN", "8192")),
        )
