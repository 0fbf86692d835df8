"""Diff parsing and chunking on the awkward cases: every kind of file change, huge hunks, huge PRs."""

from __future__ import annotations

import subprocess
import time

import pytest

from techlead_pipeline.diffs.chunks import chunk_changes
from techlead_pipeline.diffs.patch import MalformedDiffError, decode_diff, parse_diff, parse_pull_files
from techlead_pipeline.reviews.anchors import anchor_at, candidate_lines
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


def test_a_deleted_file_from_the_api_is_reviewed_on_the_left():
    """GitHub's /files gives a removed file's hunks only; its deleted lines carry LEFT-side comments."""
    [change] = parse_pull_files(
        [{"filename": "old/util.py", "status": "removed", "patch": "@@ -1,2 +0,0 @@\n-a = 1\n-b = 2"}]
    )
    assert change.skipped is None and change.status == "removed"
    [chunk] = chunk_changes([change])
    anchors = [anchor_at(chunk, line) for line in candidate_lines(chunk)]
    assert [(a.side, a.line) for a in anchors] == [("LEFT", 1), ("LEFT", 2)]


@pytest.mark.parametrize("status", ["added", "removed", "modified", "renamed"])
def test_a_path_holding_space_b_slash_parses_for_every_status(status):
    path = "docs/a b/c b/notes.py"
    patch = {"added": "@@ -0,0 +1 @@\n+x", "removed": "@@ -1 +0,0 @@\n-x"}.get(status, "@@ -1 +1 @@\n-x\n+y")
    [change] = parse_pull_files(
        [{"filename": path, "status": status, "patch": patch, "previous_filename": "docs/old b/x.py"}]
    )
    assert change.skipped is None and change.path == path and chunk_changes([change])


def _git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True).stdout


NAMES = ["café.py", "tab\there.py", 'quote"d.py', "dir b/with b/space.py", "plain.py"]


def test_git_quoted_and_ambiguous_paths_come_out_as_the_real_names(tmp_path):
    """Real git writes these names quoted (`"caf\\303\\251.py"`) or ambiguously (` b/`); we read them back."""
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q")
    for name in NAMES:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("".join(f"line {i}\n" for i in range(20)))
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    for name in NAMES:
        (repo / name).write_text("".join(f"line {i}\n" for i in range(19)) + "changed\n")
    (repo / "plain.py").rename(repo / "renamed é.py")
    _git(repo, "add", "-A")
    raw = _git(repo, "diff", "-M", "--cached")
    assert b'"a/caf\\303\\251.py"' in raw  # git quoted it
    changes = {c.path: c for c in parse_diff(decode_diff(raw))}
    assert set(changes) == {*NAMES[:-1], "renamed é.py"}
    assert all(c.skipped is None for c in changes.values())
    assert changes["renamed é.py"].status == "renamed" and changes["renamed é.py"].old_path == "plain.py"


def test_a_lone_carriage_return_is_part_of_a_line():
    raw = b"diff --git a/w.txt b/w.txt\n--- a/w.txt\n+++ b/w.txt\n@@ -1 +1 @@\n-old\r text\n+new\r text\n"
    [change] = parse_diff(decode_diff(raw))
    assert [ln.text for ln in change.hunks[0].lines] == ["old\r text", "new\r text"]


def test_one_unreadable_file_is_skipped_and_named_the_rest_reviewed():
    text = (
        "diff --git a/bad.py b/bad.py\n--- a/bad.py\n+++ b/bad.py\n@@ -1,5 +1,1 @@\n-a\n"
        "diff --git a/good.py b/good.py\n--- a/good.py\n+++ b/good.py\n@@ -1 +1 @@\n-a\n+b\n"
    )
    changes = {c.path: c for c in parse_diff(text)}
    assert changes["bad.py"].skipped.startswith("its diff could not be read")
    assert changes["good.py"].skipped is None and len(chunk_changes(list(changes.values()))) == 1
    prepared = prepare(list(changes.values()), lambda path: None)
    assert any(s.startswith("`bad.py`") for s in prepared.skipped)


