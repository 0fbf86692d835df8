"""Partition keys survive any GitHub name and never hold a path separator."""

from __future__ import annotations

import pytest
from dagster._core.definitions.partitions.utils.base import INVALID_PARTITION_SUBSTRINGS
from hypothesis import given
from hypothesis import strategies as st

from techlead_pipeline.common.partitions import InvalidNameError, from_key, reviewer_repo

logins = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9-]{0,38}\Z")
repo_names = st.from_regex(r"\A[A-Za-z0-9._-]{1,100}\Z").filter(lambda n: n not in (".", ".."))


@given(reviewer=logins, owner=logins, name=repo_names)
def test_round_trip_and_safe_characters(reviewer, owner, name):
    target = reviewer_repo(reviewer, f"{owner}/{name}")
    key = target.key
    assert "/" not in key and not any(bad in key for bad in INVALID_PARTITION_SUBSTRINGS)
    back = from_key(key)
    assert (back.reviewer, back.owner, back.name) == (reviewer.lower(), owner.lower(), name.lower())


def test_old_logins_with_trailing_or_doubled_hyphens_are_accepted():
    """GitHub once allowed them, and those accounts still exist."""
    assert reviewer_repo("old-", "o/r").key == "old-@o+r"
    assert reviewer_repo("a--b", "o/r").reviewer == "a--b"


def test_examples():
    assert reviewer_repo("Mira-Kovacs", "acme-labs/billing_core.py").key == "mira-kovacs@acme-labs+billing_core.py"
    assert reviewer_repo("a", "o/x...y").key == "a@o+x%2E%2E%2Ey"


@pytest.mark.parametrize(
    "reviewer,repo",
    [
        ("-bad", "o/r"),
        ("ok", "o"),
        ("ok", "o/.."),
        ("ok", "o/a/b"),
        ("x" * 40, "o/r"),
        ("bot[bot]", "o/r"),
    ],
)
def test_invalid_names_are_refused(reviewer, repo):
    with pytest.raises(InvalidNameError):
        reviewer_repo(reviewer, repo)
