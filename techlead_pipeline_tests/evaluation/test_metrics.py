"""Every metric on cases small enough to check by hand."""

from __future__ import annotations

import pytest

from techlead_pipeline.evaluation.metrics import bleu4, rouge_l, semantic_similarity, when_score
from techlead_pipeline.evaluation.voice import VoiceClassifier


def test_bleu4():
    assert bleu4(["the cat sat on the mat"], ["the cat sat on the mat"]) == 100.0
    assert bleu4(["completely different words here"], ["the cat sat on the mat"]) == 0.0
    assert 0 < bleu4(["the cat sat on a mat today"], ["the cat sat on the mat"]) < 100
    assert bleu4([], []) == 0.0


def test_rouge_l():
    # LCS("a b x d", "a b c d") = "a b d": precision 3/4, recall 3/4, F1 0.75
    assert rouge_l(["a b x d"], ["a b c d"]) == 0.75
    assert rouge_l(["a b", ""], ["a b", "c"]) == 0.5  # saying nothing scores 0


def test_semantic_similarity():
    assert semantic_similarity(["use a timeout here"], ["use a timeout here"]) == pytest.approx(1.0, abs=1e-3)
    assert semantic_similarity([""], ["use a timeout here"]) == 0.0
    close = semantic_similarity(["please add a timeout to this request"], ["no timeout on this call"])
    far = semantic_similarity(["the logo is blurry"], ["no timeout on this call"])
    assert close > far


def test_when_score():
    s = when_score([True, True, False, False], [True, False, True, False])
    assert (s.precision, s.recall, s.f1, s.hunks) == (0.5, 0.5, 0.5, 4)
    assert when_score([False, False], [True, False]).f1 == 0.0
    assert when_score([True, True], [True, True]).f1 == 1.0


def test_voice_tells_the_reviewer_from_the_others():
    lead = [f"nit: drop `{w}` — not blocking" for w in ("x", "y", "z", "print", "keys", "sleep")]
    others = [f"Could you please reconsider the {w} here?" for w in ("name", "loop", "test", "import", "docs", "type")]
    voice = VoiceClassifier(lead, others)
    assert voice.score(["nit: drop `foo` — not blocking"]) > 0.5 > voice.score(["Could you please rename this?"])
    assert voice.score([""]) == 0.0
    assert VoiceClassifier(lead[:2], others).score(["anything"]) is None  # too little to contrast


def test_scoring_rouge_leaves_no_handler_that_closes_a_redirected_stderr():
    """rouge-score's absl keeps the stderr of its import in a logging handler and closes it when logging
    shuts handlers down (as logging.config.dictConfig does), unless it is sys.stderr by then: a stderr
    since redirected (a progress bar's, a captured test's) was closed under its owner."""
    import io

    from absl import logging as absl_logging

    redirected = io.StringIO()
    absl_logging.get_absl_handler().python_handler.stream = redirected  # sys.stderr when absl was imported
    rouge_l(["a b"], ["a c"])
    absl_logging.get_absl_handler().python_handler.close()  # what logging.shutdown() does to each handler
    assert not redirected.closed
