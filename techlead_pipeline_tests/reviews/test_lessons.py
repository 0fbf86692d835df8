"""The lead's verdicts as rules the next training keeps (issue 20): a file she turned the bot down on
three times is left out of its reviews, and so is code nearly identical to a place she said no;
her 👍 or a comment of her own there lifts the rule, and nobody else's reactions count."""

from __future__ import annotations

import base64
import random

import pandas as pd
from github import Auth, Github

from techlead_pipeline.adapters.bundle import build_bundle
from techlead_pipeline.adapters.store import AdapterStore
from techlead_pipeline.reviews.anchors import Anchor
from techlead_pipeline.reviews.backends.index_keys import IndexKey
from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex
from techlead_pipeline.reviews.lessons import Lessons
from techlead_pipeline.reviews.post import DraftComment
from techlead_pipeline.reviews.said_before import SaidBefore
from techlead_pipeline.reviews.service import make_backend, review_pull_request, select_drafts
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD
from techlead_pipeline.sample.workspace import FunctionWriter
from techlead_pipeline.training_data.from_github import examples_from_github
from techlead_pipeline.training_data.keys import retrieval_key
from techlead_pipeline.training_data.prompts import NO_COMMENT
from techlead_pipeline_tests.conftest import SAMPLE_REPO

DEMO_PR = 51


def example(path: str, kind: str, source: str, day: int, key: str = "x = 1") -> dict:
    return {
        "path": path,
        "kind": kind,
        "source": source,
        "created_at": pd.Timestamp(f"2026-01-{day:02d}", tz="UTC"),
        "key": key,
        "response": NO_COMMENT if kind == "no_comment" else f"her words {day}",
        "pull_number": day,
        "comment_id": None,
    }


def learned(*rows: dict) -> dict:
    return Lessons.learn(pd.DataFrame(list(rows))).turned_down_files


def test_a_file_is_turned_down_by_three_of_her_no_and_lifted_by_her_yes_or_her_words():
    downs = [example("gen/report.py", "no_comment", "feedback", d) for d in (10, 11, 12)]
    history = [example("gen/report.py", "comment", "history", 2)]  # older than her first 👎: she changed her mind
    assert learned(*downs, *history) == {"gen/report.py": 3}
    assert learned(*downs[:2], *history) == {}  # two are not a pattern
    assert learned(*downs, example("gen/report.py", "comment", "feedback", 13)) == {}  # her 👍 there
    assert learned(*downs, example("gen/report.py", "comment", "history", 12)) == {}  # she commented there since
    assert learned(*downs, example("other.py", "comment", "feedback", 13)) == {"gen/report.py": 3}


def draft(path: str, code: str, line: int = 3) -> DraftComment:
    lines = code.split("\n")
    body = f"a comment on {path} at {code.split()[1]}"  # each its own ask (a review says an ask once)
    return DraftComment(Anchor(path, line, "RIGHT"), body, key=retrieval_key(lines, line - 1))


def test_code_nearly_identical_to_where_she_said_no_is_left_out():
    turned_down = "def total(items):\n    s = 0\n    print('debug', s)\n    return s"
    hers = "def pay(card):\n    log.info(card.number)\n    charge(card)\n    return True"
    keys = [retrieval_key(turned_down.split("\n"), 2), retrieval_key(hers.split("\n"), 2)]
    entries = [
        {"response": NO_COMMENT, "pull_number": 1, "kind": "no_comment", "comment_id": None, "source": "feedback"},
        {"response": "never log card numbers", "pull_number": 2, "kind": "comment", "comment_id": 7},
    ]
    index = RetrievalIndex.build(keys, entries, key=IndexKey(b"s" * 16, b"k" * 32))
    lessons = Lessons({"gen/report.py": 3}, index)
    drafts = [
        draft("a.py", turned_down.replace("total", "totals")),  # the same code, a name changed
        draft("a.py", hers),  # where she commented herself
        draft("a.py", "def other():\n    x = compute()\n    y = x * 2\n    return y"),
        draft("gen/report.py", hers),  # anything on the file she turned down
    ]
    assert lessons.why_left_out(drafts) == ["turned-down code", None, None, "turned-down file"]
    chosen = select_drafts(drafts, SaidBefore(), cap=10, lessons=lessons)
    assert [d.anchor.path for d in chosen.turned_down_files] == ["gen/report.py"]
    assert [d.anchor.path for d in chosen.turned_down_code] == ["a.py"]
    assert len(chosen.posted) == 2
    history_only = RetrievalIndex.build(keys, [dict(entries[0], source="history"), entries[1]])
    assert Lessons({}, history_only).why_left_out(drafts[:1]) == [None]  # a silence she never told the bot


