"""A wrong comment costs more than silence: on the review path, a model that writes its silence on or
loops ("No, no, no, …") gets nothing posted and the summary counts what was dropped; a reviewer the
gate could not learn gets a review with no line comment that says why; and a model pushed to speak
cannot start its answer with the silence answer."""

from __future__ import annotations

import dagster as dg
import torch

from techlead_pipeline.adapters.store import AdapterStore
from techlead_pipeline.defs.runner import run_partition
from techlead_pipeline.reviews.backends.local import LocalBackend, load_model
from techlead_pipeline.reviews.floor import floor_reason
from techlead_pipeline.training_data.prompts import NO_COMMENT, messages, says_no_comment
from techlead_pipeline_tests.conftest import SAMPLE_REPO
from techlead_pipeline_tests.reviews.test_hostile_and_outages import review_run, vllm  # noqa: F401 (fixture)


def test_a_model_that_stutters_gets_nothing_posted_and_the_summary_counts_it(
    served,
    standin,
    instance,
    lead_target,
    vllm,  # noqa: F811
):
    vllm.reply = "No, no, no, no, no, no, no, no, no, no, no, no, no, no, no, no, no, no, no, no"
    result = review_run(instance, lead_target, "911")
    assert result.success, result.error
    [review] = standin.posted_reviews()
    assert review["comments"] == []
    assert "I would rather not post" in review["review"]["body"] and "repeating itself" in review["review"]["body"]
    [record] = instance.fetch_materializations(dg.AssetKey("pr_review"), limit=1).records
    event = record.event_log_entry.dagster_event.event_specific_data.materialization
    left_out = event.metadata["left_out"].value
    assert left_out["below_floor"] == left_out["below_floor_repetition"] > 0


def test_a_reviewer_not_learned_well_enough_gets_a_review_that_says_so(
    served, settings, standin, instance, lead_target
):
    store = AdapterStore(settings.adapters_dir)
    note = "On 14 held-out hunks of 2 pull requests, no learned way of reviewing beat always speaking."
    store.update_manifest(served, serving="silent", serving_note=note)
    mention = "912"
    result = run_partition(
        "review_pull_request",
        lead_target,
        dagster_instance=instance,
        tags={"techlead/repo": SAMPLE_REPO, "techlead/pr": "51", "techlead/mention_id": mention},
        run_config={"ops": {"pr_review": {"config": {"pull_number": 51, "mention_id": mention, "backend": "auto"}}}},
    )
    assert result.success, result.error
    [review] = standin.posted_reviews()
    assert review["comments"] == []
    assert "have not learned" in review["review"]["body"] and note in review["review"]["body"]
    assert "looked fine" not in review["review"]["body"]  # it read the hunks but judged none of them


def test_a_model_pushed_to_speak_cannot_start_with_its_silence(tiny_base_model):
    """The worst case: a model that wants nothing but its silence answer, told to speak. Its first token
    may not be the silence's, so the answer is never the silence; what it writes instead clears the
    floor only if it reads as a review (here it does not, and nothing would be posted)."""
    backend = LocalBackend("lead", "o/r", tiny_base_model, None, max_new_tokens=8)
    model, tokenizer, _ = load_model(tiny_base_model, None)
    silence = tokenizer.encode(NO_COMMENT)
    steps = {"n": 0}

    def push(module, args, out):
        steps["n"] += 1
        out = out.index_add(
            -1,
            torch.tensor(silence),
            torch.tensor([50.0] + [40.0] * (len(silence) - 1), dtype=out.dtype).expand(*out.shape[:-1], -1),
        )
        if steps["n"] > 4:  # then it ends its answer (a cut-off one would not be posted at all)
            out[..., tokenizer.stop_ids[0]] += 100.0
        return out

    hook = model.lm_head.register_forward_hook(push)
    try:
        conversation = messages("lead", "o/r", "File: a.py (Python)\nDiff:\n+x = 1\nCode around the marked line:")
        assert backend.silence_probability([conversation])[0] > 0.9  # left alone, it would say nothing
        steps["n"] = 0
        [spoken] = backend.generate([conversation], speak=True)
    finally:
        hook.remove()
    assert isinstance(spoken, str) and spoken.strip()
    assert not says_no_comment(spoken) and not spoken.startswith(NO_COMMENT)
    assert floor_reason(spoken) is not None  # and its leftovers never reach a pull request


def test_a_draft_cut_off_at_the_length_limit_is_never_posted(tiny_base_model):
    """A random model never ends its answer: cut mid-sentence at the limit, it is no comment. The hunk
    is named as not reviewed (as vLLM's `finish_reason: length` is), never posted as a fragment."""
    from techlead_pipeline.diffs.patch import parse_diff
    from techlead_pipeline.reviews.backends.base import CUT_OFF, Unreviewed
    from techlead_pipeline.reviews.service import review_changes

    backend = LocalBackend("lead", "o/r", tiny_base_model, None, max_new_tokens=3)
    backend.silence_threshold = 1.01  # decided to speak everywhere
    diff = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,1 +1,2 @@\n ctx\n+print('DEBUG', value)\n"
    drafts, prepared, _ = review_changes(parse_diff(diff), lambda p: None, backend)
    assert drafts == [] and prepared.skipped and CUT_OFF in prepared.skipped[0]
    conversation = messages("lead", "o/r", "File: a.py (Python)\nDiff:\n+x = 1")
    assert backend.generate([conversation], speak=True) == [Unreviewed(CUT_OFF)]


def test_an_adapter_whose_drafts_all_fall_below_the_floor_writes_no_more_than_the_budget():
    """Where to speak is decided on every hunk first; drafts are written the surest first. An adapter
    whose every draft is dropped would otherwise write on all 60 hunks it chose: the review stops at
    its budget, and counts the rest as unwritten."""
    from techlead_pipeline.diffs.patch import parse_diff
    from techlead_pipeline.reviews.backends.generative import WRITE_AHEAD, GenerativeBackend
    from techlead_pipeline.reviews.service import review_changes

    class Junk(GenerativeBackend):
        def __init__(self):
            super().__init__("lead", "o/r")
            self.silence_threshold = 0.5
            self.written = 0

        def silence_probability(self, conversations):
            return [0.01 * (i % 40) for i in range(len(conversations))]  # all below the threshold

        def generate(self, conversations, speak=False):
            self.written += len(conversations)
            return ["The code is not available."] * len(conversations)

    diff = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n" + "".join(
        f"@@ -{10 * i + 1},1 +{10 * i + 1},2 @@\n ctx{i}\n+value_{i} = compute({i})\n" for i in range(60)
    )
    backend = Junk()
    drafts, prepared, _ = review_changes(parse_diff(diff), lambda p: None, backend, write_budget=25)
    assert drafts == [] and len(prepared.hunks) == 60
    assert 25 <= backend.written < 25 + WRITE_AHEAD  # the batch it stopped in, no further
    # The 25 read are counted below the floor; the other 35, never read (the rest of that batch among
    # them), are counted as left unwritten.
    assert sum(prepared.below_floor.as_dict().values()) == 25 and prepared.unwritten == 35
