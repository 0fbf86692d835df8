"""Reviews placed by the where-model, against the stand-in: comments only on the hunks it flags (at
most the cap), or, serving the ranked list, no line comment and the hunks she would look at."""

from __future__ import annotations

from techlead_pipeline.adapters.store import AdapterStore
from techlead_pipeline.reviews.backends.where_placed import WhereListBackend, WherePlacedBackend
from techlead_pipeline.reviews.service import make_backend, review_pull_request
from techlead_pipeline.sample.builder import LEAD


def serve(settings, served, way: str, **more):
    return AdapterStore(settings.adapters_dir).update_manifest(served, serving=way, **more)


def test_the_writer_speaks_only_where_she_would(served, settings, standin, bot_access, lead_target):
    assert served.manifest["where"]["learned"], served.manifest["where"]
    bundle = serve(settings, served, "where+retrieval")
    backend = make_backend("auto", lead_target, bundle, settings.adapters_dir)
    assert isinstance(backend, WherePlacedBackend) and backend.name == "where+retrieval"
    outcome = review_pull_request(bot_access, lead_target, 51, backend, bundle, mention_id="where-1")
    flagged = [h.chunk for h, _ in backend.ranked]
    assert 0 < len(backend.ranked) <= 10 and len(outcome.comments) <= len(backend.ranked)
    [posted] = standin.posted_reviews()
    assert len(posted["comments"]) == len(outcome.comments)
    for comment in outcome.comments:  # each on a line of a hunk it flagged
        a = comment.anchor
        assert any(c.path == a.path and c.covers(a.line, a.side) for c in flagged), a
    assert all(0.0 < c.confidence <= 1.0 for c in outcome.comments)  # her probability of commenting there


def test_the_ranked_list_puts_no_words_in_her_mouth(served, settings, standin, bot_access, lead_target):
    measured = {
        "hunks": 90,
        "posted": 9,
        "hits": 6,
        "precision": 0.6667,
        "lift": 6.1,
        "rate": 0.11,
    }
    bundle = serve(settings, served, "where-list", evaluation={"hunks": {"where-model (ranked list)": measured}})
    backend = make_backend("auto", lead_target, bundle, settings.adapters_dir)
    assert isinstance(backend, WhereListBackend)
    outcome = review_pull_request(bot_access, lead_target, 51, backend, bundle, mention_id="where-2")
    [posted] = standin.posted_reviews()
    body = posted["review"]["body"]
    assert outcome.comments == [] and posted["comments"] == []
    assert f"Where `{LEAD}` would look" in body and f"Where `{LEAD}` usually comments" in body
    assert "precision 0.67, 6.1× her comment rate of 0.11" in body
    assert "1. `" in body and f"@{LEAD}" not in body
