"""The lead's past words adapted to this code (reviews/adapt.py): names mapped from the line she
commented on to this line when the two lines have the same shape, and left alone otherwise."""

from __future__ import annotations

from techlead_pipeline.reviews.adapt import adapt, shape, template_of


def test_her_names_become_this_lines_names():
    template = template_of("nit: `if not period_items:` reads better.", "    if len(period_items) == 0:")
    assert adapt(template, "if len(line_items) == 0:") == "nit: `if not line_items:` reads better."


def test_a_suggestion_block_is_rewritten_for_this_line():
    template = template_of("```suggestion\nif not period_items:\n```", "if len(period_items) == 0:")
    assert adapt(template, "if len(rows) == 0:") == "```suggestion\nif not rows:\n```"


def test_a_line_of_another_shape_gets_nothing():
    template = template_of("nit: `if not period_items:` reads better.", "if len(period_items) == 0:")
    assert adapt(template, "if line_items == []:") is None
    assert adapt(template, "if len(line_items) == 1:") is None  # literals are part of the shape


def test_prose_words_stay_unless_written_as_code():
    template = template_of("the total here double-counts; is `total` reset per retry_count?", "total += retry_count")
    assert adapt(template, "amount += attempt_no") == "the total here double-counts; is `amount` reset per attempt_no?"


def test_a_comment_naming_nothing_of_the_line_has_no_template():
    assert template_of("please add a test for this (ABC-123)", "total = compute(x)") is None


def test_braces_in_comments_survive():
    template = template_of("use `{**a, **b}` instead of `merged`", "merged = dict(a, **b)")
    assert adapt(template, "both = dict(left, **right)") == "use `{**left, **right}` instead of `both`"


def test_the_shape_keeps_no_code():
    assert len(shape("api_token = read_secret('prod')")) == 16
    assert "api_token" not in repr(template_of("rename `api_token`", "api_token = read_secret('prod')"))


def test_retrieval_says_her_words_about_this_line():
    import pandas as pd

    from techlead_pipeline.adapters.bundle import index_entries
    from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex
    from techlead_pipeline.training_data.keys import retrieval_key

    lines = ["if len(period_items) == 0:", "print('DEBUG', period_items)", "total = sum(period_items)"]
    said = ["nit: `if not period_items:` reads better.", "leftover debug `print`.", "§"]
    frame = pd.DataFrame(
        {
            "key": [retrieval_key([line], 0) for line in lines],
            "response": said,
            "pull_number": [1, 2, 3],
            "kind": ["comment", "comment", "no_comment"],
            "comment_id": [1, 2, None],
        }
    )
    index = RetrievalIndex.build(list(frame["key"]), index_entries(frame))
    [match] = index.best([retrieval_key(["if len(line_items) == 0:"], 0)])
    assert match.response == "nit: `if not line_items:` reads better."
    [match] = index.best([retrieval_key(["if not len(line_items) == 0:"], 0)])  # another shape: as written
    assert match.response == said[0]
    assert index.nearest_comments(retrieval_key(["if len(rows) == 0:"], 0), 1) == ["nit: `if not rows:` reads better."]


def test_prose_lines_are_never_adapted():
    """Two docstring lines of as many words have "the same shape" and nothing else in common."""
    assert template_of("typo: `recieve`", '"""Recieve the payment for one customer."""') is None
    template = template_of("rename `fetch_all` to `fetch_pulls`", "fetch_all(repo, limit)")
    assert adapt(template, "# fetch_all(repo, limit)") is None
