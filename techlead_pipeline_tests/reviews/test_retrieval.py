"""The retrieval index: nearest comment above the calibrated threshold, silence otherwise."""

from __future__ import annotations

from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex
from techlead_pipeline.training_data.keys import retrieval_key
from techlead_pipeline.training_data.prompts import NO_COMMENT


def key(line: str) -> str:
    return retrieval_key([line], 0)


def build():
    rows = []
    for pr, var in enumerate(["entry", "payment", "refund", "batch", "line", "period"]):
        rows.append((key(f"if {var} == None:"), "nit: `is None`, not `== None`.", pr))
        rows.append((key(f'print("DEBUG", {var})'), "leftover debug `print`.", pr))
        rows.append((key('return {"customer": customer_id}'), NO_COMMENT, pr))
    keys = [r[0] for r in rows]
    entries = [{"response": r[1], "pull_number": r[2]} for r in rows]
    return RetrievalIndex.build(keys, entries)


def test_nearest_comment_and_silence():
    index = build()
    matches = index.best(
        [
            key("if invoice == None:"),
            key('print("DEBUG", invoice)'),
            key('return {"customer": customer_id}'),
            key("frobnicate(quux, 42)"),
        ]
    )
    answers = [index.answer(m) for m in matches]
    assert answers[:3] == ["nit: `is None`, not `== None`.", "leftover debug `print`.", None]
    assert answers[3] is None  # nothing like it: below the threshold
    assert 0.2 <= index.threshold <= 0.9


def test_without_silences_to_learn_from_retrieval_always_speaks_like_every_backend():
    """crc-py holds comments only: no threshold can be learned, and the rule for every backend is then
    to speak (calibrate_silence does the same for the generative ones), not a fixed cut-off."""
    keys = [key(f"if {v} == None:") for v in ("entry", "payment", "refund")]
    entries = [{"response": "nit: `is None`.", "pull_number": pr} for pr in range(3)]
    index = RetrievalIndex.build(keys, entries)
    [far] = index.best([key("frobnicate(quux, 42)")])
    assert index.answer(far) == "nit: `is None`."


def test_save_and_load_round_trip_keeps_no_code(tmp_path):
    index = build()
    index.save(tmp_path / "idx")
    loaded = RetrievalIndex.load(tmp_path / "idx")
    q = [key("if entry == None:")]
    assert loaded.best(q)[0].response == index.best(q)[0].response and loaded.threshold == index.threshold
    for path in (tmp_path / "idx").iterdir():
        assert b"DEBUG" not in path.read_bytes() or path.name == "entries.json"  # answers only, never keys
