"""A private, blob-less local mirror of a GitHub repository, and every object fetched explicitly.

The mirror is a partial clone (`--filter=blob:none`): one `git fetch` brings the commits and trees
of the branches and pull-request heads the history needs, and no file contents. The contents are
then fetched in a few batches by object id, so what crosses the network grows with the files
commented on, not with the repository.

Real histories lose objects: a commit force-pushed away, a blob GitHub no longer has. GitHub then
refuses a fetch *as a whole* (`upload-pack: not our ref <sha>`), the objects that do exist with it.
So a refused request is retried without the object it names (or split in halves when it names
none), every object that exists is kept, and what is gone is counted by kind (`gaps()`). Nothing is
ever fetched lazily: every git command that reads the mirror runs with lazy fetching off, because a
lazy fetch of a missing object kills the reading process (`git cat-file --batch` dies, `git diff`
fails whole), and a lazy fetch would not carry the installation's credentials. Every request to
GitHub is one of the explicit fetches here, and each carries them (in an environment variable,
never on disk or on a command line).
"""

from __future__ import annotations

import base64
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from github import GithubException

from ..common.errors import UserFacingError
from ..common.gitcmd import BlobReader, GitError, git_env, git_text, run_git
from ..github_api.client import GitHubAccess

log = logging.getLogger(__name__)

COMMIT, FILE_VERSION = "commits", "file versions"
_REFUSED = re.compile(r"not our ref ([0-9a-f]{40})")
_NULL = "0" * 40

# Local reads never reach the network: a missing object is an error, never a fetch.
_OFFLINE = {"GIT_NO_LAZY_FETCH": "1", "GIT_ALLOW_PROTOCOL": "none"}


