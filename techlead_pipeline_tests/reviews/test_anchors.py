"""Every anchor the line mapper picks is a line GitHub would accept on its side (the stand-in's rule, on
unidiff's reading of the diff)."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st
from unidiff import PatchSet

from techlead_pipeline.diffs.chunks import chunk_changes
from techlead_pipeline.diffs.patch import parse_diff
from techlead_pipeline.github_standin.pull_diffs import commentable_lines
from techlead_pipeline.reviews.anchors import anchor_at, candidate_lines, is_valid, range_anchor

words = st.sampled_from(["x = 1", "return y", "", "def f():", "    pass", "# note", "print(z)", "}", "if a:"])


@st.composite
def edited_files(draw):
    old = draw(st.lists(words, min_size=0, max_size=60))
    new = list(old)
    for _ in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        pos = draw(st.integers(0, len(new)))
        if op == "insert" or not new:
            new[pos:pos] = draw(st.lists(words, min_size=1, max_size=8))
        elif op == "delete":
            del new[min(pos, len(new) - 1) : min(pos, len(new) - 1) + draw(st.integers(1, 5))]
        else:
            new[min(pos, len(new) - 1)] = draw(words) + " # changed"
    return old, new


@settings(max_examples=300, deadline=None)
@given(edited_files(), st.integers(1, 12), st.integers(0, 5))
def test_anchors_are_lines_of_the_diff(files, max_changed, context):
    old, new = files
    body = "".join(
        difflib.unified_diff([l + "\n" for l in old], [l + "\n" for l in new], "a/f.py", "b/f.py", n=context)
    )
    if not body:
        return
    diff = "diff --git a/f.py b/f.py\n" + body
    [patched] = PatchSet(diff)  # unidiff's own reading, independent of ours
    valid = {
        "RIGHT": {ln.target_line_no for h in patched for ln in h if ln.is_added or ln.is_context},
        "LEFT": {ln.source_line_no for h in patched for ln in h if ln.is_removed or ln.is_context},
    }
    [change] = parse_diff(diff)
    assert commentable_lines(change) == valid  # what the stand-in, like GitHub, accepts
    for chunk in chunk_changes(parse_diff(diff), max_changed=max_changed):
        candidates = candidate_lines(chunk)
        assert candidates
        for line in candidates:
            anchor = anchor_at(chunk, line)
            assert anchor.line in valid[anchor.side]
            assert is_valid(anchor, chunk)
        spanning = range_anchor(chunk, candidates[0], candidates[-1])
        assert is_valid(spanning, chunk) and spanning.line in valid[spanning.side]
        if spanning.start_line is not None:
            assert spanning.start_line in valid[spanning.side]