# ---------------------------------------------------------------------------------------------- on the stand-in
def react(standin, login: str, comment_id: int, content: str) -> None:
    gh = Github(base_url=standin.api_url, auth=Auth.Token(standin.token_for(login)))
    gh.get_repo(SAMPLE_REPO).get_pull(DEMO_PR).get_review_comment(comment_id).create_reaction(content)


def smelly_function(seed: int, smells: list[str]) -> str:
    """A function with the smells she comments on, written as the sample writes its code."""
    lines, _ = FunctionWriter(random.Random(seed), None).function(smells)
    return "\n\n" + "\n".join(lines) + "\n"


NEW_CODE = [smelly_function(seed, ["eq_none", "debug_print", "bare_except"]) for seed in range(6)]


def push(standin, path: str, code: str) -> None:
    head = standin.fixture.repo(*SAMPLE_REPO.split("/")).pulls[DEMO_PR]["head_sha"]
    gh = Github(base_url=standin.api_url, auth=Auth.Token(standin.token_for("tomas-b"))).get_repo(SAMPLE_REPO)
    current = base64.b64decode(gh.get_contents(path, ref=head).content).decode()
    standin.push_to_pull(SAMPLE_REPO, DEMO_PR, {path: current + code}, "more refunds")


def bot_comments(standin) -> list[dict]:
    return [c for c in standin.fixture.repo(*SAMPLE_REPO.split("/")).review_comments if c["user"] == BOT_LOGIN]


def test_after_one_retrain_the_file_she_turned_down_gets_no_comment(
    served, settings, standin, bot_access, lead_target, tmp_path
):
    muted = "billing_core/refunds.py"
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="first")
    pushes = iter(NEW_CODE)
    while len(on_muted := [c for c in bot_comments(standin) if c["path"] == muted]) < 3:
        push(standin, muted, next(pushes))  # more pushes, each reviewed as it comes
        review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id=f"push-{len(on_muted)}")
    bots = bot_comments(standin)
    assert len(on_muted) >= 3 and len(bots) > len(on_muted), [(c["path"], c["line"]) for c in bots]
    for c in bots:
        if c["path"] == muted:
            react(standin, LEAD, c["id"], "-1")
        react(standin, "tomas-b", c["id"], "-1")  # a colleague's 👎 on everything changes nothing

    # One more push of code the bot would remark on, in the file she turned it down on: before any
    # retrain, the bot still speaks there.
    push(standin, muted, next(pushes))
    before = review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="dry", post=False)
    assert {d.anchor.path for d in before.selection.posted} == {muted}

    store = AdapterStore(settings.adapters_dir)
    examples, _ = examples_from_github(bot_access, lead_target, settings, tmp_path / "scratch")
    bundle = build_bundle(store, lead_target, examples.examples, "retrained", base=None, lora=None)
    assert bundle.manifest["lessons"]["turned_down_files"] == {muted: len(on_muted)}
    store.promote(lead_target, bundle)
    backend = make_backend("retrieval", lead_target, bundle, settings.adapters_dir)
    after = review_pull_request(bot_access, lead_target, DEMO_PR, backend, bundle, mention_id="after", full=True)
    chosen = after.selection
    assert not [d for d in chosen.posted + chosen.held_back if d.anchor.path == muted]
    assert chosen.turned_down and {d.anchor.path for d in chosen.turned_down} == {muted}
    assert {d.anchor.path for d in chosen.posted + chosen.said_before + chosen.open_threads} - {muted}
    assert f"Left out {len(chosen.turned_down)} comments on `{muted}`: `{LEAD}` turned my comments there down" in (
        after.summary
    )