class RepoMirror:
    """A bare mirror in a private temporary folder; delete it with `close()` (or `with`)."""

    BATCH = 4000  # object ids per batched fetch
    SPLIT_AFTER = 3  # refusals of one batch that each named an object, before it is split in halves
    GIVE_UP_AFTER = 8  # failed requests in a row that named nothing: GitHub is not answering

    def __init__(self, access: GitHubAccess, parent: Path | None = None):
        self.access = access
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="mirror-", dir=parent))
        self.git_dir = self.root / "repo.git"
        self._reader: BlobReader | None = None
        self.fetches = 0
        self.refused_fetches = 0
        self.api_reads = 0
        self.blobs_fetched = 0
        self.present: set[str] = set()  # blobs fetched (a blob-less mirror has no others)
        self.gone: dict[str, set[str]] = {COMMIT: set(), FILE_VERSION: set()}  # GitHub refused them
        self.unanswered: dict[str, set[str]] = {COMMIT: set(), FILE_VERSION: set()}  # GitHub did not answer
        self.left_out: list[tuple[int, str]] = []  # (pull request, path) left out of a reviewed diff
        self.passes_without_diff: list[int] = []  # pull requests whose reviewed diff could not be made
        self._commits: dict[str, bool] = {}
        self._entries: dict[tuple[str, str], tuple[str, str] | None] = {}
        self._api_cache: dict[tuple[str, str], bytes | None] = {}
        self._old_sides: dict[tuple[str, str | None], str] = {}

    # -- environments -------------------------------------------------------------------------

    def _env(self) -> dict:
        """For requests to GitHub: the installation's credentials, as an extra header."""
        return git_env(config=self.access.git_config())

    @staticmethod
    def _offline_env() -> dict:
        return git_env(_OFFLINE)

    def git(self, *args: str) -> str | None:
        """A local git command's output, or None when it fails (an object it needs is not here)."""
        try:
            return git_text(list(args), self.git_dir, env=self._offline_env()).strip()
        except GitError:
            return None

    # -- fetching -----------------------------------------------------------------------------

    def fetch_all(self, default_branch: str | None = None, pulls: Iterable[int] | None = None) -> None:
        """Commits and trees, no file contents. Of every branch and pull-request head, or, given
        `pulls`, of the default branch and those pull requests' heads only: what the comments read."""
        run_git(["init", "-q", "--bare", str(self.git_dir)])
        for key, value in (
            ("remote.origin.url", self.access.clone_url()),  # no credentials in it: they go in a header
            ("remote.origin.promisor", "true"),
            ("remote.origin.partialclonefilter", "blob:none"),
            ("core.repositoryformatversion", "1"),
            ("extensions.partialClone", "origin"),
        ):
            run_git(["config", key, value], self.git_dir)
        if pulls is None:
            refspecs = ["+refs/heads/*:refs/heads/*", "+refs/pull/*/head:refs/pull/*/head"]
        else:
            refspecs = [f"+refs/pull/{int(n)}/head:refs/pull/{int(n)}/head" for n in sorted(set(pulls))]
            if default_branch:
                refspecs.insert(0, f"+refs/heads/{default_branch}:refs/heads/{default_branch}")
        if refspecs:
            run_git(
                ["fetch", "-q", "--no-tags", "--filter=blob:none", "origin", "--stdin"],
                self.git_dir,
                input="\n".join(refspecs).encode() + b"\n",
                env=self._env(),
            )
            self.fetches += 1
        self._commits.clear()

    def _fetch_ids(self, ids: list[str], kind: str) -> set[str]:
        """Fetch objects by id in batches; on a refusal, go on without what was refused. Returns the
        ids fetched."""
        args = ["-c", "fetch.negotiationAlgorithm=noop", "fetch", "-q", "origin", "--no-tags"]
        args += ["--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin"]
        pending = [(ids[i : i + self.BATCH], 0) for i in range(0, len(ids), self.BATCH)]
        fetched: set[str] = set()
        silent_failures = 0
        while pending:
            batch, refusals = pending.pop()
            try:
                run_git(args, self.git_dir, input="\n".join(batch).encode() + b"\n", env=self._env())
                self.fetches += 1
                fetched.update(batch)
                self._close_reader()  # a new pack: the next read starts a reader that sees it
                silent_failures = 0
                continue
            except GitError as exc:
                self.refused_fetches += 1
                named = set(_REFUSED.findall(str(exc))) & set(batch)
            if named:  # GitHub names what it no longer has: the rest is asked for again
                self.gone[kind] |= named
                rest = [o for o in batch if o not in named]
                if rest and refusals + 1 >= self.SPLIT_AFTER and len(rest) > 1:
                    half = len(rest) // 2
                    pending += [(rest[:half], 0), (rest[half:], 0)]
                elif rest:
                    pending.append((rest, refusals + 1))
                continue
            silent_failures += 1
            if silent_failures >= self.GIVE_UP_AFTER:
                left = batch + [o for b, _ in pending for o in b]
                self.unanswered[kind].update(left)
                log.warning(
                    "GitHub did not answer for %d %s; the examples that need them are left out", len(left), kind
                )
                break
            if len(batch) > 1:  # refused without a name (or a 502, a timeout): halves, to find it
                half = len(batch) // 2
                pending += [(batch[:half], refusals), (batch[half:], refusals)]
            else:
                self.unanswered[kind].update(batch)
        return fetched

    def _tried(self, kind: str) -> set[str]:
        """What was asked for and not given (gone, or GitHub did not answer): never asked again."""
        return self.gone[kind] | self.unanswered[kind]

    def fetch_commits(self, shas: Iterable[str]) -> None:
        """Commits no ref reaches any more (force-pushed away: GitHub serves them by SHA while it has
        them), with their trees."""
        shas = set(shas)
        if _NULL in shas:
            self.gone[COMMIT].add(_NULL)
        missing = sorted(s for s in shas - self._tried(COMMIT) if s and not self.has_commit(s))
        if missing and self._fetch_ids(missing, COMMIT):
            # a fetched commit brings its ancestors: what was "not here" may be now; what was here stays
            self._commits = {sha: here for sha, here in self._commits.items() if here}

    def prefetch(self, oids: Iterable[str]) -> None:
        """File contents by object id, in a few batched fetches (not one request per file)."""
        wanted = sorted(o for o in set(oids) - self.present - self._tried(FILE_VERSION) if o and o != _NULL)
        if wanted:
            got = self._fetch_ids(wanted, FILE_VERSION)
            self.present |= got
            self.blobs_fetched += len(got)

    # -- reading ------------------------------------------------------------------------------

    def has_commit(self, sha: str) -> bool:
        """Whether the commit is here (never fetched to find out)."""
        if sha not in self._commits:
            self._commits[sha] = self.git("cat-file", "-e", f"{sha}^{{commit}}") is not None
        return self._commits[sha]

    def _note_entry(self, commit: str, path: str, kind: str, oid: str) -> None:
        self._entries[(commit, path)] = (kind, oid)

    def blob_ids(self, wanted: dict[str, set[str]]) -> set[str]:
        """Object ids of `path`s at `commit`s ({commit: paths}), read from trees alone."""
        out: set[str] = set()
        for commit, paths in wanted.items():
            paths = sorted(p for p in paths if p)
            if not self.has_commit(commit):
                continue
            for start in range(0, len(paths), 500):
                chunk = paths[start : start + 500]
                raw = self.git("--literal-pathspecs", "ls-tree", "-z", commit, "--", *chunk)
                for path in chunk:
                    self._entries.setdefault((commit, path), None)  # not in the tree: deleted or renamed
                for entry in (raw or "").split("\0"):
                    meta, _, path = entry.partition("\t")
                    parts = meta.split()
                    if len(parts) == 3:
                        self._note_entry(commit, path, parts[1], parts[2])
                        if parts[1] == "blob":
                            out.add(parts[2])
        return out

    def changed_files(self, base: str, head: str) -> list[tuple[str, str, str]]:
        """(path, old blob, new blob) of every file `head` changed since `base` (trees alone, no
        renames; a side the file does not exist on is all zeros)."""
        raw = self.git("diff", "--raw", "-z", "--no-renames", "--no-abbrev", base, head)
        fields = (raw or "").split("\0")
        out = []
        for meta, path in zip(fields, fields[1:]):
            if meta.startswith(":"):
                parts = meta.split()
                out.append((path, parts[2], parts[3]))
                if parts[2] != _NULL:
                    self._note_entry(base, path, "blob", parts[2])
                if parts[3] != _NULL:
                    self._note_entry(head, path, "blob", parts[3])
        return out

    def missing_blobs(self, files: list[tuple[str, str, str]]) -> set[str]:
        """The paths among `files` whose contents on either side are not here."""
        return {path for path, old, new in files if any(o != _NULL and o not in self.present for o in (old, new))}

    def _entry(self, sha: str, path: str) -> tuple[str, str] | None:
        if (sha, path) not in self._entries:
            self.blob_ids({sha: {path}})
        return self._entries.get((sha, path))

    @property
    def reader(self) -> BlobReader:
        if self._reader is None or not self._reader.alive:
            self._reader = BlobReader(self.git_dir, env=self._offline_env())
        return self._reader

    def read(self, sha: str, path: str) -> bytes | None:
        """The file at a commit; None when it is not there (deleted, renamed, a folder) or GitHub no
        longer has it. A version that is gone costs the one example that reads it."""
        if not self.has_commit(sha):
            self.fetch_commits({sha})
            if not self.has_commit(sha):  # gone: the contents API has it no more than git does
                return None if sha in self.gone[COMMIT] else self._read_via_api(sha, path)
        entry = self._entry(sha, path)
        if entry is None or entry[0] != "blob":
            return None
        oid = entry[1]
        self.prefetch({oid})
        if oid not in self.present:
            return None
        found = self.reader.read(oid)
        return found[1] if found is not None and found[0] == "blob" else None

    def why_unreadable(self, sha: str, path: str) -> str | None:
        """ "commit_gone" or "file_gone" when GitHub no longer has what `read` needed, else None."""
        if sha in self.gone[COMMIT]:
            return "commit_gone"
        entry = self._entries.get((sha, path))
        return "file_gone" if entry is not None and entry[1] in self.gone[FILE_VERSION] else None

    def _read_via_api(self, sha: str, path: str) -> bytes | None:
        """The last resort, once per (sha, path): a commit git could not fetch (GitHub did not answer)."""
        key = (sha, path)
        if key not in self._api_cache:
            self.api_reads += 1
            try:
                content = self.access.rest.get(
                    f"/repos/{self.access.repo_name}/contents/{quote(path)}", f"reading {path}", {"ref": sha}
                )
                encoded = content.get("content") if isinstance(content, dict) else None
                data = base64.b64decode(encoded) if encoded and content.get("encoding") == "base64" else None
            except (GithubException, UserFacingError):
                data = None
            self._api_cache[key] = data
        return self._api_cache[key]

    def first_parent(self, sha: str) -> str | None:
        return self.git("rev-parse", f"{sha}^1")

    def merge_base(self, a: str, b: str) -> str | None:
        return self.git("merge-base", a, b) or None

    def old_side(self, sha: str, base_sha: str | None) -> str:
        """The commit a pull request's diff at `sha` starts from, as GitHub computes it: the merge base
        of the PR's base and `sha` (the parent of `sha` is wrong for a PR of several commits)."""
        key = (sha, base_sha)
        if key not in self._old_sides:
            found = self.merge_base(base_sha, sha) if base_sha else None
            self._old_sides[key] = found or self.first_parent(sha) or sha
        return self._old_sides[key]

    # -- what the history could not give ------------------------------------------------------

    def gaps(self) -> dict[str, int]:
        """What GitHub could not give, by kind, and what that cost (for the asset's metadata)."""
        return {
            "commits gone": len(self.gone[COMMIT] - {_NULL}),
            "file versions gone": len(self.gone[FILE_VERSION]),
            "objects GitHub did not answer for": len(self.unanswered[COMMIT] | self.unanswered[FILE_VERSION]),
            "files left out of reviewed diffs": len(self.left_out),
            "review passes without a diff": len(self.passes_without_diff),
            "refused requests retried": self.refused_fetches,
        }

    def log_gaps(self) -> None:
        gaps = self.gaps()
        if any(gaps[k] for k in list(gaps)[:3]):
            log.warning(
                "GitHub no longer has %d commits and %d file versions this history refers to (force-pushed "
                "away or removed); every object that exists was fetched, and only the examples that need "
                "the missing ones are left out (%d files of reviewed diffs, %d review passes)",
                gaps["commits gone"],
                gaps["file versions gone"],
                gaps["files left out of reviewed diffs"],
                gaps["review passes without a diff"],
            )

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def close(self) -> None:
        self._close_reader()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "RepoMirror":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
