"""A large repository for scale measurements, built on the fly (never committed) and deterministic:
`N` pull requests over ~2,000 files and several thousand commits, a lead who reviews ~40 % of them
(about 6,000 comments at N = 3,000) among other reviewers and replies, a few large and binary files,
and force-pushed pull requests whose reviewed commit no ref reaches any more (GitHub still serves
it by SHA; so does the stand-in).

History is written with `git fast-import` (thousands of commits in seconds). Pull requests are
sequential: each branches from the default branch, is reviewed, and is merged before the next.
Review comments sit on lines the pull request added, with the diff hunk GitHub would show.
"""

from __future__ import annotations

import json
import random
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ..common.gitcmd import git_env, run_git
from ..github_standin.pull_diffs import diff_position, hunk_up_to, pull_diff
from .records import app_private_key_pem, token_of

OWNER, NAME = "bigcorp", "monorepo"
REPO = f"{OWNER}/{NAME}"
LEAD = "lead-dev"
BOT = "tech-lead-bot"
APP_ID, INSTALLATION_ID = 5151, 888
T0 = datetime(2022, 1, 3, 9, 0, tzinfo=timezone.utc)
LEAD_REMARKS = (
    "nit: `is None`, not `== None`.",
    "this needs a test: the empty-list case will bite us.",
    "let's not log the raw payload here; it can hold tokens.",
    "magic number: name it, please.",
    "prefer a `with` block so the file is closed on errors.",
    "this loop is quadratic in the number of rows; a dict lookup would do.",
    "please keep the public api typed.",
    "why catch `Exception` here? catch what `parse()` raises.",
)
OTHER_REMARKS = ("Could you add a docstring?", "LGTM modulo naming.", "Is this covered by CI?", "typo here")
REPLIES = ("done", "fixed, thanks", "good catch", "will do in a follow-up")
WORDS = ("value", "total", "rows", "item", "config", "result", "count", "name", "cache", "user")


@dataclass(frozen=True)
class LargeSpec:
    prs: int = 300
    files: int = 2000
    lead_share: float = 0.44  # ~6,000 of the lead's comments at N = 3,000
    lead_comments: int = 5  # per pull request the lead reviews
    other_reviewers: int = 12
    force_pushed_share: float = 0.05
    big_files: int = 3  # text files over 1 MB (the contents API serves them without content)
    binary_files: int = 5
    seed: int = 11


@dataclass
class _PR:
    number: int
    author: str
    base: int  # fast-import marks
    reviewed: int  # the commit the reviewers saw (force-pushed away for some)
    head: int
    added: dict[str, list[int]]  # path -> lines added at the reviewed commit (1-based)
    when: datetime
    force_pushed: bool
    comments: list[dict] = field(default_factory=list)


class _FastImport:
    """A `git fast-import` stream into a bare repository; returns each commit's mark."""

    def __init__(self, git_dir: Path, marks: Path):
        self.proc = subprocess.Popen(
            ["git", "fast-import", "--quiet", "--done", f"--export-marks={marks}"],
            cwd=git_dir,
            stdin=subprocess.PIPE,
            env=git_env(),
        )
        self.mark = 0

    def _w(self, data: str | bytes) -> None:
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)

    def commit(self, ref: str, when: datetime, message: str, files: dict[str, bytes], parent: int | None) -> int:
        self.mark += 1
        stamp = int(when.timestamp())
        self._w(f"commit {ref}\nmark :{self.mark}\n")
        self._w(f"author Dev <dev@example.com> {stamp} +0000\ncommitter Dev <dev@example.com> {stamp} +0000\n")
        self._w(f"data {len(message.encode())}\n{message}\n")
        if parent is not None:
            self._w(f"from :{parent}\n")
        for path, data in files.items():
            self._w(f"M 100644 inline {path}\ndata {len(data)}\n")
            self._w(data + b"\n")
        return self.mark

    def reset(self, ref: str, mark: int) -> None:
        self._w(f"reset {ref}\nfrom :{mark}\n\n")

    def finish(self) -> None:
        self._w("done\n")
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise RuntimeError("git fast-import failed")


