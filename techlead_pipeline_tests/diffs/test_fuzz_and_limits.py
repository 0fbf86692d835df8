"""Arbitrary text never makes the diff path raise anything but a clear MalformedDiffError, and what it
does accept always yields valid anchors; pathological pull requests stay within bounded time."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techlead_pipeline.diffs.chunks import chunk_changes
from techlead_pipeline.diffs.patch import MalformedDiffError, parse_diff, parse_pull_files
from techlead_pipeline.reviews.anchors import anchor_at, candidate_lines, is_valid
from techlead_pipeline.reviews.hunks import prepare
from techlead_pipeline_tests.diffs.test_patch_and_chunks import KINDS

SPECIAL = """diff --git a/vendor/lib b/vendor/lib
index 1111111..2222222 160000
--- a/vendor/lib
+++ b/vendor/lib
@@ -1 +1 @@
-Subproject commit 1111111111111111111111111111111111111111
+Subproject commit 2222222222222222222222222222222222222222
diff --git a/current b/current
new file mode 120000
index 0000000..3333333
--- /dev/null
+++ b/current
@@ -0,0 +1 @@
+releases/2024-11-04
\\ No newline at end of file
"""

diff_ish = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "diff --git a/x.py b/x.py",
                "--- a/x.py",
                "+++ b/x.py",
                "--- /dev/null",
                "+++ /dev/null",
                "@@ -1,3 +1,4 @@",
                "@@ -0,0 +1 @@",
                "@@ -5 +5,2 @@ def f():",
                " context",
                "+added",
                "-removed",
                "\\ No newline at end of file",
                "Binary files a/x and b/x differ",
                "new file mode 100644",
                "index 1234567..89abcde 100644",
                "",
            ]
        ),
        st.text(max_size=40),
    ),
    max_size=40,
).map("\n".join)


def exercise(text: str) -> None:
    try:
        changes = parse_diff(text)
    except MalformedDiffError as exc:
        assert str(exc).startswith("I could not read this diff")
        return
    for chunk in chunk_changes(changes):
        for line in candidate_lines(chunk):
            assert is_valid(anchor_at(chunk, line), chunk)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(diff_ish)
def test_diff_like_text(text):
    exercise(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text(text):
    exercise(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(KINDS) - 1), st.integers(1, 40), st.text(max_size=20))
def test_mutated_real_diffs(cut, length, noise):
    exercise(KINDS[:cut] + noise + KINDS[cut + length :])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "filename": st.text(min_size=1, max_size=30),
                "status": st.sampled_from(["added", "removed", "modified", "renamed"]),
                "patch": st.one_of(st.none(), diff_ish),
            }
        ),
        max_size=5,
    )
)
def test_pull_request_files_from_the_api(files):
    for change in parse_pull_files(files):
        for chunk in chunk_changes([change]):
            for line in candidate_lines(chunk):
                assert is_valid(anchor_at(chunk, line), chunk)


def test_submodule_and_symlink_changes_are_skipped_with_a_reason():
    changes = {c.path: c.skipped for c in parse_diff(SPECIAL)}
    assert changes == {"vendor/lib": "submodule pointer change", "current": "symbolic link"}
    from_api = parse_pull_files(
        [
            {
                "filename": "vendor/lib",
                "status": "modified",
                "patch": "@@ -1 +1 @@\n-Subproject commit 1\n+Subproject commit 2",
            }
        ]
    )
    assert from_api[0].skipped == "submodule pointer change"


def test_a_pathological_pull_request_is_prepared_in_bounded_time():
    huge = "".join(f"+line {i} " + "x" * 80 + "\n" for i in range(10_000))
    files = [
        {"filename": f"gen/m{i}.py", "status": "added", "patch": f"@@ -0,0 +1,10000 @@\n{huge}"} for i in range(3)
    ] + [{"filename": f"pkg/m{i}.py", "status": "modified", "patch": "@@ -1 +1 @@\n-a\n+b"} for i in range(1000)]
    started = time.perf_counter()
    prepared = prepare(parse_pull_files(files), lambda path: None, max_hunks=300)
    assert time.perf_counter() - started < 60
    assert len(prepared.hunks) == 300 and any("more hunks" in s for s in prepared.skipped)
    assert all(len(h.candidates) <= 40 for h in prepared.hunks)
