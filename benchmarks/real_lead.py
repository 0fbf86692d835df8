"""The bot on a real repository's real history, end to end as a user runs it.

`../shared/data/real-leads/aeon_mecha/fixture` (real review comments on the real git history of
SainsburyWellcomeCentre/aeon_mecha) is served by the GitHub stand-in. For each reviewer with enough
history, the data's suggested time split (whole pull requests) holds out their newest pull requests;
a copy of the fixture is served in which those, and a few pull requests merged after the cut-off that
nobody commented on, are open and carry no review comment (kept aside as the truth). Then, as a user
would, in their own processes:

    techlead train  --reviewer R --repo SainsburyWellcomeCentre/aeon_mecha
    techlead review --reviewer R --repo SainsburyWellcomeCentre/aeon_mecha --pr N     (each open one)

What was posted is read back from the stand-in (server side), and every hunk of the reviewed pull
requests is judged (evaluation/hunk_measure.py): a comment is a hit (the lead commented on that
hunk), a false alarm, or noise (below the floor). Beside what the bot posted, the same hunks under
saying nothing, always speaking (her nearest past comment on every hunk), retrieval as served by the
bundle, and the adapter writing (`lora`) where one was trained — those in-process, nothing posted.
Printed: the table, paired intervals of F0.5 against always speaking and retrieval, and up to 10
posted comments verbatim.

    .venv/bin/python benchmarks/real_lead.py [--base-model smollm2-135m-instruct|tiny-random]
                                             [--reviewers lochhh,jkbhagatio] [--out docs/benchmarks/real_lead.md]

Run it alone (it trains on the CPU). Hits of outdated comments (no `line` at the head) are placed by
their `original_line` on the same file, which is approximate where the file moved since.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402

from benchmarks.standin_cli import BOT, cli_env  # noqa: E402
from benchmarks.standin_cli import techlead as run_techlead  # noqa: E402
from techlead_pipeline.adapters.bundle import index_entries  # noqa: E402
from techlead_pipeline.adapters.store import AdapterStore  # noqa: E402
from techlead_pipeline.common.partitions import reviewer_repo  # noqa: E402
from techlead_pipeline.common.settings import Settings  # noqa: E402
from techlead_pipeline.evaluation.concern import FREQUENT_FLOOR, RANDOM_FLOOR, concern  # noqa: E402
from techlead_pipeline.evaluation.hunk_measure import (  # noqa: E402
    HeldOutHunk,
    flag_marks,
    marks_row,
    paired_marks_difference,
    verdicts,
)
from techlead_pipeline.evaluation.where_ways import flags, top_tenth  # noqa: E402
from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials  # noqa: E402
from techlead_pipeline.github_api.token_vault import Secret  # noqa: E402
from techlead_pipeline.github_standin import GitHubStandin  # noqa: E402
from techlead_pipeline.reviews.backends.where_placed import WherePlacedBackend  # noqa: E402
from techlead_pipeline.reviews.floor import REASONS  # noqa: E402
from techlead_pipeline.reviews.hunks import prepare  # noqa: E402
from techlead_pipeline.reviews.markers import without_markers  # noqa: E402
from techlead_pipeline.reviews.pull_request import load_pull_request  # noqa: E402
from techlead_pipeline.reviews.service import WRITE_BUDGET_PER_COMMENT, make_backend, review_changes  # noqa: E402
from techlead_pipeline.training_data.from_github import examples_from_github  # noqa: E402
from techlead_pipeline.where.features import changed_lines  # noqa: E402
from techlead_pipeline.where.model import CannotLearnWhere, WhereModel  # noqa: E402
from techlead_pipeline.where.table import hunk_table, review_hunk_table  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared/data/real-leads/aeon_mecha"
REPO = "SainsburyWellcomeCentre/aeon_mecha"
MIN_TRAINING_COMMENTS = 5  # fewer and there is nothing to learn from, nor to hold a validation split
UNCOMMENTED = 3  # pull requests merged after the cut-off that nobody commented on, reviewed too
SHOWN = 10
CAP = 10  # comments a review posts at most (TECHLEAD_MAX_COMMENTS by default)


def open_copy(source: Path, dest: Path, reviewed: set[int]) -> dict[int, list[dict]]:
    """A copy of the fixture whose `reviewed` pull requests are open and carry no review comment;
    returns those comments (the truth), by pull request."""
    shutil.copytree(source, dest, symlinks=True)
    folder = dest / "repos" / REPO
    pulls = json.loads((folder / "pulls.json").read_text())
    for pull in pulls:
        if pull["number"] in reviewed:
            pull.update(state="open", merged_at=None, closed_at=None)
    (folder / "pulls.json").write_text(json.dumps(pulls))
    comments = json.loads((folder / "review_comments.json").read_text())
    truth: dict[int, list[dict]] = {n: [] for n in reviewed}
    kept = []
    for c in comments:
        (truth[c["pull_number"]] if c["pull_number"] in reviewed else kept).append(c)
    (folder / "review_comments.json").write_text(json.dumps(kept))
    reviews = json.loads((folder / "reviews.json").read_text())
    (folder / "reviews.json").write_text(json.dumps([r for r in reviews if r["pull_number"] not in reviewed]))
    return truth


def chosen_pulls(prs: dict, reviewer: str) -> tuple[list[int], list[int]]:
    split = prs["suggested_split"][reviewer]
    held = list(split["heldout_prs"])
    cutoff = split["cutoff_first_comment"]
    later = sorted(
        (p for p in prs["pulls"] if p["kind"] == "uncommented" and p["merged_at"] >= cutoff),
        key=lambda p: p["merged_at"],
    )
    return held, [p["number"] for p in later[:UNCOMMENTED]]


def techlead(env: dict, *args: str) -> tuple[int, str, float]:
    code, out, err, seconds = run_techlead(env, *args)
    return code, out + err, seconds


def hunk_of(hunks, path: str, line: int | None, side: str, near: int = 0) -> int | None:
    if line is None:
        return None
    for i, hunk in enumerate(hunks):
        chunk = hunk.chunk
        if chunk.path == path and any(chunk.covers(line + d, side) for d in range(-near, near + 1)):
            return i
    return None


def judge_pull(
    access, number: int, truth: list[dict], reviewer: str, posted: list[dict], backends: dict, rankers: dict
) -> dict:
    """Per system, what it posts on each hunk of pull request `number` ("" for nothing); per where-model
    (`rankers`: name -> (model, index)), its probability on each hunk and the hunks a review flags."""
    pull = load_pull_request(access, REPO, number)
    prepared = prepare(pull.changes, pull.new_file_text)
    hunks = prepared.hunks
    lead: dict[int, list[str]] = {}
    for c in truth:
        if c["user"] != reviewer:
            continue
        side = c.get("side") or "RIGHT"
        at = hunk_of(hunks, c["path"], c.get("line"), side)
        if at is None:  # outdated: where it was written, on the same file, nearby
            at = hunk_of(hunks, c["path"], c.get("original_line"), side, near=3)
        if at is not None:
            lead.setdefault(at, []).append(c["body"])
    held = [
        HeldOutHunk(
            number,
            f"{number}:{i}",
            tuple(lead.get(i, ())),
            "\n".join([h.chunk.text(), *(c.code for c in h.candidates)]),
        )
        for i, h in enumerate(hunks)
    ]
    where = [f"{h.chunk.path}:{h.candidates[0].focus_line}" if h.candidates else h.chunk.path for h in hunks]
    out = {
        "hunks": held,
        "where": [f"#{number} `{w}`" for w in where],
        "systems": {},
        "unplaced_truth": sum(1 for c in truth if c["user"] == reviewer),
    }
    out["unplaced_truth"] -= sum(len(v) for v in lead.values())
    table = review_hunk_table(hunks, number)
    out["sizes"] = [len(h.chunk.changed) for h in hunks]
    out["scores"], out["lists"] = {}, {}
    for name, (model, index) in rankers.items():
        p = model.probabilities(table, index)
        out["scores"][name] = p
        out["lists"][f"{name} (ranked list)"] = flags([number] * len(hunks), p, model.threshold, CAP)
    served = [""] * len(hunks)
    for c in posted:
        at = hunk_of(hunks, c["path"], c["line"], c.get("side") or "RIGHT")
        if at is not None and not served[at]:
            served[at] = without_markers(c["body"]).strip()
    out["systems"]["the bot, as posted"] = served
    out["systems"]["saying nothing"] = [""] * len(hunks)
    for name, backend in backends.items():
        if name == "always speaking":
            said = []
            for hunk in hunks:
                focus = backend.focus(hunk)
                nearest = backend.index.nearest_comments(focus.key, 1)
                said.append(nearest[0] if nearest else "")
            out["systems"][name] = said
            continue
        if hasattr(backend, "forget"):  # as a review runs: from nothing, and no more than the cap written
            backend.forget()
            started = time.perf_counter()
            review_changes(
                pull.changes,
                pull.new_file_text,
                backend,
                enough=lambda drafts: len(drafts) >= CAP,
                write_budget=WRITE_BUDGET_PER_COMMENT * CAP,
            )
            out.setdefault("capped_seconds", {})[name] = time.perf_counter() - started
            backend.forget()
        started = time.perf_counter()
        # Every hunk drafted (no cap): the measure judges what it would say on each.
        drafts, done, _ = review_changes(pull.changes, pull.new_file_text, backend)
        out.setdefault("seconds", {})[name] = time.perf_counter() - started
        said = [""] * len(hunks)
        for d in drafts:
            at = hunk_of(hunks, d.anchor.path, d.anchor.line, d.anchor.side)
            if at is not None and not said[at]:
                said[at] = d.body
        # What the floor dropped was written all the same: noise, on its hunk. (Drafts the fit rules
        # dropped, about code not in sight or not changed, were never posted: silence.)
        for reason, where, text in done.below_floor.dropped:
            if reason not in REASONS:
                continue
            path, _, line = where.rpartition(":")
            at = hunk_of(hunks, path, int(line), "RIGHT")
            at = hunk_of(hunks, path, int(line), "LEFT") if at is None else at
            if at is not None and not said[at]:
                said[at] = text
        out["systems"][name] = said
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--reviewers", help="comma-separated (default: every one with enough training history)")
    parser.add_argument("--base-model", default="smollm2-135m-instruct")
    parser.add_argument("--min-examples", type=int, default=MIN_TRAINING_COMMENTS)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks/real_lead.md"))
    args = parser.parse_args()
    out_text = io.StringIO()
    console = Console(record=True, width=400)
    prs = json.loads((args.data / "prs.json").read_text())
    split = prs["suggested_split"]
    names = (
        args.reviewers.split(",")
        if args.reviewers
        else sorted(r for r, s in split.items() if s["comments"] - s["heldout_comments"] >= MIN_TRAINING_COMMENTS)
    )
    console.print(f"# Real-lead benchmark: {REPO}, base model {args.base_model}, {time.strftime('%Y-%m-%d')}\n")
    authors = {p["number"]: p.get("author") for p in prs["pulls"]}
    for reviewer, s in sorted(split.items()):
        if s["comments"] >= 20 and reviewer not in names:  # the issue's bar: every reviewer with 20 or more
            own = [n for n in {c for p in prs["pulls"] for c in [p["number"]] if authors[c] == reviewer}]
            on_own = sum(
                p["reviewers"].get(reviewer, {}).get("comments", 0) for p in prs["pulls"] if p["number"] in own
            )
            console.print(
                f"## `{reviewer}`: {s['comments']} comments, {s['comments'] - s['heldout_comments']} before the "
                f"time split\n\nNot trained: the time split leaves nothing to learn from, and {on_own} of the "
                f"{s['comments']} sit on pull requests `{reviewer}` opened (#{', #'.join(map(str, own))}): the "
                "author answering reviews, which the bot leaves out of a reviewer's history by design. The bot "
                "declines her, and says so.\n"
            )
    for reviewer in names:
        held, quiet = chosen_pulls(prs, reviewer)
        s = split[reviewer]
        console.print(
            f"## `{reviewer}`: trained on {s['comments'] - s['heldout_comments']} comments before "
            f"{s['cutoff_first_comment'][:10]}; held out #{', #'.join(map(str, held))} "
            f"({s['heldout_comments']} comments) and #{', #'.join(map(str, quiet))} (nobody commented)\n"
        )
        work = Path(tempfile.mkdtemp(prefix="real-lead-"))
        try:
            truth = open_copy(args.data / "fixture", work / "fixture", set(held) | set(quiet))
            with GitHubStandin(work / "fixture") as standin:
                env = cli_env(
                    standin,
                    work,
                    BASE_MODEL=args.base_model,
                    # The default (20) declines every reviewer here outright, which is right but shows
                    # nothing of the gate: the benchmark lets it try with what there is.
                    MIN_EXAMPLES=str(args.min_examples),
                )
                code, log, train_s = techlead(env, "train", "--reviewer", reviewer, "--repo", REPO)
                console.print(f"`techlead train`: exit {code} in {train_s:.1f} s")
                if code != 0:
                    console.print(f"```\n{log[-3000:]}\n```")
                    continue
                review_s = {}
                for number in held + quiet:
                    env.pop("TECHLEAD_GITHUB_TOKEN", None)  # in the vault since the first command
                    code, log, review_s[number] = techlead(
                        env, "review", "--reviewer", reviewer, "--repo", REPO, "--pr", str(number)
                    )
                    if code != 0:
                        console.print(f"`techlead review --pr {number}` failed (exit {code}):\n```\n{log[-2000:]}\n```")
                console.print(
                    "`techlead review --pr N`: " + ", ".join(f"#{n} {t:.1f} s" for n, t in review_s.items()) + "\n"
                )
                os.environ.update({k: env[k] for k in ("TECHLEAD_HOME", "DAGSTER_HOME", "TECHLEAD_BASE_MODEL")})
                settings = Settings(github_api_url=standin.api_url, github_web_url=standin.url, home=work / "techlead")
                target = reviewer_repo(reviewer, REPO)
                bundle = AdapterStore(settings.adapters_dir).current(target)
                console.print(
                    f"The gate: serving `{bundle.manifest.get('serving')}`. {bundle.manifest.get('gate', '')}\n"
                )
                access = GitHubAccess(settings, GitHubCredentials(token=Secret(standin.token_for(BOT))), REPO)
                retrieval = make_backend("retrieval", target, bundle, settings.adapters_dir)
                backends = {"retrieval": retrieval, "always speaking": retrieval}
                rankers, her_comments = where_models(access, target, settings, work, bundle, retrieval.index, console)
                if "where-model" in rankers:
                    backends["where-model + retrieval"] = WherePlacedBackend(
                        rankers["where-model"][0], retrieval.index, retrieval, CAP
                    )
                if bundle.has_lora:
                    from techlead_pipeline.adapters.base_models import resolve
                    from techlead_pipeline.evaluation.gate import writer_of

                    base = resolve(args.base_model, settings.home)
                    learned = make_backend("local", target, bundle, settings.adapters_dir, base=base)
                    mode = writer_of(bundle.manifest.get("serving"))
                    mode = mode if mode not in (None, "retrieval") else "lora"
                    backends[f"{mode} (the adapter, with its validation threshold)"] = learned
                    if "where-model" in rankers:
                        backends[f"where-model + {mode}"] = WherePlacedBackend(
                            rankers["where-model"][0], retrieval.index, learned, CAP
                        )
                posted = {n: [] for n in held + quiet}
                for review in standin.posted_reviews(REPO):
                    posted.setdefault(review["number"], []).extend(review["comments"])
                judged = [
                    judge_pull(access, n, truth[n], reviewer, posted.get(n, []), backends, rankers)
                    for n in held + quiet
                ]
                report(console, judged, posted, quiet, her_comments)
            hers = {n: sum(c["user"] == reviewer for c in truth[n]) for n in held}
            biggest = max(held, key=hers.get)
            if hers[biggest] >= 20:
                file_split_check(console, args.data, reviewer, biggest)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = console.export_text()
    args.out.write_text(text)
    print(out_text.getvalue(), end="")
    return 0


def file_split_check(console: Console, data: Path, reviewer: str, number: int) -> None:
    """A second, weaker check where a time split starves a lead: within her biggest pull request, the
    where-model and the plain baseline learn from her older pull requests and every other file of
    this one, and rank the hunks of the files left out."""
    from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex

    work = Path(tempfile.mkdtemp(prefix="real-lead-files-"))
    try:
        shutil.copytree(data / "fixture", work / "fixture", symlinks=True)
        with GitHubStandin(work / "fixture") as standin:
            settings = Settings(github_api_url=standin.api_url, github_web_url=standin.url, home=work / "techlead")
            os.environ["TECHLEAD_HOME"] = str(work / "techlead")
            access = GitHubAccess(settings, GitHubCredentials(token=Secret(standin.token_for(BOT))), REPO)
            examples, _ = examples_from_github(access, reviewer_repo(reviewer, REPO), settings, work / "scratch")
        table = hunk_table(examples.examples)
        files = sorted(set(table[table["pull_number"] == number]["path"]))
        left_out = set(files[1::2])
        held = table[(table["pull_number"] == number) & table["path"].isin(left_out)].reset_index(drop=True)
        known = table[~((table["pull_number"] == number) & table["path"].isin(left_out))]
        rows = examples.examples
        rows = rows[(rows["role"] == "target") & ~((rows["pull_number"] == number) & rows["path"].isin(left_out))]
        index = RetrievalIndex.build(list(rows["key"]), index_entries(rows))
        hunks = [HeldOutHunk(r.pull_number, r.chunk_id, tuple(r.comments)) for r in held.itertuples()]
        rate = held["commented"].mean() if len(held) else 0.0
        console.print(
            f"### A split by file within #{number} (weaker: the same pull request on both sides)\n\n"
            f"Learned from {len(known)} hunks ({int(known['commented'].sum())} commented) of her older pull requests "
            f"and {len(files) - len(left_out)} of #{number}'s {len(files)} files; judged on the other "
            f"{len(left_out)} files: {len(held)} hunks, {int(held['commented'].sum())} commented "
            f"(her rate {rate:.3f}).\n"
        )
        console.print("| ranker | flagged | hits | precision | lift [95 % CI] | top tenth | average precision |")
        console.print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name in ("where-model", "plain baseline"):
            model = WhereModel.learn(name, known.reset_index(drop=True), index)
            p = model.probabilities(held, index)
            row = marks_row(hunks, flag_marks(hunks, flags([number] * len(held), p, model.threshold, CAP)))
            t = top_tenth(hunks, p)
            from sklearn.metrics import average_precision_score

            ap = average_precision_score(held["commented"], p) if held["commented"].any() else float("nan")
            lift = (
                "–"
                if row["lift"] is None
                else f"{row['lift']:.1f}×"
                + (f" [{row['lift_low']:.1f}, {row['lift_high']:.1f}]" if row["lift_low"] is not None else "")
            )
            console.print(
                f"| {name} ({model.measured.get('numbers')}) | {row['posted']} | {row['hits']} | "
                f"{'–' if row['precision'] is None else format(row['precision'], '.2f')} | {lift} | "
                f"{t['precision']:.2f} ({t['lift']:.1f}×) | {ap:.2f} |"
            )
        sizes = np.array([sum(map(len, changed_lines(x))) for x in held["text"]], dtype=float)
        t = top_tenth(hunks, sizes)
        console.print(f"| hunk size alone | | | | | {t['precision']:.2f} ({t['lift']:.1f}×) | |\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def where_models(access, target, settings, work: Path, bundle, index, console: Console) -> tuple[dict, list[str]]:
    """The bundle's where-model and the plain baseline fitted on the same hunks (her history collected
    again, as training saw it), each with her retrieval index; and her training comments (the floors)."""
    examples, _ = examples_from_github(access, target, settings, work / "scratch")
    known = hunk_table(examples.examples, ("train", "validation"))
    train = examples.examples
    her_comments = list(train[(train["role"] == "target") & (train["kind"] == "comment")]["response"])
    rankers = {}
    key = index.encoder.key.secret if index.encoder.key is not None else None
    where = WhereModel.load(bundle.path / "where", key)
    if where is not None:
        rankers["where-model"] = (where, index)
        console.print(f"The where-model: {where.measured}\n")
    else:
        console.print(f"No where-model: {(bundle.manifest.get('where') or {}).get('why')}\n")
    try:
        rankers["plain baseline"] = (WhereModel.learn("plain baseline", known, index, key), index)
    except CannotLearnWhere as why:
        console.print(f"No plain baseline: {why}\n")
    return rankers, her_comments


def report(console: Console, judged: list[dict], posted: dict, quiet: list[int], her_comments: list[str]) -> None:
    hunks = [h for j in judged for h in j["hunks"]]
    systems = list(judged[0]["systems"])
    lists = list(judged[0]["lists"])
    texts = {name: [t for j in judged for t in j["systems"][name]] for name in systems}
    unplaced = sum(j["unplaced_truth"] for j in judged)
    mine = [i for i, h in enumerate(hunks) if h.pull_number not in quiet]
    rate = sum(hunks[i].commented for i in mine) / len(mine) if mine else 0.0
    console.print(
        f"{len(hunks)} hunks in {len(judged)} pull requests, {sum(h.commented for h in hunks)} commented on by the lead"
        + (f" ({unplaced} of the lead's comments fall on no hunk of the head's diff)" if unplaced else "")
        + f"; her comment rate on the hunks of the pull requests she commented on: {rate:.3f}\n"
    )
    marks = {name: verdicts(hunks, texts[name], judge_fit=name != "always speaking") for name in systems}
    for name in lists:
        marks[name] = flag_marks(hunks, [f for j in judged for f in j["lists"][name]])
    console.print(
        "| system | posted | hits | false alarms | noise | unfit (dropped) | precision | lift over her rate [95 % CI] "
        "| recall | F0.5 | F0.5 − always speaking | F0.5 − plain baseline | comments / PR she commented on (hers) "
        "| on PRs nobody commented on | top tenth of each PR |"
    )
    console.print("| --- | " + " | ".join("---:" for _ in range(14)) + " |")
    quiet_at = [i for i, h in enumerate(hunks) if h.pull_number in quiet]
    her_pulls = {h.pull_number for h in hunks} - set(quiet)
    fmt = lambda v, f=".2f": "–" if v is None else format(v, f)  # noqa: E731
    for name in [*systems, *lists]:
        row = marks_row(hunks, marks[name])
        cells = []
        for other in ("always speaking", "plain baseline (ranked list)"):
            if other == name or other not in marks:
                cells.append("")
                continue
            d = paired_marks_difference(hunks, marks[name], marks[other])
            cells.append(
                f"{d['difference']:+.2f}" + (f" [{d['low']:+.2f}, {d['high']:+.2f}]" if d["low"] is not None else "")
            )
        spoke = [m in ("hit", "false_alarm", "noise") for m in marks[name]]
        on_quiet = sum(spoke[i] for i in quiet_at)
        on_hers = sum(spoke[i] for i in mine) / max(1, len(her_pulls))
        hers = sum(len(hunks[i].lead_comments) for i in mine) / max(1, len(her_pulls))
        ranker = name.replace(" (ranked list)", "")
        tenth = ""
        if ranker in judged[0]["scores"]:
            t = top_tenth(hunks, np.concatenate([j["scores"][ranker] for j in judged]))
            tenth = f"{fmt(t['precision'])} ({fmt(t['lift'], '.1f')}×)"
        lift = fmt(row["lift"], ".1f") + (
            f"× [{fmt(row['lift_low'], '.1f')}, {fmt(row['lift_high'], '.1f')}]" if row["lift"] is not None else ""
        )
        console.print(
            f"| {name} | {row['posted']} | {row['hits']} | {row['false_alarms']} | {row['noise']} | {row['unfit']} | "
            f"{fmt(row['precision'])} | {lift} | {fmt(row['recall'])} | {row['f05']:.2f} | {cells[0]} | {cells[1]} | "
            f"{on_hers:.1f} ({hers:.1f}) | {on_quiet} | {tenth} |"
        )
    if hunks:
        t = top_tenth(hunks, np.array([n for j in judged for n in j["sizes"]], dtype=float))
        console.print(
            f"\nHunk size alone, each PR's top tenth: precision {fmt(t['precision'])} ({fmt(t['lift'], '.1f')}×)"
        )
    console.print(
        f"\nWhat the ways with words say on their hits (semantic: MiniLM cosine to what she wrote there; ROUGE-L), "
        f"against {RANDOM_FLOOR} and {FREQUENT_FLOOR}:\n"
    )
    console.print(
        "| system | hits | semantic (random floor, frequent floor) | ROUGE-L (random, frequent) | above both floors? |"
    )
    console.print("| --- | ---: | ---: | ---: | --- |")
    from techlead_pipeline.evaluation.concern import beats_floors

    for name in systems:
        if name in ("saying nothing",):
            continue
        c = concern(hunks, marks[name], texts[name], her_comments, semantic=True)
        if not c.get("floors"):
            console.print(f"| {name} | {c['hits']} | – | – | no hits |")
            continue
        f = c["floors"]
        console.print(
            f"| {name} | {c['hits']} | {c['semantic']:.2f} ({f[RANDOM_FLOOR]['semantic']:.2f}, "
            f"{f[FREQUENT_FLOOR]['semantic']:.2f}) | {c['rouge_l']:.2f} ({f[RANDOM_FLOOR]['rouge_l']:.2f}, "
            f"{f[FREQUENT_FLOOR]['rouge_l']:.2f}) | {beats_floors(c) or 'yes'} |"
        )
    for name in systems:  # how long a review takes with each system, its model loaded (cached)
        for key, what in (
            (
                "capped_seconds",
                f"as a review runs (where to speak decided on every hunk; drafts written until {CAP} pass "
                f"or {WRITE_BUDGET_PER_COMMENT * CAP} are written)",
            ),
            ("seconds", "every hunk drafted, as the measure needs"),
        ):
            timed = [
                (j["hunks"][0].pull_number, len(j["hunks"]), j[key][name])
                for j in judged
                if j["hunks"] and name in j.get(key, {})
            ]
            if timed:
                console.print(
                    f"\nReview time in-process, `{name}`, {what}: "
                    + ", ".join(f"#{n} {h} hunks {t:.1f} s" for n, h, t in timed)
                    + f" ({sum(t for *_, t in timed) / max(1, sum(h for _, h, _ in timed)):.2f} s a hunk)"
                )
    shown = [(n, c) for n, cs in posted.items() for c in cs][:SHOWN]
    console.print(f"\nPosted comments, verbatim ({len(shown)} of {sum(len(c) for c in posted.values())}):\n")
    for number, c in shown:
        console.print(f"- #{number} `{c['path']}:{c['line']}`: {without_markers(c['body']).strip()}")
    if not shown:
        console.print("- none: the review said why in its summary")
        learned = next((n for n in systems if n.startswith("lora")), "retrieval")
        where = [w for j in judged for w in j["where"]]
        marks = verdicts(hunks, texts[learned]) if learned else []
        said = [(w, t, m) for w, t, m in zip(where, texts.get(learned, []), marks) if t][:SHOWN]
        if said:
            console.print(
                f"\nWhat `{learned}` would have posted, had it served ({len(said)} shown), and its verdict:\n"
            )
            for w, text, mark in said:
                shown_text = " ⏎ ".join(part.strip() for part in text.split("\n") if part.strip())[:200]
                console.print(f"- {w} ({mark.replace('_', ' ')}): {shown_text}")
    console.print()


if __name__ == "__main__":
    raise SystemExit(main())