@pytest.mark.parametrize(
    "entry, reason",
    [
        ({"status": "added", "changes": 0, "sha": "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"}, "empty file"),
        ({"status": "changed", "changes": 0}, "mode change only"),
        ({"status": "modified", "changes": 9000}, "diff too large for GitHub to show"),
        ({"status": "renamed", "changes": 0}, "rename only"),
        ({"status": "copied", "changes": 0, "previous_filename": "orig.py"}, "copy only"),
        ({"status": "unchanged", "changes": 0}, "no change"),
    ],
)
def test_files_without_a_patch_are_named_for_what_they_are(entry, reason):
    [change] = parse_pull_files([{"filename": "f", **entry}])
    assert change.skipped == reason


def test_what_was_not_reviewed_is_counted_in_hunks_not_pieces():
    body = "".join(f"+line {i}\n" for i in range(1200))
    one_hunk = {"filename": "gen.py", "status": "added", "patch": f"@@ -0,0 +1,1200 @@\n{body}"}
    prepared = prepare(parse_pull_files([one_hunk]), lambda path: None, max_hunks=10)
    [note] = prepared.skipped
    assert note.startswith("1 more hunk (90 pieces")


def _git(cwd, *args) -> bytes:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, env={**env, "PATH": "/usr/bin:/bin"}
    ).stdout


def test_a_merges_combined_diff_is_refused_with_what_to_do_instead(tmp_path):
    """`git show` of a merge commit writes `diff --cc` (one column per parent), which is no unified diff."""
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "f.py").write_text("a\nb\nc\nd\ne\nf\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    _git(tmp_path, "checkout", "-qb", "side")
    (tmp_path / "f.py").write_text("a\nb\nc\nd\ne\nF\n")
    _git(tmp_path, "commit", "-qam", "side")
    _git(tmp_path, "checkout", "-q", "main")
    (tmp_path / "f.py").write_text("A\nb\nc\nd\ne\nf\n")
    _git(tmp_path, "commit", "-qam", "main")
    _git(tmp_path, "merge", "-q", "--no-edit", "side")
    (tmp_path / "f.py").write_text("A\nb\nX\nd\ne\nF\n")
    _git(tmp_path, "commit", "-q", "--amend", "--no-edit", "-a")  # an evil merge: its own change too
    combined = decode_diff(_git(tmp_path, "show", "--cc", "--format=", "HEAD"))
    assert combined.startswith("diff --cc f.py")
    with pytest.raises(MalformedDiffError, match="combined diff .*against one parent"):
        parse_diff(combined)
    plain = "diff --git a/g.py b/g.py\n--- a/g.py\n+++ b/g.py\n@@ -1 +1 @@\n-x\n+y\n"
    files = {c.path: c for c in parse_diff(combined + plain)}
    assert files["g.py"].hunks and "combined diff" in files["f.py"].skipped
    [against_first_parent] = parse_diff(decode_diff(_git(tmp_path, "diff", "HEAD^1", "HEAD")))
    assert against_first_parent.hunks  # what the message tells the user to do works


@pytest.mark.parametrize("how", ["utf-8 BOM", "PowerShell UTF-16", "CRLF file"])
def test_a_diff_file_made_on_windows_is_read_like_any_other(how, tmp_path):
    """`git diff > f` in PowerShell writes UTF-16 with a BOM; an editor may end every line with CRLF.
    A carriage return that is the code's own (a CRLF source line) survives either way."""
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "x.py").write_bytes(b"a = 1\r\nb = 3\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "x.py").write_bytes(b"a = 2\nb = 3\n")
    text = _git(tmp_path, "diff").decode()  # real git's diff, its `index` line included
    raw = {
        "utf-8 BOM": b"\xef\xbb\xbf" + text.encode(),
        "PowerShell UTF-16": b"\xff\xfe" + text.encode("utf-16-le"),
        "CRLF file": text.replace("\n", "\r\n").encode(),
    }[how]
    [change] = parse_diff(decode_diff(raw))
    assert change.path == "x.py"
    assert [(ln.kind, ln.text) for ln in change.hunks[0].lines] == [("-", "a = 1\r"), ("+", "a = 2"), (" ", "b = 3")]


SPACE_B = "x b/m.py"  # a path whose `diff --git` line reads `a/x b/m.py b/x b/m.py`


def _repo_with_headerless_changes(tmp_path):
    """Real git's three kinds of file section with no `---`/`+++` lines, under paths holding ` b/`:
    a mode-only change, a binary file, an added empty file (and a rename, which git names itself)."""
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "x b").mkdir()
    (tmp_path / SPACE_B).write_text("print(1)\n")
    (tmp_path / "x b/logo b/i.png").parent.mkdir()
    (tmp_path / "x b/logo b/i.png").write_bytes(b"\x89PNG\x00\x01")
    (tmp_path / "old b/n.py").parent.mkdir()
    (tmp_path / "old b/n.py").write_text("".join(f"line {i}\n" for i in range(30)))
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    (tmp_path / SPACE_B).chmod(0o755)
    (tmp_path / "x b/logo b/i.png").write_bytes(b"\x89PNG\x00\x02")
    (tmp_path / "x b/empty b/e.py").parent.mkdir()
    (tmp_path / "x b/empty b/e.py").write_text("")
    (tmp_path / "new b").mkdir()
    (tmp_path / "old b/n.py").rename(tmp_path / "new b/n.py")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "change")
    return decode_diff(_git(tmp_path, "diff", "-M", "HEAD^", "HEAD"))


