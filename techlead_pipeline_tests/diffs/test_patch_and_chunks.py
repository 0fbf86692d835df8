"""Diff parsing and chunking on the awkward cases: every kind of file change, huge hunks, huge PRs."""

from __future__ import annotations

import time

import pytest

from techlead_pipeline.diffs.chunks import chunk_changes
from techlead_pipeline.diffs.patch import MalformedDiffError, parse_diff, parse_pull_files
from techlead_pipeline.reviews.hunks import prepare

KINDS = """diff --git a/new.py b/new.py
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/new.py
@@ -0,0 +1,2 @@
+x = 1
+y = 2
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 2222222..0000000
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
-a = 1
-b = 2
diff --git a/old_name.py b/new_name.py
similarity index 90%
rename from old_name.py
rename to new_name.py
index 3333333..4444444 100644
--- a/old_name.py
+++ b/new_name.py
@@ -1,3 +1,3 @@
 def f():
-    return 1
+    return 2
 # end
diff --git a/logo.png b/logo.png
index 5555555..6666666 100644
Binary files a/logo.png and b/logo.png differ
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
diff --git a/cfg.toml b/cfg.toml
index 7777777..8888888 100644
--- a/cfg.toml
+++ b/cfg.toml
@@ -1 +1 @@
-a = 1
\\ No newline at end of file
+a = 2
\\ No newline at end of file
"""


def test_every_kind_of_file_change():
    changes = {c.path: c for c in parse_diff(KINDS)}
    assert changes["new.py"].status == "added" and changes["new.py"].old_path is None
    assert changes["gone.py"].status == "removed"
    assert changes["new_name.py"].status == "renamed" and changes["new_name.py"].old_path == "old_name.py"
    assert changes["logo.png"].skipped == "binary file"
    assert changes["run.sh"].skipped.startswith("no content change")
    assert changes["cfg.toml"].hunks[0].no_newline_at_end
    assert [ln.text for ln in changes["cfg.toml"].hunks[0].lines] == ["a = 1", "a = 2"]
    chunks = {c.path: c for c in chunk_changes(list(changes.values()))}
    assert set(chunks) == {"new.py", "gone.py", "new_name.py", "cfg.toml"}
    assert [ln.old_no for ln in chunks["gone.py"].removed] == [1, 2]


def test_a_ten_thousand_line_hunk_becomes_bounded_chunks():
    body = "".join(f"+line {i}\n" for i in range(10_000))
    diff = f"diff --git a/big.py b/big.py\n--- a/big.py\n+++ b/big.py\n@@ -0,0 +1,10000 @@\n{body}"
    started = time.perf_counter()
    chunks = chunk_changes(parse_diff(diff), max_changed=12)
    assert time.perf_counter() - started < 10
    assert len(chunks) == -(-10_000 // 12)
    assert all(len(c.changed) <= 12 for c in chunks)
    assert [ln.new_no for c in chunks for ln in c.added] == list(range(1, 10_001))


def test_a_thousand_file_pull_request_is_capped_with_a_reason():
    files = [
        {"filename": f"pkg/m{i}.py", "status": "modified", "patch": "@@ -1,1 +1,1 @@\n-a\n+b"} for i in range(1000)
    ]
    files.append({"filename": "vendor/blob.bin", "status": "modified", "patch": None})
    prepared = prepare(parse_pull_files(files), lambda path: None, max_hunks=300)
    assert len(prepared.hunks) == 300
    assert any("700 more hunks" in s for s in prepared.skipped)
    assert any(s.startswith("`vendor/blob.bin`") for s in prepared.skipped)


@pytest.mark.parametrize(
    "text", ["@@ -1,2 +1,2 @@\n-a\n+b\n", "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,5 +1,1 @@\n-a\n"]
)
def test_malformed_diffs_are_a_clear_error(text):
    with pytest.raises(MalformedDiffError, match="I could not read this diff"):
        parse_diff(text)
