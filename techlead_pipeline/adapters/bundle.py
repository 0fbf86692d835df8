"""Building one adapter bundle from a run's training examples: the LoRA adapter (when a trainer is
configured), the retrieval index, and the manifest — staged, then sealed into the store."""

from __future__ import annotations

import pandas as pd

from ..common import progress as progress_bar
from ..common.partitions import ReviewerRepo
from ..reviews.adapt import template_of
from ..reviews.backends.index_keys import new_vault_index_key
from ..reviews.backends.retrieval_index import RetrievalIndex
from ..reviews.lessons import Lessons
from ..training_data.examples import ExampleSet, unchanged_line_share
from ..training_data.keys import focus_of_key
from ..training_data.prompts import system_prompt
from ..training_data.raft import with_earlier_comments
from .base_model import BaseModel
from .store import AdapterBundle, AdapterStore
from .torchtune_trainer import TorchtuneLoraTrainer
from .trainer import LoraSettings, Progress, chat_examples

WHERE_DIR = "where"


def index_entries(frame: pd.DataFrame) -> list[dict]:
    """What the retrieval index remembers per key: the answer and where it came from (no code), and
    for a comment that names code of its line, the comment as a template over that line's names
    (reviews/adapt.py: her words, adapted to the line they are said on)."""
    out = []
    for r in frame.itertuples(index=False):
        entry = {
            "response": r.response,
            "pull_number": int(r.pull_number),
            "kind": r.kind,
            "comment_id": None if pd.isna(r.comment_id) else int(r.comment_id),
            "source": getattr(r, "source", None) or "history",  # feedback: the lead's verdict on the bot
        }
        template = template_of(r.response, focus_of_key(r.key)) if r.kind == "comment" else None
        if template:
            entry["template"] = template
        out.append(entry)
    return out


NO_COMMENT_RATIO = 1.0  # LoRA training: as many silences as comments; the index keeps them all
HELD_OUT_LOSS_EXAMPLES = 16  # the newest held-out examples the loss before and after training is measured on
VALIDATION_LOSS_EXAMPLES = 20  # the newest validation examples early stopping watches (half of them silences)


def training_selection(train: pd.DataFrame, max_comments: int | None) -> pd.DataFrame:
    """What the adapter is trained on: every comment of the training split (the newest `max_comments`
    when given) and as many silences, spread over the pull requests they come from (balanced_silences),
    newest first. The retrieval index keeps everything."""
    ordered = train.sort_values(["created_at", "example_id"], ascending=[False, True], na_position="last")
    comments = ordered[ordered["kind"] == "comment"]
    if max_comments is not None:
        comments = comments.head(max_comments)
    silences = balanced_silences(ordered[ordered["kind"] == "no_comment"], int(len(comments) * NO_COMMENT_RATIO))
    return pd.concat([comments, silences]).sort_values(["created_at", "example_id"], ascending=[False, True])


def balanced_silences(silences: pd.DataFrame, n: int) -> pd.DataFrame:
    """`n` silences taken in turn from each pull request (newest first), each one's in a fixed
    pseudo-random order (their example ids): a 178-hunk pull request does not crowd out the others,
    and every part of the history teaches where the lead stays quiet."""
    if len(silences) <= n:
        return silences
    order = silences.sort_values("example_id")
    turn = order.groupby("pull_number", sort=False).cumcount()
    newest = order["created_at"].rank(method="dense", ascending=False, na_option="bottom")
    picked = order.assign(_turn=turn, _newest=newest).sort_values(["_turn", "_newest", "example_id"]).head(n)
    return picked.drop(columns=["_turn", "_newest"])


def prompts_as_trained(
    frame: pd.DataFrame, target: ReviewerRepo, settings: LoraSettings, pool: pd.DataFrame | None = None
) -> pd.DataFrame:
    """`frame` as the adapter sees it: the system prompt of `settings.prompt_style`, and (with a pool of
    training comments) a `rag_share` of the prompts shown the lead's nearest earlier comments."""
    frame = frame.assign(system=system_prompt(target.reviewer, target.repo, settings.prompt_style))
    if pool is None:
        return frame
    return with_earlier_comments(frame, pool, settings.rag_examples, settings.rag_share)


