"""Which backend reviews for a (reviewer, repo): what its served version's gate chose (evaluation/gate.py),
in-process or through vLLM."""

from __future__ import annotations

from pathlib import Path

from ...adapters.base_model import BaseModel
from ...adapters.bundle import WHERE_DIR
from ...adapters.store import AdapterBundle, AdapterStore
from ...common.errors import UserFacingError
from ...common.partitions import ReviewerRepo
from ...evaluation.gate import LEARNED_MODES, SILENT, WHERE_LIST, placed_by_where, writer_of
from .base import ReviewerBackend
from .generative import Rerank
from .retrieval import RetrievalBackend
from .retrieval_index import RetrievalIndex
from .silent import SilentBackend
from .where_placed import DEFAULT_CAP, WhereListBackend, WherePlacedBackend

BACKENDS = ("auto", "retrieval", "local", "vllm")


class NoAdapterError(UserFacingError):
    def __init__(self, target: ReviewerRepo):
        super().__init__(f"I have not learned {target.reviewer}'s style in {target.repo} yet.")


def served_bundle(store: AdapterStore, target: ReviewerRepo) -> AdapterBundle:
    bundle = store.current(target)
    if bundle is None:
        raise NoAdapterError(target)
    return bundle


def make_backend(
    kind: str,
    target: ReviewerRepo,
    bundle: AdapterBundle,
    adapters_root: Path,
    vllm_url: str | None = None,
    server_adapters_root: str | None = None,
    base: BaseModel | None = None,
    vllm_context_tokens: int = 8192,
    cap: int = DEFAULT_CAP,
) -> ReviewerBackend:
    """The backend for `kind`; `auto` follows what the bundle's manifest says is served (its gate's
    choice: retrieval, the LoRA adapter, the adapter with past comments in its prompt, any of those on
    the hunks the where-model flags, the where-model's ranked list alone, or silence), through vLLM
    when a server is configured, else in-process. The other kinds force that writer, deciding where to
    speak itself."""
    if kind not in BACKENDS:
        raise ValueError(f"unknown backend {kind!r}; one of {', '.join(BACKENDS)}")
    serving = bundle.manifest.get("serving", "retrieval")
    if kind == "auto" and serving == SILENT:
        return SilentBackend()  # reads nothing: no index to load
    index = RetrievalIndex.load(bundle.retrieval_dir)
    if bundle.manifest.get("retrieval_threshold") is not None:  # placed on the validation split by the evaluation
        index.threshold = float(bundle.manifest["retrieval_threshold"])
    retrieval = RetrievalBackend(index)
    where = _where_model(bundle, index, serving) if kind == "auto" and placed_by_where(serving) else None
    writer = writer_of(serving)
    if kind == "auto":
        if serving == WHERE_LIST:
            return WhereListBackend(where, index, cap)
        learned = writer in LEARNED_MODES and bundle.has_lora
        kind = "retrieval" if not learned else ("vllm" if vllm_url else "local")
    backend = (
        retrieval
        if kind == "retrieval"
        else _generative(
            kind,
            target,
            bundle,
            adapters_root,
            retrieval,
            writer,
            vllm_url,
            server_adapters_root,
            base,
            vllm_context_tokens,
        )
    )
    return WherePlacedBackend(where, index, backend, cap) if where is not None else backend


def _where_model(bundle: AdapterBundle, index: RetrievalIndex, serving: str):
    from ...where.model import WhereModel

    model = WhereModel.load(bundle.path / WHERE_DIR, index.encoder.key.secret if index.encoder.key else None)
    if model is None:
        raise UserFacingError(
            f"Version {bundle.version} serves `{serving}` but holds no where-model: mention me with `--force-reload`."
        )
    return model


def _generative(
    kind, target, bundle, adapters_root, retrieval, writer, vllm_url, server_adapters_root, base, vllm_context_tokens
):
    if not bundle.has_lora:
        raise ValueError(f"backend {kind!r} needs a LoRA adapter and version {bundle.version} has none")
    mode = writer if writer in LEARNED_MODES else "lora"
    examples = int(bundle.manifest.get("rag_examples", 3)) if mode == "lora+rag" else 0
    threshold = (bundle.manifest.get("silence_thresholds") or {}).get(mode)
    style = (bundle.manifest.get("training") or {}).get("prompt_style", "full")
    if kind == "local":
        if base is None:
            raise ValueError("the local backend needs a base model (TECHLEAD_BASE_MODEL / TECHLEAD_BASE_MODEL_DIR)")
        trained_on = (bundle.manifest.get("base_model") or {}).get("hash")
        if trained_on and trained_on != base.fingerprint():
            raise ValueError(
                f"version {bundle.version} was trained on another base model than {base.model_id}: retrain it"
            )
        from .local import LocalBackend

        budget = (bundle.manifest.get("training") or {}).get("max_seq_len")
        backend = LocalBackend(
            target.reviewer,
            target.repo,
            base,
            bundle.path,
            retrieval,
            examples=examples,
            prompt_tokens=budget,
            prompt_style=style,
        )
    else:
        from .vllm import VllmBackend, VllmClient

        if not vllm_url:
            raise ValueError("the vllm backend needs TECHLEAD_VLLM_URL")
        backend = VllmBackend(
            target,
            bundle,
            VllmClient(vllm_url),
            adapters_root,
            server_adapters_root or str(adapters_root),
            retrieval,
            context_tokens=vllm_context_tokens,
        )
        backend.examples = examples
        backend.prompt_style = style
    backend.silence_threshold = threshold
    if mode == "lora+rerank":
        rerank = bundle.manifest.get("rerank") or {}
        min_score = rerank.get("min_score")
        backend.rerank = Rerank(
            int(rerank.get("candidates", 5)),
            float("inf") if min_score is None else min_score,
            float(rerank.get("prior") or 0.0),
        )
    return backend
