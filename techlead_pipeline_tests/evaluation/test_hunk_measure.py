"""Every held-out hunk judged as the pull request's author lives with it (evaluation/hunk_measure.py)."""

from __future__ import annotations

from techlead_pipeline.evaluation.hunk_measure import HeldOutHunk, paired_f05_difference, summary, verdicts

CODE = "if len(line_items) == 0:\n    return None\nprint('DEBUG', line_items)"


def _hunks() -> list[HeldOutHunk]:
    return [
        HeldOutHunk(1, "1:a.py:0:0", ("nit: `if not line_items:` reads better.",), CODE),
        HeldOutHunk(1, "1:a.py:1:0", (), CODE),
        HeldOutHunk(2, "2:a.py:0:0", ("leftover debug `print`.",), CODE),
        HeldOutHunk(2, "2:a.py:1:0", (), CODE),
        HeldOutHunk(3, "3:a.py:0:0", (), CODE),
    ]


def test_each_draft_is_a_hit_a_false_alarm_noise_unfit_or_silence():
    posted = [
        "nit: `if not line_items:` reads better.",  # where the lead commented
        "leftover debug `print`.",  # where she said nothing
        "No, no, no, no, no",  # below the floor
        "`period_items` is never reset",  # names code that is not there: dropped before posting
        "",
    ]
    assert verdicts(_hunks(), posted) == ["hit", "false_alarm", "noise", "unfit", "silent"]
    row = summary(_hunks(), posted, semantic=False)
    assert (row["posted"], row["hits"], row["false_alarms"], row["noise"], row["unfit"]) == (3, 1, 1, 1, 1)
    assert row["precision"] == round(1 / 3, 4) and row["recall"] == 0.5
    assert row["grounded_share"] == round(2 / 3, 4)  # of the drafts that read as a review
    assert row["lead_grounded_share"] == 1.0


def test_saying_nothing_and_always_speaking_bound_every_system():
    hunks = _hunks()
    nothing = summary(hunks, [""] * 5, semantic=False)
    always = summary(hunks, ["leftover debug `print`."] * 5, semantic=False)
    assert nothing["f05"] == 0.0 and nothing["posted"] == 0
    assert always["recall"] == 1.0 and always["precision"] == 0.4
    d = paired_f05_difference(hunks, [""] * 5, ["leftover debug `print`."] * 5)
    assert d["difference"] < 0 and d["low"] is None  # two commented hunks: too few for an interval


def test_a_draft_asking_for_what_the_code_reads_is_dropped_and_counted():
    hunks = [HeldOutHunk(1, "1:a.py:0:0", (), "if not line_items:\n    return None")]
    assert verdicts(hunks, ["nit: `if not line_items:` reads better."]) == ["already_done"]
    row = summary(hunks, ["nit: `if not line_items:` reads better."], semantic=False)
    assert (row["posted"], row["unfit"], row["already_done"]) == (0, 1, 1)
