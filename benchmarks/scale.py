"""What a real repository costs: history, mirror and dataset at 300, 1,000 and 3,000 pull requests.

For each N a deterministic repository is generated (sample/large.py: ~2,000 files, thousands of
commits, the lead on ~44 % of the pull requests, force-pushed ones, large and binary files) and
served by the stand-in; the stages run in a fresh process (so its peak RSS is its own):

  collect   the repository-wide review comments, the pull requests' bases and authors
  contexts  the partial-clone mirror, the code around every comment, the reviewed pull requests' diffs
  dataset   the chat-format examples and the time split
  index     the retrieval index of the training split

and a retrieval review of the open 30-hunk pull request is timed. Printed: API calls (the
stand-in's log), wall seconds per stage, peak RSS, git bytes received (against a full clone of the
same repository), disk used by the mirror; growth exponents between the smallest and largest N;
what training would see under the stated policy; and what a real repository would cost in
GitHub's 5,000-requests-an-hour installation budget.

    .venv/bin/python benchmarks/scale.py [--sizes 300 1000 3000]

It stops by itself (each size has a deadline). Run it alone.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

console = Console(width=170)
DEADLINE_S = 20 * 60
HOURLY_BUDGET = 5000


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class _Standin:
    """The stand-in in its own process (its memory is not the pipeline's), with its own counters."""

    def __init__(self, fixture: Path):
        import requests

        from techlead_pipeline.defs.dev_server import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.url}/api/v3"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "techlead_pipeline.cli",
                "github-standin",
                "--fixture",
                str(fixture),
                "--port",
                str(self.port),
                "--no-validate",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                requests.get(f"{self.url}/_standin/stats", timeout=1).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("the stand-in did not start")

    def stats(self) -> dict:
        import requests

        return requests.get(f"{self.url}/_standin/stats", timeout=30).json()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def measure(prs: int, tmp: Path) -> dict:
    """One size: the generator and the stand-in in their own processes, the pipeline in this one."""
    from techlead_pipeline.adapters.bundle import index_entries, training_selection
    from techlead_pipeline.adapters.store import AdapterStore
    from techlead_pipeline.common.partitions import reviewer_repo
    from techlead_pipeline.common.settings import Settings
    from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials
    from techlead_pipeline.github_api.token_vault import Secret
    from techlead_pipeline.history.code_context import RepoMirror, extract_contexts
    from techlead_pipeline.history.comments import collect_review_comments
    from techlead_pipeline.history.pull_chunks import reviewed_pull_chunks
    from techlead_pipeline.history.window import context_window
    from techlead_pipeline.reviews.backends.index_keys import derive
    from techlead_pipeline.reviews.backends.retrieval import RetrievalBackend
    from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex
    from techlead_pipeline.reviews.service import review_pull_request
    from techlead_pipeline.sample.large import BOT, LEAD, REPO, LargeSpec, large_token, sweep_pull
    from techlead_pipeline.training_data.examples import build_examples

    spec = LargeSpec(prs=prs)
    out: dict = {"prs": prs}
    t = time.perf_counter()
    build = (
        "from pathlib import Path; from techlead_pipeline.sample.large import LargeSpec, build_large_fixture; "
        f"build_large_fixture(Path({str(tmp / 'fixture')!r}), LargeSpec(prs={prs}))"
    )
    subprocess.run([sys.executable, "-c", build], check=True)
    out["build_s"] = time.perf_counter() - t
    target = reviewer_repo(LEAD, REPO)
    server = _Standin(tmp / "fixture")
    try:
        settings = Settings(
            github_api_url=server.api_url, github_web_url=server.url, seconds_between_writes=0, home=tmp / "home"
        )
        access = GitHubAccess(settings, GitHubCredentials(token=Secret(large_token(BOT))), REPO)
        t = time.perf_counter()
        history = collect_review_comments(access, target, max_prs=settings.max_prs)
        out["collect_s"] = time.perf_counter() - t
        out["api_calls"] = server.stats()["api_calls"]
        out["comments"] = len(history.comments)
        out["lead_comments"] = len(history.reviewer_comments)
        window = context_window(
            history.comments, LEAD, history.authored_prs, settings.max_context_comments, settings.others_fraction
        )
        out["context_comments"] = len(window.reviewed)
        git_before = server.stats()["git_bytes_sent"]
        t = time.perf_counter()
        with RepoMirror(access, parent=tmp / "workspace") as mirror:
            mirror.fetch_all(history.default_branch, window.top_level["pull_number"])
            contexts = extract_contexts(mirror, window.top_level, history.pulls)
            chunks = reviewed_pull_chunks(mirror, window.reviewed, history.default_branch, history.pulls)
            out["mirror_disk_bytes"] = _dir_bytes(mirror.root)
            out["blobs_fetched"] = mirror.blobs_fetched
        out["contexts_s"] = time.perf_counter() - t
        out["git_bytes"] = server.stats()["git_bytes_sent"] - git_before
        t = time.perf_counter()
        examples = build_examples(history.comments, contexts, chunks, history.authored_prs, LEAD, REPO)
        out["dataset_s"] = time.perf_counter() - t
        out["examples"] = len(examples.target)
        train = examples.examples[(examples.examples["role"] == "target") & (examples.examples["split"] == "train")]
        t = time.perf_counter()
        # Keyed hashing, as a kept index is built (adapters/bundle.py); the key's source does not matter here.
        index = RetrievalIndex.build(
            list(train["key"]), index_entries(train), key=derive(os.urandom(32), os.urandom(16))
        )
        out["index_s"] = time.perf_counter() - t
        chosen = training_selection(train, 1500)
        out["train_comments"] = int((train["kind"] == "comment").sum())
        out["chosen_examples"] = len(chosen)
        out["chosen_chars"] = int(chosen["prompt"].str.len().sum() + chosen["response"].str.len().sum())
        # A review of the open 30-hunk pull request from this reviewer's retrieval index (a bundle's worth).
        store = AdapterStore(settings.adapters_dir)
        staging = store.staging(target, "bench")
        index.save(staging / "retrieval")
        bundle = store.commit(target, staging, {"serving": "retrieval", "retrieval": {"comments": len(train)}})
        t = time.perf_counter()
        outcome = review_pull_request(access, target, sweep_pull(spec), RetrievalBackend(index), bundle, "scale")
        out["review_s"] = time.perf_counter() - t
        out["review_hunks"] = outcome.hunks
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        before = server.stats()["git_bytes_sent"]
        header = f"http.extraHeader=Authorization: token {large_token(BOT)}"
        subprocess.run(
            ["git", "-c", header, "clone", "-q", "--bare", f"{server.url}/{REPO}.git", str(tmp / "full.git")],
            check=True,
        )
        out["full_clone_bytes"] = server.stats()["git_bytes_sent"] - before
    finally:
        server.stop()
    return out


