"""The lead's reactions to the bot's comments (issue 20): read from the pages collection reads anyway
(who reacted: one request per comment that has a 👍 or 👎 at all), turned into training examples —
hers only — and reported as her approval of the bot."""

from __future__ import annotations

import pandas as pd
from github import Auth, Github

from techlead_pipeline.history.comments import collect_review_comments
from techlead_pipeline.history.feedback import ReactionMemo, gather_feedback, reply_verdict
from techlead_pipeline.reviews.markers import without_markers
from techlead_pipeline.reviews.service import make_backend, review_pull_request
from techlead_pipeline.sample.builder import LEAD
from techlead_pipeline.training_data.from_github import examples_from_github
from techlead_pipeline.training_data.prompts import NO_COMMENT
from techlead_pipeline_tests.conftest import SAMPLE_REPO

DEMO_PR = 51


def test_replies_are_read_for_what_they_plainly_say():
    assert reply_verdict("Not needed here, this is intentional.") == "negative"
    assert reply_verdict("nope") == "negative"
    assert reply_verdict("Good catch, fixed.") == "positive"
    assert reply_verdict("why?") is None


def react(standin, login: str, comment_id: int, content: str) -> None:
    gh = Github(base_url=standin.api_url, auth=Auth.Token(standin.token_for(login)))
    gh.get_repo(SAMPLE_REPO).get_pull(DEMO_PR).get_review_comment(comment_id).create_reaction(content)


def test_the_leads_verdicts_become_her_examples_and_nobody_elses(
    served, settings, standin, bot_access, lead_target, tmp_path
):
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    outcome = review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="fb")
    ids = [
        c["id"] for c in standin.fixture.repo(*SAMPLE_REPO.split("/")).review_comments if c["user"] == "tech-lead-bot"
    ]
    assert len(ids) >= 3 and len(ids) == len(outcome.posted.posted)
    react(standin, LEAD, ids[0], "-1")  # she would never say that
    react(standin, LEAD, ids[1], "+1")  # her habit
    react(standin, "tomas-b", ids[2], "-1")  # somebody else's opinion: reported, never trained on
    standin.reply_to_review_comment(SAMPLE_REPO, ids[2], LEAD, "Good catch, thanks")
    mark = len(standin.requests)
    history = collect_review_comments(bot_access, lead_target)
    feedback = gather_feedback(bot_access, SAMPLE_REPO, LEAD, history.bot_comments, history.comments)
    calls = standin.api_calls(mark)
    reactions_calls = [c for c in calls if "/reactions" in c["path"]]
    assert len(reactions_calls) == 3 == feedback.api_calls  # only the comments with a 👍 or 👎
    assert (
        {c.id: c.verdict for c in feedback.comments}
        == {
            ids[0]: "negative",
            ids[1]: "positive",
            ids[2]: "positive",  # her reply agreed; tomas-b's 👎 counts for nothing
            **{i: None for i in ids[3:]},
        }
    )
    approval = feedback.approval()
    assert approval["lead_thumbs_up"] == 1 and approval["lead_thumbs_down"] == 1 and approval["lead_approval"] == 0.5
    assert approval["others_thumbs_down"] == 1

    examples, _ = examples_from_github(bot_access, lead_target, settings, tmp_path)
    fed = examples.examples[examples.examples["source"] == "feedback"]
    assert len(fed) == 3 and (fed["split"] == "train").all() and (fed["role"] == "target").all()
    texts = {c["id"]: c["body"] for c in standin.fixture.repo(*SAMPLE_REPO.split("/")).review_comments}
    by_kind = fed.groupby("kind")["response"].apply(list).to_dict()
    assert by_kind["no_comment"] == [NO_COMMENT]
    assert sorted(by_kind["comment"]) == sorted([without_markers(texts[ids[1]]), without_markers(texts[ids[2]])])
    assert "<!--" not in "".join(fed["response"])  # the hidden marker is not what she said
    assert examples.counts()["feedback_examples"] == 3


def test_collection_makes_no_extra_call_when_nobody_reacted(served, settings, standin, bot_access, lead_target):
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="quiet")
    mark = len(standin.requests)
    history = collect_review_comments(bot_access, lead_target)
    collected = len(standin.api_calls(mark))
    feedback = gather_feedback(bot_access, SAMPLE_REPO, LEAD, history.bot_comments, history.comments)
    assert len(standin.api_calls(mark)) == collected and feedback.api_calls == 0
    assert isinstance(history.bot_comments, pd.DataFrame) and len(feedback.comments) == len(history.bot_comments)


def test_reactions_already_read_are_not_asked_again(served, settings, standin, bot_access, lead_target, tmp_path):
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="memo")
    ids = [
        c["id"] for c in standin.fixture.repo(*SAMPLE_REPO.split("/")).review_comments if c["user"] == "tech-lead-bot"
    ]
    react(standin, LEAD, ids[0], "-1")
    react(standin, LEAD, ids[1], "+1")
    memo_file = tmp_path / "reactions.json"

    def read() -> tuple[dict, int]:
        mark = len(standin.requests)
        history = collect_review_comments(bot_access, lead_target)
        after_pages = len(standin.api_calls(mark))
        memo = ReactionMemo.open(memo_file)
        feedback = gather_feedback(bot_access, SAMPLE_REPO, LEAD, history.bot_comments, history.comments, memo)
        assert feedback.api_calls == len(standin.api_calls(mark)) - after_pages  # counted by the stand-in too
        return {c.id: c.verdict for c in feedback.comments if c.verdict}, feedback.api_calls

    assert read() == ({ids[0]: "negative", ids[1]: "positive"}, 2)
    assert read() == ({ids[0]: "negative", ids[1]: "positive"}, 0)  # nothing new: nothing asked
    react(standin, LEAD, ids[2], "-1")
    react(standin, "tomas-b", ids[1], "-1")  # a colleague's reaction changes the roll-up: asked again
    assert read() == ({ids[0]: "negative", ids[1]: "positive", ids[2]: "negative"}, 2)  # hers only
    memo_file.write_text("{not json")  # a damaged memo is read afresh, never trusted
    assert read()[1] == 3
