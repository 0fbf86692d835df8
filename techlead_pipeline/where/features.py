"""What a where-model reads of a hunk.

Three kinds of features, each a named group (the model reports which groups carry it):
  text      the words of the changed lines, identifiers split into their parts (`parse_rate` ->
            parse, rate), hashed; with a key (the retrieval index's), hashed with it, so the model
            keeps no membership test for a line of her code
  path      the words of the file's path, hashed the same way
  numbers   what kind of change it is, named one by one (NUMERIC): its size, what kind of file,
            whether it adds a function, comments, TODOs, debugging output, imports, tests; how big
            the pull request is; and what her history says of hunks like it (history.py): how near
            it is to code she commented on and to code she passed over (the retrieval index), and
            how near its words are to what she asks about
(Her comment rate per folder was tried and left out: scored with each hunk's own pull request left out,
as it must be, it turned against the hunks of the pull requests she commented on most; the path's
words carry the folder.)
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import PurePosixPath

import numpy as np

WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|[a-z]+|\d+")
DEFINES = re.compile(r"^\s*(async\s+def|def|class|func|function|fn|public|private|protected|static)\b")
COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|\"\"\"|''')")
TODO = re.compile(r"\b(TODO|FIXME|XXX|HACK)\b")
DEBUG = re.compile(r"\b(print|console\.log|println|pdb|breakpoint|debugger|dbg!)\b")
IMPORT = re.compile(r"^\s*(import|from\s+\S+\s+import|use|require|#include|using)\b")
DOCS = {".md", ".rst", ".txt", ".adoc"}
CONFIG = {".yml", ".yaml", ".toml", ".json", ".cfg", ".ini", ".lock", ".txt", ".env", ".xml"}
NOTEBOOK = {".ipynb"}

# The named numbers, in the order of a row's vector; `group` says which ablation group each is in.
NUMERIC = {
    "log_added": "size",
    "log_removed": "size",
    "only_removes": "size",
    "new_file": "kind of change",
    "deleted_file": "kind of change",
    "renamed_file": "kind of change",
    "test_file": "kind of change",
    "docs_file": "kind of change",
    "config_file": "kind of change",
    "notebook_file": "kind of change",
    "adds_definition": "what it adds",
    "adds_comment": "what it adds",
    "adds_todo": "what it adds",
    "adds_debug_output": "what it adds",
    "import_share": "what it adds",
    "top_of_file": "what it adds",
    "log_pull_hunks": "pull request",
    "log_file_hunks": "pull request",
    "near_her_comment": "her history",
    "near_her_silence": "her history",
    "near_her_asks": "her history",
}
SIZE_ONLY = ("log_added", "log_removed")  # the plain baseline's numbers
# The sets of numbers a where-model tries beside the words (the best out of fold is kept, the simplest
# on a tie): on a thin history, fewer numbers overfit less.
NUMBER_SETS = {
    "the plain baseline's": SIZE_ONLY,  # where no more can be shown to help, it is the plain baseline
    "words, size and the pull request's": SIZE_ONLY + ("log_pull_hunks", "log_file_hunks"),
    "the change itself": tuple(n for n, g in NUMERIC.items() if g != "her history"),
    "the change and her history": tuple(NUMERIC),
}


def words(text: str) -> list[str]:
    """Lower-case word parts: `parseRate_limit2` -> parse, rate, limit, 2."""
    return [w.lower() for w in WORD.findall(text or "")]


def changed_lines(hunk_text: str) -> tuple[list[str], list[str]]:
    """(added, removed) lines of a chunk's diff text (its `@@` header left out)."""
    added, removed = [], []
    for line in (hunk_text or "").split("\n"):
        if line.startswith("@@") or line.startswith("\\"):
            continue
        if line.startswith("+"):
            added.append(line[1:])
        elif line.startswith("-"):
            removed.append(line[1:])
    return added, removed


def changed_text(hunk_text: str) -> str:
    added, removed = changed_lines(hunk_text)
    return "\n".join(added + removed)


def file_kind(path: str) -> str:
    p = PurePosixPath(path)
    name, suffix = p.name.lower(), p.suffix.lower()
    if "test" in name or any(part in ("test", "tests", "spec") for part in p.parts[:-1]):
        return "test"
    if suffix in NOTEBOOK:
        return "notebook"
    if suffix in DOCS or "docs" in p.parts[:-1] or name.startswith("readme"):
        return "docs"
    if suffix in CONFIG or name.startswith(".") or name in ("dockerfile", "makefile"):
        return "config"
    return suffix or "none"


def folder_of(path: str) -> str:
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent


def intrinsic(text: str, path: str, status: str, hunk_index: int) -> dict[str, float]:
    """The numbers a hunk carries by itself."""
    added, removed = changed_lines(text)
    kind = file_kind(path)
    changed = added + removed
    return {
        "log_added": math.log1p(len(added)),
        "log_removed": math.log1p(len(removed)),
        "only_removes": float(bool(removed) and not added),
        "new_file": float(status == "added"),
        "deleted_file": float(status in ("removed", "deleted")),
        "renamed_file": float(status == "renamed"),
        "test_file": float(kind == "test"),
        "docs_file": float(kind == "docs"),
        "config_file": float(kind == "config"),
        "notebook_file": float(kind == "notebook"),
        "adds_definition": float(any(DEFINES.match(x) for x in added)),
        "adds_comment": float(any(COMMENT.match(x) for x in added)),
        "adds_todo": float(any(TODO.search(x) for x in added)),
        "adds_debug_output": float(any(DEBUG.search(x) for x in added)),
        "import_share": sum(bool(IMPORT.match(x)) for x in changed) / len(changed) if changed else 0.0,
        "top_of_file": float(hunk_index == 0),
    }


def hunk_index_of(chunk_id: str) -> int:
    """The hunk's place in its file, from a chunk id `PR:path:hunk:chunk` (0 where unknown)."""
    parts = str(chunk_id).rsplit(":", 2)
    try:
        return int(parts[-2])
    except (IndexError, ValueError):
        return 0


class KeyedWords:
    """`words`, each replaced by its keyed BLAKE2b digest (as the retrieval index hashes its n-grams:
    reviews/backends/retrieval_index.py), or as they are without a key."""

    def __init__(self, key: bytes | None):
        self._key = key
        self._digests: dict[str, str] = {}

    def __call__(self, text: str) -> list[str]:
        found = words(text)
        if self._key is None:
            return found
        out = []
        for w in found:
            digest = self._digests.get(w)
            if digest is None:
                digest = self._digests[w] = hashlib.blake2b(w.encode(), key=self._key, digest_size=8).hexdigest()
            out.append(digest)
        return out


def numeric_matrix(rows: list[dict[str, float]], names: tuple[str, ...]) -> np.ndarray:
    return np.array([[row.get(n, 0.0) for n in names] for row in rows], dtype=float).reshape(len(rows), len(names))
