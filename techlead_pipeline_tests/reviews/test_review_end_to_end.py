"""Reviewing the sample's open pull request against the stand-in: the posted review's comments sit on
valid anchors, a repeated mention posts nothing new, and a refused comment does not sink the rest."""

from __future__ import annotations

import json
import subprocess

import pytest

from techlead_pipeline import cli
from techlead_pipeline.defs.runner import run_partition
from techlead_pipeline.github_standin.pull_diffs import pull_diff
from techlead_pipeline.reviews.markers import without_markers
from techlead_pipeline.reviews.service import make_backend, review_pull_request
from techlead_pipeline.sample.builder import LEAD
from techlead_pipeline_tests.conftest import SAMPLE_REPO

DEMO_PR = 51


def assert_valid_anchors(standin, comments):
    repo = standin.fixture.repo(*SAMPLE_REPO.split("/"))
    pr = repo.pulls[DEMO_PR]
    anchors = pull_diff(repo.git_dir, pr["base_sha"], pr["head_sha"]).anchors
    for c in comments:
        assert c["line"] in anchors[c["path"]][c["side"]], c


@pytest.mark.parametrize("kind", ["retrieval", "local"])
def test_review_is_posted_on_valid_lines(kind, served, settings, standin, bot_access, lead_target, training_env):
    backend = make_backend(kind, lead_target, served, settings.adapters_dir, base=training_env)
    outcome = review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id=f"m-{kind}")
    [posted] = standin.posted_reviews()
    assert posted["review"]["commit_id"] == standin.fixture.repo(*SAMPLE_REPO.split("/")).pulls[DEMO_PR]["head_sha"]
    assert f"style of `{LEAD}`" in posted["review"]["body"] and "mention=m-" in posted["review"]["body"]
    assert f"@{LEAD}" not in posted["review"]["body"]  # names the lead without pinging
    assert_valid_anchors(standin, posted["comments"])
    assert len(posted["comments"]) == len(outcome.comments)
    assert outcome.timings["total_s"] > 0 and outcome.hunks == 4
    # the sample's lead does not comment on unchanged code: neither does the bot in her name
    assert outcome.changed_line_share == (1.0 if outcome.comments else None)
    if kind == "retrieval":
        lead_words = {e["response"] for e in json.loads((served.retrieval_dir / "entries.json").read_text())}
        assert len(posted["comments"]) >= 3 and all(
            without_markers(c["body"]) in lead_words for c in posted["comments"]
        )


def test_the_same_mention_never_posts_twice(served, settings, standin, bot_access, lead_target):
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    first = review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="42")
    again = review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="42")
    assert len(standin.posted_reviews()) == 1
    assert again.posted.already_posted and again.posted.review_id == first.posted.review_id


def test_a_refused_comment_does_not_sink_the_review(served, settings, standin, bot_access, lead_target):
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    dry = review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="dry", post=False)
    victim = dry.comments[0]
    standin.faults.add(kind="reject_comment", message=victim.body, times=-1)
    outcome = review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="m422")
    [posted] = standin.posted_reviews()
    assert [without_markers(c["body"]) for c in posted["comments"]] == [c.body for c in dry.comments[1:]]
    assert "GitHub refused 1 comment" in posted["review"]["body"]
    assert f"`{victim.anchor.path}:{victim.anchor.line}`" in posted["review"]["body"]
    assert outcome.posted.rejected == [victim]


