"""How long a lead with a long history takes to be learned, evaluated and gated on this machine.

The sample repository is generated with more pull requests (sample/builder.py, the same lead and
voice), so that the lead has at least `--comments` review comments; it is served by the GitHub
stand-in and, as a user would, in its own process:

    techlead train --reviewer mira-kovacs --repo acme-labs/billing_core.py

Printed: her comments, the wall time of the whole command (collect, code contexts, dataset, LoRA
training on every comment and as many silences, the evaluation of every way of reviewing, the gate)
and its per-stage summary. Goal: a lead with 300 comments in at most 10 minutes on 2 cores.

    .venv/bin/python benchmarks/learn_time.py [--comments 300] [--base-model smollm2-135m-instruct]

Run it alone (it trains on the CPU).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.standin_cli import cli_env, techlead  # noqa: E402
from techlead_pipeline.adapters.base_models import resolve  # noqa: E402
from techlead_pipeline.github_standin import GitHubStandin  # noqa: E402
from techlead_pipeline.sample.builder import LEAD, OWNER, REPO, build_sample  # noqa: E402
from techlead_pipeline.sample.workspace import SampleSpec  # noqa: E402

SAMPLE_PRS, SAMPLE_LEAD_COMMENTS = 52, 207  # the bundled sample: her comments per pull request


def lead_comments(fixture: Path) -> int:
    comments = json.loads((fixture / "repos" / OWNER / REPO / "review_comments.json").read_text())
    return sum(1 for c in comments if c["user"] == LEAD and not c.get("in_reply_to_id"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=300)
    parser.add_argument("--base-model", default="smollm2-135m-instruct")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learn-time-"))
    try:
        prs = math.ceil(args.comments * SAMPLE_PRS / SAMPLE_LEAD_COMMENTS)
        fixture = build_sample(work / "fixture", SampleSpec(pr_count=prs))
        while lead_comments(fixture) < args.comments:
            prs += 4
            fixture = build_sample(work / "fixture", SampleSpec(pr_count=prs))
        comments = lead_comments(fixture)
        with GitHubStandin(fixture) as standin:
            env = cli_env(standin, work, BASE_MODEL=args.base_model)
            # The base model is converted once, outside the timed command (a user's first run does it once).
            resolve(args.base_model, work / "techlead")
            code, out, err, seconds = techlead(env, "train", "--reviewer", LEAD, "--repo", f"{OWNER}/{REPO}")
        print(f"# Learning a long history: {time.strftime('%Y-%m-%d')}, base model {args.base_model}\n")
        print(f"`{LEAD}` in {OWNER}/{REPO}: {comments} review comments on {prs} pull requests.\n")
        print(f"`techlead train`: exit {code} in **{seconds:.1f} s** (goal for 300 comments: 600 s)\n")
        print("```\n" + (out + err)[-6000:].strip() + "\n```")
        return code
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
