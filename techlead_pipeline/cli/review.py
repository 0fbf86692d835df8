"""`techlead review` and `techlead eval`: a pull request, a local diff, the served adapter's evaluation."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from rich.console import Console

from .options import apply_github_url

console = Console(stderr=True)


def print_summary(result) -> None:
    from rich.table import Table

    table = Table(title=f"run {result.run_id[:8]}")
    table.add_column("asset")
    table.add_column("figures")
    for asset, meta in result.materializations.items():
        shown = {k: v for k, v in meta.items() if isinstance(v, (int, float, str)) and len(str(v)) < 70}
        for key, value in meta.items():  # counts by kind (statuses, history gaps): the ones that happened
            if isinstance(value, dict) and value and all(isinstance(v, int) for v in value.values()):
                shown[key] = "{" + ", ".join(f"{k}: {v}" for k, v in value.items() if v) + "}"
        table.add_row(asset, ", ".join(f"{k}={v}" for k, v in shown.items()))
    console.print(table)


def cmd_review(args: argparse.Namespace) -> int:
    from ..common.partitions import reviewer_repo

    apply_github_url(args)
    target = reviewer_repo(args.reviewer, args.repo)
    if args.pr is not None:
        return _review_pull_request(target, args.pr, args.backend)
    if not args.diff:
        console.print("[red]give --diff PATCH (or - for stdin), or --pr N[/red]")
        return 2
    return _review_local_diff(target, args.diff, Path(args.worktree), args.backend)


def _review_pull_request(target, number: int, backend: str) -> int:
    """Through the review job, so the run, its metadata and the posted review show up in Dagster."""
    from github import GithubException

    from ..defs import run_tags
    from ..defs.resources import PipelineSettings
    from ..defs.runner import run_partition

    try:
        pull = PipelineSettings().github(target.repo).rest.get(f"/repos/{target.repo}/pulls/{number}", "reading the PR")
    except GithubException as exc:
        console.print(f"[red]cannot read pull request #{number} of {target.repo} (HTTP {exc.status})[/red]")
        return 2
    # Keyed on what is reviewed, so a re-run (after a kill, a lost answer) finds the review it posted.
    mention_id = "cli-" + hashlib.sha256(f"{target.key}:{number}:{pull['head']['sha']}".encode()).hexdigest()[:16]
    result = run_partition(
        "review_pull_request",
        target,
        tags={run_tags.PULL: str(number)},
        run_config={
            "ops": {"pr_review": {"config": {"pull_number": number, "backend": backend, "mention_id": mention_id}}}
        },
    )
    if not result.success:
        console.print(f"[red]{result.error}[/red]")
        return 1
    meta = result.materializations["pr_review"]
    if meta.get("declined"):
        console.print(meta["declined"])
        return 0
    console.print(f"posted {meta['comments_posted']} comments on {meta['hunks']} hunks: {meta['review_url']}")
    return 0


def _review_local_diff(target, diff: str, worktree: Path, kind: str) -> int:
    """Comments on a local diff as JSON lines; nothing is posted."""
    from ..adapters.store import AdapterStore
    from ..common.gitcmd import looks_binary
    from ..common.settings import Settings
    from ..defs.resources import ReviewerBackendResource
    from ..diffs.patch import decode_diff, parse_diff
    from ..reviews.pull_request import MAX_FILE_BYTES
    from ..reviews.service import review_changes, served_bundle

    try:
        raw = sys.stdin.buffer.read() if diff == "-" else Path(diff).read_bytes()
    except OSError as exc:
        console.print(f"[red]cannot read the diff {diff}: {exc.strerror or type(exc).__name__}[/red]")
        return 2
    settings = Settings()
    bundle = served_bundle(AdapterStore(settings.adapters_dir), target)
    backend = ReviewerBackendResource().backend(target, bundle, settings.home, override=kind)
    text = decode_diff(raw)
    root = worktree.resolve()

    def new_file_text(path: str) -> str | None:
        """The file in the work tree, when it is inside it, text, and not over the size a review reads."""
        candidate = (root / path).resolve()
        try:
            if root in candidate.parents and candidate.is_file() and candidate.stat().st_size <= MAX_FILE_BYTES:
                data = candidate.read_bytes()
                return None if looks_binary(data) else data.decode("utf-8", "replace")
        except OSError:
            pass
        return None

    drafts, prepared, _ = review_changes(parse_diff(text), new_file_text, backend)
    for d in drafts:
        print(json.dumps({"path": d.anchor.path, "line": d.anchor.line, "side": d.anchor.side, "body": d.body}))
    for reason in prepared.skipped:
        console.print(f"not reviewed: {reason}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rich.markdown import Markdown

    from ..adapters.store import AdapterStore
    from ..common.partitions import reviewer_repo
    from ..common.settings import Settings
    from ..evaluation.report import markdown_table

    if args.crc_py:
        return _eval_crc_py(args)
    if not (args.reviewer and args.repo):
        console.print("[red]give --reviewer and --repo (or --crc-py)[/red]")
        return 2
    target = reviewer_repo(args.reviewer, args.repo)
    store = AdapterStore(Settings().adapters_dir)
    bundle = store.current(target)
    if bundle is None:
        console.print(f"[red]nothing learned yet for {target}: run `techlead train` first[/red]")
        return 1
    evaluated = bundle if "evaluation" in bundle.manifest else None
    if bundle.manifest.get("latest_candidate"):  # the newest evaluation is of a candidate that did not serve
        evaluated = store.version(target, bundle.manifest["latest_candidate"])
    if evaluated is None:
        console.print(f"[yellow]version {bundle.version} of {target} has no evaluation[/yellow]")
        return 1
    report = evaluated.manifest["evaluation"]
    out = Console()
    out.print(
        f"{target}: version {evaluated.version}, {report['holdout_comments']} held-out comments, "
        f"{report['holdout_hunks']} held-out hunks; primary score {evaluated.manifest.get('primary_score')}"
    )
    out.print(Markdown(markdown_table(report)))
    for note in report.get("notes", []):
        out.print(f"note: {note}")
    out.print(bundle.manifest.get("serving_note") or evaluated.manifest.get("gate", ""))
    return 0


def _eval_crc_py(args: argparse.Namespace) -> int:
    from ..evaluation.crc_py import evaluate_crc_py
    from ..evaluation.report import markdown_table

    for weighted in (True, False):
        summary, rows = evaluate_crc_py(encoder=args.encoder, semantic=not args.no_semantic, weighted=weighted)
        print(
            f"crc-py, {summary['repositories']} repositories (>= 20 comments), {summary['train_comments']} "
            f"training / {summary['holdout_comments']} held-out comments, retrieval encoder {summary['encoder']}, "
            f"mean weighted by {summary['weighting']}:\n"
        )
        print(markdown_table(summary) + "\n")
        if weighted:
            print("Grounded: of each system's drafts where the lead commented, the share naming only code of that")
            print("hunk (pooled; 95 % bootstrap over repositories; the difference with the leads' own, paired):\n")
            print(
                "| system | drafts | grounded drafts | − the leads' own | posted | grounded as posted "
                "| − the leads' own |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
            )

            def interval(g: dict, key: str, sign: str = "") -> str:
                if key not in g:
                    return ""
                return f"{g[key]:{sign}.3f} [{g[key + '_low']:{sign}.3f}, {g[key + '_high']:{sign}.3f}]"

            for name, g in summary["grounded"].items():
                if g["drafts"]:
                    print(
                        f"| {name} | {g['drafts']} | {interval(g, 'share')} "
                        f"| {interval(g, 'minus_lead', '+')} | {g['posted']} | {interval(g, 'posted_share')} "
                        f"| {interval(g, 'posted_minus_lead', '+')} |"
                    )
            print(
                "\nAs posted, a draft none of whose named code is there is dropped (reviews/fit.py): "
                + ", ".join(
                    f"{name} would post {g['posted']} of its {g['drafts']} drafts"
                    for name, g in summary["grounded"].items()
                    if g["drafts"]
                )
                + ".\n"
            )
    columns = ["repo", "comments", "held_out", "retrieval:bleu4", "retrieval:rouge_l", "retrieval:voice"]
    print(rows[[c for c in columns if c in rows]].to_markdown(index=False))
    return 0
