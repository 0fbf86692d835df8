"""`techlead` command line: the stand-in, the sample, credentials, and each pipeline stage."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from rich.console import Console

from ..common.signals import restore_interrupt_signals
from .options import apply_github_url, common_target
from .review import cmd_eval, cmd_review, print_summary

console = Console(stderr=True)


def _cmd_standin(args: argparse.Namespace) -> int:
    from ..github_standin import GitHubStandin
    from ..sample.builder import build_sample

    fixture = Path(args.fixture)
    if args.build_sample or not (fixture / "fixture.json").exists():
        console.print(f"building the sample fixture into {fixture} ...")
        build_sample(fixture)
    standin = GitHubStandin(fixture, host=args.host, port=args.port, validate_contract=not args.no_validate)
    standin.start()
    console.print(f"GitHub stand-in serving {fixture} at {standin.url} (REST API: {standin.api_url})")
    standin.serve_forever()
    return 0


def _cmd_build_sample(args: argparse.Namespace) -> int:
    from ..sample.builder import SampleSpec, build_sample

    out = build_sample(Path(args.out), SampleSpec(canary=args.canary))
    console.print(f"sample fixture written to {out}")
    return 0


def _cmd_credentials(args: argparse.Namespace) -> int:
    from ..common.settings import Settings
    from ..github_api.client import APP_ID_NAME, APP_KEY_NAME, TOKEN_NAME
    from ..github_api.token_vault import TokenVault

    vault = TokenVault.open(Settings().secrets_dir)
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            console.print(f"[red]environment variable {args.token_env} is empty[/red]")
            return 2
        vault.put(TOKEN_NAME, token)
    elif args.token_stdin:
        vault.put(TOKEN_NAME, sys.stdin.readline().strip())  # an empty one is refused by the vault
    elif args.app_id:
        key_file = Path(args.app_key_file or "")
        if not args.app_key_file or not key_file.is_file():
            console.print("[red]--app-id needs --app-key-file naming the App's private key (a PEM file)[/red]")
            return 2
        vault.put(APP_ID_NAME, str(args.app_id))
        vault.put(APP_KEY_NAME, key_file.read_text())
    elif args.webhook_secret_stdin:
        from ..webhooks.service import SECRET_NAME

        vault.put(SECRET_NAME, sys.stdin.readline().strip())
    elif args.rotate:
        console.print(f"re-encrypted {vault.rotate()} credentials under the newest key")
        return 0
    console.print(f"stored (encrypted) in {vault.path}")
    return 0


def _cmd_collect(args: argparse.Namespace) -> int:
    from ..common.partitions import reviewer_repo
    from ..defs.runner import run_partition

    apply_github_url(args)
    target = reviewer_repo(args.reviewer, args.repo)
    result = run_partition("collect_history", target)
    console.print_json(json.dumps(result.summary, default=str))
    return 0 if result.success else 1


def _cmd_train(args: argparse.Namespace) -> int:
    from ..adapters.store import AdapterStore
    from ..common.partitions import reviewer_repo
    from ..common.progress import rich_progress
    from ..common.settings import Settings
    from ..defs import run_tags
    from ..defs.runner import run_partition

    apply_github_url(args)
    if args.base_model:
        os.environ["TECHLEAD_BASE_MODEL_DIR"] = str(Path(args.base_model).resolve())
    target = reviewer_repo(args.reviewer, args.repo)
    current = AdapterStore(Settings().adapters_dir).current(target)
    if current is not None and not args.force_reload:
        console.print(
            f"reusing the cached adapter of {target} (version {current.version}); "
            "--force-reload re-collects and retrains"
        )
        return 0
    with rich_progress():
        result = run_partition(
            "train_reviewer", target, tags={run_tags.FORCE_RELOAD: str(bool(args.force_reload)).lower()}
        )
    if not result.success:
        console.print(f"[red]{result.error}[/red]")
        return 1
    print_summary(result)
    return 0


def _cmd_build_tiny_model(args: argparse.Namespace) -> int:
    from ..adapters.tiny_model import build_tiny_base_model, public_corpus

    model = build_tiny_base_model(Path(args.out), public_corpus())
    console.print(f"tiny Llama 3-architecture model written to {model.model_dir} ({model.model_id})")
    return 0


def _cmd_webhook(args: argparse.Namespace) -> int:
    import uvicorn

    from ..webhooks.service import configured_secret, default_app

    configured_secret()  # fail at start, with a sentence, when no secret is configured
    console.print(f"webhook receiver on http://{args.host}:{args.port}/webhook (health: /healthz)")
    uvicorn.run(default_app(), host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.root), args.base_model)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="techlead", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("github-standin", help="serve a fixture folder as a local GitHub")
    p.add_argument("--fixture", default=".techlead/sample-fixture")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--build-sample", action="store_true", help="(re)build the bundled sample into --fixture first")
    p.add_argument(
        "--no-validate", action="store_true", help="shape answers by GitHub's schema but skip validating them (speed)"
    )
    p.set_defaults(func=_cmd_standin)

    p = sub.add_parser("build-sample", help="write the bundled sample fixture (deterministic)")
    p.add_argument("--out", default=".techlead/sample-fixture")
    p.add_argument("--canary", help="plant this string in every generated function (privacy tests)")
    p.set_defaults(func=_cmd_build_sample)

    p = sub.add_parser("credentials", help="store GitHub credentials, encrypted")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--token-env", metavar="VAR", help="read a personal token from this environment variable")
    g.add_argument("--token-stdin", action="store_true", help="read a personal token from stdin")
    g.add_argument("--app-id", type=int, help="GitHub App id (with --app-key-file)")
    g.add_argument("--webhook-secret-stdin", action="store_true", help="read the App's webhook secret from stdin")
    g.add_argument("--rotate", action="store_true", help="re-encrypt everything under the newest key")
    p.add_argument("--app-key-file", help="GitHub App private key (PEM)")
    p.set_defaults(func=_cmd_credentials)

    p = sub.add_parser("webhook", help="the webhook receiver GitHub delivers the App's events to (ASGI, uvicorn)")
    p.add_argument("--host", default="127.0.0.1", help="0.0.0.0 in a container")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=_cmd_webhook)

    p = sub.add_parser("collect", help="collect a reviewer's history (nothing is kept after the run)")
    common_target(p)
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser("train", help="collect, build the dataset and train the adapter of one reviewer")
    common_target(p)
    p.add_argument("--force-reload", action="store_true", help="re-collect and retrain even if an adapter is cached")
    p.add_argument("--base-model", help="local HF-format Llama 3 folder (default: TECHLEAD_BASE_MODEL_DIR)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("review", help="review a local diff (JSON lines out) or a pull request (posted)")
    common_target(p)
    p.add_argument("--diff", help="unified diff file, e.g. from `git diff main` (- for stdin)")
    p.add_argument("--worktree", default=".", help="where the diff's new files are, for context (default: .)")
    p.add_argument("--pr", type=int, help="review and post this pull request instead")
    p.add_argument("--backend", default="auto", choices=["auto", "retrieval", "local", "vllm"])
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("eval", help="print the evaluation of the served (or newest) adapter of a reviewer")
    p.add_argument("--reviewer")
    p.add_argument("--repo")
    p.add_argument("--crc-py", action="store_true", help="evaluate the CPU systems on the real crc-py comments")
    p.add_argument("--encoder", default="hashed-tfidf", choices=["hashed-tfidf", "minilm"])
    p.add_argument("--no-semantic", action="store_true", help="skip the embedding-based semantic score")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("build-tiny-model", help="a tiny Llama 3-architecture model for CPU tests and the demo")
    p.add_argument("--out", default=".techlead/tiny-model")
    p.set_defaults(func=_cmd_build_tiny_model)

    p = sub.add_parser("demo", help="the end-to-end demo on the bundled sample (no network needed)")
    p.add_argument("--root", default=".techlead/demo", help="folder for the demo's files (recreated)")
    p.add_argument(
        "--base-model",
        default="smollm2-135m-instruct",
        help="smollm2-135m-instruct (a real pretrained model, the default) or tiny-random (seconds, for tests)",
    )
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..common.errors import UserFacingError
    from ..common.partitions import InvalidNameError

    args = build_parser().parse_args(argv)
    restore_interrupt_signals()  # Ctrl-C and SIGTERM stop every command, even one started as a background job
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.func(args)
    except (UserFacingError, InvalidNameError) as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