def habits_of(examples: pd.DataFrame) -> dict:
    """How the lead reviews, counted in her training history, for the review to follow: how often she
    comments on code the pull request did not change (reviews/service.py leaves such code alone
    unless she does it often)."""
    share, counted = unchanged_line_share(examples)
    return {"unchanged_line_share": share, "comments_counted": counted}


def learn_where(examples: pd.DataFrame, index: RetrievalIndex, folder) -> dict:
    """Where she comments (where/model.py), from every hunk of her training and validation pull
    requests, saved in `folder`; what the manifest says of it (or why there is none)."""
    from ..where.model import CannotLearnWhere, WhereModel
    from ..where.table import hunk_table

    progress_bar.report("where-model", 0, 1, "learning where she comments")
    try:
        key = index.encoder.key.secret if index.encoder.key is not None else None
        model = WhereModel.learn("where-model", hunk_table(examples, ("train", "validation")), index, key=key)
    except CannotLearnWhere as why:
        return {"learned": False, "why": str(why)}
    finally:
        progress_bar.report("where-model", 1, 1, "learned")
    model.save(folder)
    return {"learned": True, "threshold": model.threshold, **model.measured}


def build_bundle(
    store: AdapterStore,
    target: ReviewerRepo,
    examples: pd.DataFrame,
    run_id: str,
    *,
    base: BaseModel | None,
    lora: LoraSettings | None,
    encoder: str = "hashed-tfidf",
    progress: Progress | None = None,
) -> AdapterBundle:
    """Trains (when `base` is given) and indexes the target reviewer's training split; the sealed
    version is returned, not yet served."""
    train = examples[(examples["role"] == "target") & (examples["split"] == "train")]
    holdout = examples[(examples["role"] == "target") & (examples["split"] == "holdout")]
    validation = examples[(examples["role"] == "target") & (examples["split"] == "validation")]
    staging = store.staging(target, run_id)
    try:
        manifest: dict = {
            "dataset": {
                "fingerprint": ExampleSet(examples).fingerprint(),
                "train_examples": len(train),
                "train_comments": int((train["kind"] == "comment").sum()),
                "holdout_examples": len(holdout),
            },
            "trainer": "torchtune" if base is not None else "none",
            "serving": "retrieval",
            "lessons": Lessons.learn(train).as_manifest(),
            "habits": habits_of(examples),
        }
        index = RetrievalIndex.build(
            list(train["key"]), index_entries(train), encoder=encoder, key=new_vault_index_key()
        )
        index.save(staging / "retrieval")
        manifest["retrieval"] = {
            "encoder": index.encoder.kind,
            "threshold": index.threshold,
            "entries": len(index.entries),
            "comments": manifest["dataset"]["train_comments"],
        }
        manifest["where"] = learn_where(examples, index, staging / WHERE_DIR)
        if base is not None:
            settings = lora or LoraSettings()
            trainer = TorchtuneLoraTrainer(base, settings)
            pool = train[train["kind"] == "comment"]
            chosen = prompts_as_trained(training_selection(train, settings.max_train_comments), target, settings, pool)
            watched = prompts_as_trained(
                training_selection(validation, VALIDATION_LOSS_EXAMPLES // 2), target, settings, pool
            )
            measured = prompts_as_trained(training_selection(holdout, HELD_OUT_LOSS_EXAMPLES // 2), target, settings)
            report = trainer.train(
                chat_examples(chosen), chat_examples(measured), staging, progress, validation=chat_examples(watched)
            )
            manifest.update(
                {
                    "base_model": {"id": base.model_id, "family": base.spec.name, "hash": base.fingerprint()},
                    "training_selection": {
                        "comments": int((chosen["kind"] == "comment").sum()),
                        "silences": int((chosen["kind"] == "no_comment").sum()),
                        "of_training_comments": int((train["kind"] == "comment").sum()),
                        "max_tokens": settings.max_train_tokens,
                        "with_earlier_comments": int((chosen["rag_shown"] > 0).sum()),
                        "validation_examples": len(watched),
                    },
                    "training": settings.as_dict(),
                    "metrics": report.as_dict(),
                    "serving": "lora",
                }
            )
        return store.commit(target, staging, manifest)
    except BaseException:
        store.discard(staging)
        raise