def run_size(prs: int, deadline: float) -> dict | None:
    """One size in its own process, within what is left of the deadline."""
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import json, sys; from pathlib import Path; sys.path.insert(0, 'benchmarks');"
            f"import scale; print('RESULT ' + json.dumps(scale.measure({prs}, Path({str(tmp)!r}))))"
        )
        try:
            proc = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                timeout=max(30, deadline - time.time()),
                cwd=Path(__file__).resolve().parents[1],
            )
        except subprocess.TimeoutExpired:
            console.print(f"[yellow]N={prs}: stopped at the deadline[/yellow]")
            return None
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            console.print(f"[red]N={prs} failed:[/red] {proc.stderr[-2000:]}")
            return None
        shutil.rmtree(tmp, ignore_errors=True)
        return json.loads(line[len("RESULT ") :])


def exponent(a: float, b: float, na: int, nb: int) -> str:
    if a <= 0 or b <= 0:
        return "—"
    return f"{math.log(b / a) / math.log(nb / na):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000])
    args = parser.parse_args()
    deadline = time.time() + DEADLINE_S
    results = [r for r in (run_size(n, deadline) for n in args.sizes) if r]
    if not results:
        return
    cols = [
        ("pull requests", lambda r: f"{r['prs']:,}"),
        ("comments (lead)", lambda r: f"{r['comments']:,} ({r['lead_comments']:,})"),
        ("API calls", lambda r: f"{r['api_calls']}"),
        ("calls / 1,000 comments", lambda r: f"{r['api_calls'] * 1000 / r['comments']:.1f}"),
        ("collect s", lambda r: f"{r['collect_s']:.1f}"),
        ("contexts s", lambda r: f"{r['contexts_s']:.1f}"),
        ("dataset s", lambda r: f"{r['dataset_s']:.1f}"),
        ("index s", lambda r: f"{r['index_s']:.1f}"),
        ("collect+contexts+dataset s", lambda r: f"{r['collect_s'] + r['contexts_s'] + r['dataset_s']:.1f}"),
        ("peak RSS MB", lambda r: f"{r['peak_rss_mb']:.0f}"),
        (
            "git MB (of a full clone)",
            lambda r: f"{r['git_bytes'] / 2**20:.1f} ({r['git_bytes'] / r['full_clone_bytes']:.0%})",
        ),
        ("mirror disk MB", lambda r: f"{r['mirror_disk_bytes'] / 2**20:.1f}"),
        ("30-hunk review s", lambda r: f"{r['review_s']:.2f}"),
    ]
    table = Table(title="History at scale (generated repositories, stand-in, 2 cores)")
    for name, _ in cols:
        table.add_column(name, justify="right")
    for r in results:
        table.add_row(*(fmt(r) for _, fmt in cols))
    console.print(table)
    first, last = results[0], results[-1]
    if len(results) > 1:
        growth = Table(title=f"Growth exponent between N={first['prs']} and N={last['prs']} (1 = linear)")
        keys = [
            "comments",
            "api_calls",
            "collect_s",
            "contexts_s",
            "dataset_s",
            "index_s",
            "peak_rss_mb",
            "git_bytes",
            "mirror_disk_bytes",
            "review_s",
        ]
        for k in keys:
            growth.add_column(k, justify="right")
        growth.add_row(*(exponent(first[k], last[k], first["prs"], last["prs"]) for k in keys))
        console.print(growth)
    per_100 = last["api_calls"] * 100 / last["comments"]
    tokens = last["chosen_chars"] / 3.5  # characters per Llama 3 token in this prompt format (measured ~3.5)
    console.print(
        f"Training policy at N={last['prs']}: code is read for the reviewer's newest {last['context_comments']:,} of "
        f"{last['lead_comments']:,} comments; training takes the newest {min(1500, last['train_comments']):,} of the "
        f"{last['train_comments']:,} in the training split and as many silences ({last['chosen_examples']:,} examples, "
        f"~{tokens / 1e6:.2f} M Llama 3 tokens); at the CPU's "
        f"measured 413 tokens/s (SmolLM2) that is {tokens / 413 / 60:.0f} min. No H100 figure was measured in this "
        "project yet (benchmarks/train.py --random-llama3-8b takes it)."
    )
    for comments in (6_000, 60_000, 600_000):
        calls = math.ceil(comments * per_100 / 100)
        hours = math.ceil(calls / (HOURLY_BUDGET - 100))  # the reads keep 100 for reviews and replies
        paced = f" (paced over {hours} hours)" if calls > HOURLY_BUDGET else ""
        console.print(
            f"Real GitHub, projected from {per_100:.2f} calls per 100 comments: {comments:,} review comments -> "
            f"~{calls:,} calls, {calls / HOURLY_BUDGET:.0%} of an installation's 5,000-an-hour budget{paced}."
        )


if __name__ == "__main__":
    main()