def _file(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def build_large_fixture(dest: Path, spec: LargeSpec = LargeSpec()) -> Path:
    """Writes the fixture folder `dest` (it must not exist) and returns it."""
    rng = random.Random(spec.seed)
    repo_dir = dest / "repos" / OWNER / NAME
    bare = repo_dir / "repository.git"
    bare.mkdir(parents=True)
    run_git(["init", "-q", "--bare", "-b", "main", str(bare)])
    paths = [f"src/pkg{i // 100:02d}/mod{i:04d}.py" for i in range(spec.files)]

    def body(i: int) -> list[str]:
        """A source file of a few hundred lines, varied enough to compress like real code (~8 KB packed)."""
        lines = [f"def fn_{i}():"]
        for _ in range(rng.randint(150, 350)):
            call = f"{rng.choice(WORDS)}.compute({rng.randrange(10**9)}, '{rng.getrandbits(48):012x}')"
            lines.append(f"    {rng.choice(WORDS)}_{rng.randrange(10**6):06d} = {call}")
        return lines

    content = {p: body(i) for i, p in enumerate(paths)}
    initial = {p: _file(v) for p, v in content.items()}
    for i in range(spec.big_files):
        initial[f"data/big_{i}.csv"] = "".join(f"{j},{j * 7 % 1000},row\n" for j in range(90_000)).encode()
    for i in range(spec.binary_files):  # images: 1.5 MB that no compression shrinks
        initial[f"assets/img_{i}.png"] = b"\x89PNG\r\n\x1a\n\x00" + rng.randbytes(1_500_000)
    marks_file = dest / "marks.txt"
    fi = _FastImport(bare, marks_file)
    main = fi.commit("refs/heads/main", T0, "initial import", initial, None)
    authors = [f"dev-{i:02d}" for i in range(1, spec.other_reviewers + 1)]
    pulls: list[_PR] = []
    when = T0
    for n in range(1, spec.prs + 1):
        when += timedelta(hours=rng.randint(1, 5))
        ref = f"refs/heads/pr-{n}"
        edits, added = {}, {}
        for p in rng.sample(paths, rng.randint(1, 3)):
            at = rng.randint(2, min(60, len(content[p]) - 1))
            new = [f"    if {rng.choice(WORDS)}_{n}_{k} == None:  # pr {n}" for k in range(4)]
            content[p] = content[p][:at] + new + content[p][at:]
            edits[p] = _file(content[p])
            added[p] = list(range(at + 1, at + 5))
        reviewed = fi.commit(ref, when, f"PR {n}", edits, main)
        force_pushed = rng.random() < spec.force_pushed_share
        head = reviewed
        if force_pushed or rng.random() < 0.4:
            p = next(iter(edits))
            content[p] = content[p] + [f"# follow-up for {n}"]
            edits[p] = _file(content[p])
            # A force-push rewrites the reviewed commit away (one commit with both changes); else a fixup.
            head = fi.commit(ref, when + timedelta(minutes=30), f"PR {n} v2", edits, main if force_pushed else reviewed)
        fi.reset(f"refs/pull/{n}/head", head)
        pr = _PR(n, rng.choice(authors + [LEAD] * 1), main, reviewed, head, added, when, force_pushed)
        pulls.append(pr)
        main = fi.commit("refs/heads/main", when + timedelta(hours=1), f"Merge PR {n}", edits, main)
    # One open pull request of 30 hunks (10 files, 3 places each): what the review benchmark reviews.
    sweep, edits = spec.prs + 1, {}
    for p in rng.sample(paths, 10):
        lines = list(content[p])
        for k, at in enumerate((50, 30, 10)):  # from the bottom, so earlier places keep their numbers
            lines[at:at] = [f"    if flag_{k} == None:  # sweep", f"        print('DEBUG', flag_{k})"]
        edits[p] = _file(lines)
    head = fi.commit(f"refs/heads/pr-{sweep}", when + timedelta(hours=2), "Sweep", edits, main)
    fi.reset(f"refs/pull/{sweep}/head", head)
    pulls.append(_PR(sweep, authors[0], main, head, head, {}, when + timedelta(hours=2), False))
    fi.finish()
    marks = {int(m[1:]): sha for m, sha in (line.split() for line in marks_file.read_text().splitlines())}
    marks_file.unlink()
    # Merged branches are deleted, as on GitHub; `refs/pull/N/head` stays.
    stale = "".join(f"delete refs/heads/pr-{pr.number}\n" for pr in pulls[:-1]).encode()
    run_git(["update-ref", "--stdin"], bare, input=stale)
    run_git(["config", "uploadpack.allowFilter", "true"], bare)
    run_git(["config", "uploadpack.allowAnySHA1InWant", "true"], bare)
    _write_records(dest, repo_dir, bare, spec, rng, pulls, marks, authors)
    return dest


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_records(dest, repo_dir, bare, spec, rng, pulls, marks, authors) -> None:
    next_id = 7_000_000
    comments, reviews = [], []
    for pr in pulls[:-1]:  # the open sweep pull request has no reviews yet
        base, reviewed, head = marks[pr.base], marks[pr.reviewed], marks[pr.head]
        lead_reviews = pr.author != LEAD and rng.random() < spec.lead_share
        others = rng.random() < 0.3
        if not (lead_reviews or others):
            continue
        diff = pull_diff(bare, base, reviewed)
        t = pr.when + timedelta(hours=2)
        spots = [(p, line) for p, lines in pr.added.items() for line in lines]
        writers = ([LEAD] * spec.lead_comments if lead_reviews else []) + (
            [rng.choice([a for a in authors if a != pr.author])] * rng.randint(1, 2) if others else []
        )
        for user in writers:
            path, line = rng.choice(spots)
            next_id += 1
            t += timedelta(minutes=rng.randint(1, 9))
            body = rng.choice(LEAD_REMARKS if user == LEAD else OTHER_REMARKS)
            record = {
                "id": next_id,
                "pull_number": pr.number,
                "user": user,
                "body": body,
                "path": path,
                "commit_id": head,
                "original_commit_id": reviewed,
                "diff_hunk": hunk_up_to(diff, path, line, "RIGHT"),
                "line": None if pr.force_pushed else line,
                "original_line": line,
                "side": "RIGHT",
                "position": None if pr.force_pushed else diff_position(diff, path, line, "RIGHT"),
                "original_position": diff_position(diff, path, line, "RIGHT"),
                "subject_type": "line",
                "pull_request_review_id": None,
                "created_at": _iso(t),
                "updated_at": _iso(t),
                "author_association": "MEMBER",
            }
            comments.append(record)
            if user == LEAD and rng.random() < 0.25:  # the author answers in the thread
                next_id += 1
                comments.append(
                    {
                        **record,
                        "id": next_id,
                        "user": pr.author,
                        "body": rng.choice(REPLIES),
                        "in_reply_to_id": record["id"],
                        "created_at": _iso(t + timedelta(minutes=5)),
                        "updated_at": _iso(t + timedelta(minutes=5)),
                    }
                )
    pull_records = [
        {
            "number": pr.number,
            "title": f"Change {pr.number}",
            "body": "",
            "user": pr.author,
            "state": "open" if pr.number > spec.prs else "closed",
            "created_at": _iso(pr.when),
            "updated_at": _iso(pr.when + timedelta(hours=1)),
            "closed_at": None if pr.number > spec.prs else _iso(pr.when + timedelta(hours=1)),
            "merged_at": None if pr.number > spec.prs else _iso(pr.when + timedelta(hours=1)),
            "head_ref": f"pr-{pr.number}",
            "head_sha": marks[pr.head],
            "base_ref": "main",
            "base_sha": marks[pr.base],
            "commits": 1 if pr.head == pr.reviewed or pr.force_pushed else 2,
        }
        for pr in pulls
    ]
    users = (
        [{"login": LEAD, "id": 4001, "type": "User"}, {"login": BOT, "id": 4002, "type": "User"}]
        + [{"login": a, "id": 4100 + i, "type": "User"} for i, a in enumerate(authors)]
        + [{"login": OWNER, "id": 4999, "type": "Organization"}]
    )
    files = {
        "review_comments.json": comments,
        "pulls.json": pull_records,
        "reviews.json": reviews,
        "issue_comments.json": [],
        "collaborators.json": {u["login"]: "write" for u in users if u["type"] == "User"},
        "repository.json": {"id": 990_001, "default_branch": "main", "private": True, "created_at": _iso(T0)},
    }
    for name, data in files.items():
        (repo_dir / name).write_text(json.dumps(data))
    public = (
        serialization.load_pem_private_key(app_private_key_pem(), password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    (dest / "fixture.json").write_text(
        json.dumps(
            {
                "repositories": [REPO],
                "users": users,
                "tokens": {token_of(u["login"]): u["login"] for u in users if u["type"] == "User"},
                "apps": [
                    {
                        "id": APP_ID,
                        "slug": BOT,
                        "owner": OWNER,
                        "public_key_pem": public,
                        "installations": [{"id": INSTALLATION_ID, "account": OWNER, "repos": [REPO]}],
                    }
                ],
            }
        )
    )


def large_token(login: str = BOT) -> str:
    return token_of(login)


def sweep_pull(spec: LargeSpec) -> int:
    """The open 30-hunk pull request of a large fixture."""
    return spec.prs + 1
