"""A real history with objects missing, collected as a user collects it, public and private.

`../shared/data/real-leads/aeon_mecha/fixture` (a real repository's history: 5 commits the comments
were written on are gone, force-pushed away; one old blob is gone) is served by the GitHub stand-in,
once as it is and once with the repository made private. For every reviewer in the data, in their
own process, as a user would:

    techlead collect --reviewer R --repo SainsburyWellcomeCentre/aeon_mecha

Printed, per reviewer and visibility: the comments collected beside the data's count, how each
comment's code was read (statuses), the reviewed hunks and how many the reviewer commented on (in
brackets, the data's own figure for the pass most of their comments on each pull request sit on; it
counts no pass on a commit that is gone, and neither side counts a reviewer's own pull requests),
the silences, and what GitHub could not give (`history_gaps`, by kind). The two visibilities must
give the same figures, and no log line may say a fetch failed whole.

    .venv/bin/python benchmarks/real_history.py [--out docs/benchmarks/real_history.md]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402

from benchmarks.standin_cli import cli_env, techlead  # noqa: E402
from techlead_pipeline.github_standin import GitHubStandin  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared/data/real-leads/aeon_mecha"
REPO = "SainsburyWellcomeCentre/aeon_mecha"
WHOLE_BATCH_FAILURES = re.compile(r"could not fetch \d+|failed \(128\)|from promisor remote")


def served_copy(source: Path, dest: Path, private: bool) -> Path:
    shutil.copytree(source, dest, symlinks=True)
    meta = dest / "repos" / REPO / "repository.json"
    record = json.loads(meta.read_text())
    record["private"] = private
    meta.write_text(json.dumps(record, indent=1))
    return dest


def data_figures(prs: dict, reviewer: str) -> dict:
    """The data's own counts for a reviewer: comments, and hunks of the review passes it could count
    (of other people's pull requests)."""
    comments = passes = hunks = commented = 0
    for pull in prs["pulls"]:
        mine = pull["reviewers"].get(reviewer)
        if not mine:
            continue
        comments += mine["comments"]
        if pull["author"] == reviewer:
            continue  # comments on one's own pull request are notes, not review: not learned from
        chosen = max(mine["reviewed_commits"], key=lambda c: c["comments"])  # the pass most comments sit on
        passes += 1
        hunks += chosen.get("hunks", 0)
        commented += chosen.get("hunks_commented", 0)
    return {"comments": comments, "passes": passes, "hunks": hunks, "hunks_commented": commented}


def collect(standin: GitHubStandin, home: Path, reviewer: str) -> tuple[int, dict, str, float]:
    code, out, err, seconds = techlead(cli_env(standin, home), "collect", "--reviewer", reviewer, "--repo", REPO)
    # `techlead collect` prints the run's summary as JSON, last (on its console: stderr)
    starts = [m.start() for m in re.finditer(r"^\{$", err, re.M)]
    summary = json.loads(err[starts[-1] :]) if starts else {}
    return code, summary, out + err, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks/real_history.md"))
    args = parser.parse_args()
    prs = json.loads((args.data / "prs.json").read_text())
    reviewers = sorted({r for pull in prs["pulls"] for r in pull["reviewers"]})
    console = Console(record=True, width=300)
    console.print(f"# Real history with missing objects: {REPO}, {time.strftime('%Y-%m-%d')}\n")
    console.print(
        "| reviewer | visibility | comments (data) | statuses | reviewed hunks (data) | commented (data) "
        "| silent lines | history gaps | failed-whole log lines | seconds |"
    )
    console.print("|---|---|---|---|---|---|---|---|---|---|")
    figures: dict[tuple[str, bool], tuple] = {}
    work = Path(tempfile.mkdtemp(prefix="real-history-"))
    try:
        for private in (False, True):
            fixture = served_copy(args.data / "fixture", work / f"fixture-{private}", private)
            with GitHubStandin(fixture) as standin:
                for reviewer in reviewers:
                    code, summary, log, seconds = collect(standin, work / f"home-{private}-{reviewer}", reviewer)
                    want = data_figures(prs, reviewer)
                    assets = summary.get("assets", {})
                    comments = assets.get("review_comments", {})
                    contexts = assets.get("code_contexts", {})
                    bad_lines = [ln for ln in log.splitlines() if WHOLE_BATCH_FAILURES.search(ln)]
                    row = (
                        comments.get("reviewer_comments", comments.get("comments")),
                        contexts.get("statuses"),
                        contexts.get("reviewed_hunks"),
                        contexts.get("reviewed_hunks_commented"),
                        contexts.get("silent_lines"),
                        contexts.get("history_gaps"),
                    )
                    figures[(reviewer, private)] = row
                    if code != 0:
                        console.print(f"| `{reviewer}` | collect failed (exit {code}) | {log[-600:]!r} |")
                        continue
                    gaps = {k: v for k, v in (row[5] or {}).items() if v}
                    console.print(
                        f"| `{reviewer}` | {'private' if private else 'public'} | {row[0]} ({want['comments']}) "
                        f"| {json.dumps(row[1])} | {row[2]} ({want['hunks']}) | {row[3]} ({want['hunks_commented']}) "
                        f"| {row[4]} | {json.dumps(gaps)} | {len(bad_lines)} | {seconds:.1f} |"
                    )
                    for line in bad_lines[:3]:
                        console.print(f"    {line[:300]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    same = all(figures.get((r, False)) == figures.get((r, True)) for r in reviewers)
    console.print(f"\nPublic and private give the same figures for every reviewer: **{'yes' if same else 'NO'}**.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(console.export_text())
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
