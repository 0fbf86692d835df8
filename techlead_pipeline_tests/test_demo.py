"""`techlead demo`, the README's first command, run as a user runs it (its own process, since the
demo points its environment at its own stand-in)."""

from __future__ import annotations

import re
import subprocess
import sys


def test_demo_runs_every_step(tmp_path):
    result = subprocess.run(
        # The tiny random model keeps this test in seconds; `make demo` runs SmolLM2 (same code path).
        [
            sys.executable,
            "-m",
            "techlead_pipeline.cli",
            "demo",
            "--root",
            str(tmp_path / "demo"),
            "--base-model",
            "tiny-random",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "Traceback" not in out and "run failed" not in out
    # first mention, cached mention, --force-reload --full, the mention after a push
    assert out.count("review posted on #") == 4
    assert "runs: 0; the bot replied:" in out  # the non-collaborator
    assert re.search(r"runs: 0, skipped run keys: \['mention-\d+\.[0-9a-f]{8}'\]", out)  # the re-delivered mention
    old, new = re.search(r"adapter version (\S+) -> (\S+)", out).groups()
    assert old < new  # --force-reload trained a newer version
    # After activity one poll re-reads the newest comment (a new `since`, so a new URL); then 304s.
    assert re.search(r"first poll after activity: answers \[(200|304)\], charged against the rate limit: [01] ", out)
    assert "next idle poll: answers [304], charged against the rate limit: 0 " in out
    # As a GitHub App: every mention came as a signed webhook the receiver verified and stored.
    assert out.count("-> webhook `issue_comment` delivered: OK") == 6
    # living with the bot: the second review of #51 repeats nothing and says so; after a push, only what changed
    assert re.search(r"the review says: Left out \d+ comments? \(already said on this pull request\)", out)
    assert re.search(r"the review says: Reviewed what changed since my last review \(at `[0-9a-f]{7}`\): 1 commit", out)
    assert "webhook `installation_repositories` (added acme-labs/service-01): OK" in out
    assert re.search(r"runs: 1 on acme-labs/service-01; the bot answered there: '`new-hire` has not left", out)
    assert "demo finished in" in out
