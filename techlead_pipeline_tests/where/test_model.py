"""The where-model learns where she comments from every hunk she reviewed, and ranks held-out pull
requests better than saying nothing or always speaking, at least as well as the plain baseline."""

from __future__ import annotations

import numpy as np
import pytest

from techlead_pipeline.evaluation.hunk_measure import HeldOutHunk
from techlead_pipeline.evaluation.where_ways import flags, top_tenth
from techlead_pipeline.where.model import FILE, CannotLearnWhere, WhereModel
from techlead_pipeline.where.table import hunk_table
from techlead_pipeline_tests.where.shapes import real_shaped_examples

KEY = b"k" * 32


def split_tables(**shape):
    table = hunk_table(real_shaped_examples(**shape))
    return table[table["split"] != "holdout"], table[table["split"] == "holdout"].reset_index(drop=True)


def test_it_finds_her_hunks_in_held_out_pull_requests_at_several_times_her_rate():
    known, held = split_tables()
    model = WhereModel.learn("where-model", known, key=KEY)
    baseline = WhereModel.learn("plain baseline", known, key=KEY)
    rate = held["commented"].mean()
    p = model.probabilities(held)
    flagged = flags(list(held["pull_number"]), p, model.threshold)
    assert flagged.any() and held["commented"][flagged].mean() >= 2 * rate
    hunks = [HeldOutHunk(r.pull_number, r.chunk_id, tuple(r.comments)) for r in held.itertuples()]
    ours, theirs = top_tenth(hunks, p), top_tenth(hunks, baseline.probabilities(held))
    assert ours["precision"] >= theirs["precision"] and ours["lift"] > 2
    # What carries it is reported, by named group and by the words.
    groups = model.measured["groups"]["average_precision_lost_without"]
    assert "words of the hunk" in groups and "words of the path" in groups
    assert model.measured["rate"] == pytest.approx(known["commented"].mean(), abs=1e-3)


def test_nothing_of_it_is_chosen_on_the_held_out_pull_requests(tmp_path):
    from techlead_pipeline.adapters.bundle import index_entries, learn_where
    from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex
    from techlead_pipeline.training_data.prompts import NO_COMMENT

    frame = real_shaped_examples()
    poisoned = frame.copy()  # the held-out truth turned upside down
    held = poisoned["split"] == "holdout"
    poisoned.loc[held, "kind"] = poisoned.loc[held, "kind"].map({"comment": "no_comment", "no_comment": "comment"})
    poisoned.loc[held, "response"] = [NO_COMMENT if k == "no_comment" else "x" for k in poisoned.loc[held, "kind"]]
    train = frame[frame["split"] == "train"]
    index = RetrievalIndex.build(list(train["key"]), index_entries(train))
    one, two = learn_where(frame, index, tmp_path / "a"), learn_where(poisoned, index, tmp_path / "b")
    assert one["learned"] and one == two


def test_saved_it_answers_the_same_and_keeps_no_word_of_her_code(tmp_path):
    known, held = split_tables()
    model = WhereModel.learn("where-model", known, key=KEY)
    model.save(tmp_path)
    again = WhereModel.load(tmp_path, KEY)
    assert np.allclose(again.probabilities(held), model.probabilities(held))
    saved = (tmp_path / FILE).read_bytes()
    assert b"DEBUG" not in saved and b"value_" not in saved and b"billing" not in saved
    # Without the key the hashed words land elsewhere: the model is not the same model.
    assert not np.allclose(WhereModel.load(tmp_path, b"x" * 32).probabilities(held), model.probabilities(held))


def test_too_little_history_says_why():
    known, _ = split_tables()
    with pytest.raises(CannotLearnWhere, match="too few to learn where"):
        WhereModel.learn("where-model", known[known["pull_number"] == known["pull_number"].iloc[0]])
    none_commented = known.assign(commented=False)
    with pytest.raises(CannotLearnWhere):
        WhereModel.learn("where-model", none_commented)


def test_a_flagged_review_holds_at_most_the_cap_per_pull_request():
    p = np.linspace(1, 0, 30)
    chosen = flags([1] * 20 + [2] * 10, p, threshold=0.0, cap=4)
    assert chosen[:20].sum() == 4 and chosen[20:].sum() == 4 and chosen[:4].all()
