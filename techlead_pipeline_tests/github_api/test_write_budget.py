"""Content creation stays under GitHub's secondary limit, across processes."""

from __future__ import annotations

import multiprocessing

import requests

from techlead_pipeline.github_api.writes import WriteBudget
from techlead_pipeline.sample.builder import BOT_LOGIN
from techlead_pipeline_tests.conftest import SAMPLE_REPO


def _take(path, n, out):
    budget = WriteBudget(path, per_minute=4, window_s=1.0)
    for _ in range(n):
        out.put(budget.acquire())


def test_the_budget_holds_across_processes(tmp_path):
    path = tmp_path / "writes.json"
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_take, args=(path, 6, out)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    stamps = sorted(out.get() for _ in range(12))
    assert max(sum(1 for u in stamps[i:] if u - t < 1.0) for i, t in enumerate(stamps)) <= 4


def test_the_standin_enforces_the_secondary_limit(standin):
    standin.content_per_minute = 3
    url = f"{standin.api_url}/repos/{SAMPLE_REPO}/issues/51/comments"
    auth = {"Authorization": f"token {standin.token_for(BOT_LOGIN)}"}
    codes = [requests.post(url, json={"body": f"n{i}"}, headers=auth, timeout=10) for i in range(4)]
    assert [c.status_code for c in codes] == [201, 201, 201, 403]
    assert "secondary rate limit" in codes[3].json()["message"] and int(codes[3].headers["Retry-After"]) > 0
    assert len(standin.posted_issue_comments()) == 3