def test_files_without_hunks_under_paths_holding_space_b_keep_their_names(tmp_path):
    """Issue 22: with no `---`/`+++` lines the name comes from `diff --git` alone, where git
    accepts only the split that names the same path twice."""
    text = _repo_with_headerless_changes(tmp_path)
    assert "diff --git a/x b/m.py b/x b/m.py\nold mode 100644\nnew mode 100755" in text  # real git wrote it
    got = {c.path: (c.old_path, c.status, c.skipped) for c in parse_diff(text)}
    assert got == {
        "x b/m.py": ("x b/m.py", "modified", "no content change (mode or rename only)"),
        "x b/logo b/i.png": ("x b/logo b/i.png", "modified", "binary file"),
        "x b/empty b/e.py": (None, "added", "no content change (mode or rename only)"),
        "new b/n.py": ("old b/n.py", "renamed", "no content change (mode or rename only)"),
    }


def test_the_issues_mode_only_case_and_no_prefix_diffs():
    [mode] = parse_diff("diff --git a/x b/m.py b/x b/m.py\nold mode 100644\nnew mode 100755\n")
    assert (mode.path, mode.old_path, mode.status) == ("x b/m.py", "x b/m.py", "modified")
    # `git diff --no-prefix`: no a/ and b/, the same rule (the name that shows up twice)
    [plain] = parse_diff("diff --git x b/m.py x b/m.py\nold mode 100644\nnew mode 100755\n")
    assert (plain.path, plain.status) == ("x b/m.py", "modified")


def test_the_standins_file_list_names_such_files_as_github_does(tmp_path):
    """GitHub lists a mode change as `modified` under its own name, never as a rename."""
    from techlead_pipeline.github_standin.pull_diffs import pull_diff

    _repo_with_headerless_changes(tmp_path)
    base, head = (_git(tmp_path, "rev-parse", ref).decode().strip() for ref in ("HEAD^", "HEAD"))
    files = {f["filename"]: f for f in pull_diff(tmp_path, base, head).files}
    assert set(files) == {"x b/m.py", "x b/logo b/i.png", "x b/empty b/e.py", "new b/n.py"}
    assert files["x b/m.py"]["status"] == "modified" and "previous_filename" not in files["x b/m.py"]
    assert files["x b/logo b/i.png"]["status"] == "modified" and files["x b/logo b/i.png"]["patch"] is None
    assert files["x b/empty b/e.py"]["status"] == "added"
    assert files["new b/n.py"]["previous_filename"] == "old b/n.py"