def test_cli_reviews_a_local_diff_as_json_lines(served, settings, standin, lead_target, capsys, tmp_path):
    repo = standin.fixture.repo(*SAMPLE_REPO.split("/"))
    pr = repo.pulls[DEMO_PR]
    diff = subprocess.run(
        ["git", "diff", pr["base_sha"], pr["head_sha"]], cwd=repo.git_dir, capture_output=True, text=True, check=True
    ).stdout
    (tmp_path / "change.diff").write_text(diff)
    assert (
        cli.main(
            [
                "review",
                "--reviewer",
                LEAD,
                "--repo",
                SAMPLE_REPO,
                "--diff",
                str(tmp_path / "change.diff"),
                "--backend",
                "retrieval",
            ]
        )
        == 0
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and all(set(x) == {"path", "line", "side", "body"} for x in lines)
    assert_valid_anchors(standin, lines)


def test_cli_reads_a_diff_file_as_bytes(served, settings, standin, lead_target, capsys, tmp_path):
    """A lone carriage return inside a line (a Windows-edited file) must not split the diff."""
    repo = standin.fixture.repo(*SAMPLE_REPO.split("/"))
    pr = repo.pulls[DEMO_PR]
    diff = subprocess.run(["git", "diff", pr["base_sha"], pr["head_sha"]], cwd=repo.git_dir, capture_output=True).stdout
    odd = b"diff --git a/notes.txt b/notes.txt\n--- a/notes.txt\n+++ b/notes.txt\n@@ -1 +1 @@\n-a\r b\n+a\r c\n"
    (tmp_path / "change.diff").write_bytes(diff + odd)
    argv = ["review", "--reviewer", LEAD, "--repo", SAMPLE_REPO, "--diff", str(tmp_path / "change.diff")]
    assert cli.main([*argv, "--backend", "retrieval"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines
    assert_valid_anchors(standin, lines)


def test_cli_names_files_it_did_not_review_as_git_wrote_them(served, settings, lead_target, capsys, tmp_path):
    """A mode change under a path holding ` b/` has no `---`/`+++` lines (issue 22)."""
    mode_only = "diff --git a/x b/m.py b/x b/m.py\nold mode 100644\nnew mode 100755\n"
    (tmp_path / "change.diff").write_text(mode_only)
    argv = ["review", "--reviewer", LEAD, "--repo", SAMPLE_REPO, "--diff", str(tmp_path / "change.diff")]
    assert cli.main([*argv, "--backend", "retrieval"]) == 0
    captured = capsys.readouterr()
    said = " ".join((captured.out + captured.err).split())
    assert "not reviewed: `x b/m.py`" in said and "m.py b/x" not in said


def test_cli_reviews_a_pull_request_through_the_review_job(served, settings, standin, capsys):
    argv = ["review", "--reviewer", LEAD, "--repo", SAMPLE_REPO, "--pr", str(DEMO_PR), "--backend", "retrieval"]
    assert cli.main(argv) == 0
    posted = standin.posted_reviews()
    assert len(posted) == 1 and posted[0]["number"] == DEMO_PR
    assert_valid_anchors(standin, posted[0]["comments"])
    assert f"posted {len(posted[0]['comments'])} comments on 4 hunks" in capsys.readouterr().err
    assert cli.main(argv) == 0  # run again (after a kill, a lost answer): the same PR head, no second review
    assert len(standin.posted_reviews()) == 1


def review_run(instance, target, mention_id: str):
    """The review job on the demo PR, in process, with the retrieval backend."""
    config = {"pull_number": DEMO_PR, "mention_id": mention_id, "backend": "retrieval"}
    return run_partition(
        "review_pull_request", target, dagster_instance=instance, run_config={"ops": {"pr_review": {"config": config}}}
    )


def test_pr_review_asset_posts_and_records_no_code(served, settings, standin, instance, lead_target):
    result = review_run(instance, lead_target, "777")
    assert result.success, result.error
    meta = result.materializations["pr_review"]
    assert meta["comments_posted"] == len(standin.posted_reviews()[0]["comments"]) and meta["hunks"] == 4
    record = json.loads(next((settings.home / "reviews" / lead_target.key).glob("pr51-777.json")).read_text())
    assert record["review_id"] and record["timings"]["post_s"] >= 0
    assert "def " not in json.dumps(record)  # comments and anchors only, never the code


def test_a_real_422_names_no_comment_and_only_the_refused_one_is_dropped(
    served, settings, standin, bot_access, lead_target
):
    """GitHub's 422 body is one sentence for the whole review; the refused comment is found by bisecting
    with pending reviews (seen by the bot alone, deleted at once) and the others are posted."""
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    dry = review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="dry", post=False)
    assert len(dry.comments) >= 3
    victim = dry.comments[-1]
    standin.faults.add(kind="reject_comment", message=victim.body, times=-1)
    mark = len(standin.requests)
    review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="bisect")
    refusals = [r for r in standin.api_calls(mark) if r["status"] == 422]
    assert refusals  # GitHub said no, without an index (its body is checked against the schema)
    [posted] = standin.posted_reviews()
    assert [without_markers(c["body"]) for c in posted["comments"]] == [c.body for c in dry.comments[:-1]]
    deleted = [r for r in standin.api_calls(mark) if r["method"] == "DELETE"]
    pending = [p for p in standin.posted if p["kind"] == "pending_review"]
    assert deleted and len(deleted) == len(pending)  # every probe was cleaned up
    repo = standin.repo_state(SAMPLE_REPO)
    assert all(r["state"] != "PENDING" for r in repo.reviews)


def test_a_comment_no_longer_in_the_diff_is_dropped_after_reading_the_files_again(
    served, settings, standin, bot_access, lead_target
):
    from techlead_pipeline.reviews.anchors import Anchor
    from techlead_pipeline.reviews.post import DraftComment, post_review

    head = standin.repo_state(SAMPLE_REPO).pulls[DEMO_PR]["head_sha"]
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    dry = review_pull_request(bot_access, lead_target, DEMO_PR, backend, served, mention_id="dry", post=False)
    stale = DraftComment(Anchor(dry.comments[0].anchor.path, 100_000, "RIGHT"), "this line moved away")
    mark = len(standin.requests)
    posted = post_review(bot_access, SAMPLE_REPO, DEMO_PR, head, [stale, *dry.comments], "summary", "stale-1")
    assert posted.rejected == [stale] and posted.posted == dry.comments
    calls = standin.api_calls(mark)
    assert not [r for r in calls if r["method"] == "DELETE"]  # the files said it all: no bisecting
    assert not [r for r in calls if "/commits/" in r["path"]]  # the head's SHA is enough to post on


def test_a_record_that_cannot_be_kept_does_not_fail_a_posted_review(served, settings, standin, instance, lead_target):
    blocker = settings.home / "reviews" / lead_target.key
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("")  # a file where the records' folder should be: every write fails
    result = review_run(instance, lead_target, "778")
    assert result.success, result.error
    assert len(standin.posted_reviews()) == 1


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--reviewer", "bad/name", "--repo", SAMPLE_REPO, "--diff", "x.diff"], "is not a valid GitHub reviewer login"),
        (["--reviewer", LEAD, "--repo", SAMPLE_REPO, "--diff", "/no/such/file.diff"], "cannot read the diff"),
        (["--reviewer", LEAD, "--repo", SAMPLE_REPO, "--diff", "/"], "cannot read the diff"),
    ],
)
def test_cli_bad_input_gets_a_sentence_not_a_traceback(served, argv, says, capsys):
    assert cli.main(["review", *argv, "--backend", "retrieval"]) == 2
    captured = capsys.readouterr()
    assert says in " ".join((captured.out + captured.err).split()) and "Traceback" not in captured.err
