"""What the lead's verdicts on the bot's comments teach, kept beside the adapter's weights.

One retrain on a handful of silence examples barely moves a LoRA adapter's wish to speak (measured:
benchmarks/feedback.py posted the same comments after it). Her 👎 is the plainest signal there is, so
each training also learns two rules from the feedback examples (training_data/examples.py) and keeps
them in the bundle's manifest; every backend's drafts pass them before a review chooses what to post:

* **a file she turned down**: at least `MIN_TURNED_DOWN` of the bot's comments on it got her 👎 (or a
  reply that disagrees), none her 👍, and she has written no comment of her own there since the first
  of them. She has stopped wanting remarks on it (generated code, a file on its way out): drafts on it
  are left out. One comment of hers there, or one 👍, lifts the rule at the next training.
* **code she turned down**: a draft on code nearly identical (similarity at least `NEAR`, by the
  retrieval index's own measure) to a place where she turned the bot down, and nearer to it than to
  any comment of hers, is left out.

What is left out is named in the review's summary. Nobody else's reactions count (history/feedback.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .backends.retrieval_index import RetrievalIndex

MIN_TURNED_DOWN = 3
NEAR = 0.9


@dataclass
class Lessons:
    turned_down_files: dict[str, int] = field(default_factory=dict)  # path -> her 👎 there
    index: RetrievalIndex | None = None  # the bundle's index; its feedback silences are where she said no

    @classmethod
    def learn(cls, train: pd.DataFrame) -> "Lessons":
        """From the target reviewer's training examples (history and feedback alike)."""
        source = train["source"] if "source" in train else pd.Series("history", index=train.index)
        feedback = train[source == "feedback"]
        own = train[(source != "feedback") & (train["kind"] == "comment")]
        files = {}
        for path, verdicts in feedback.groupby("path"):
            down = verdicts[verdicts["kind"] == "no_comment"]
            if len(down) < MIN_TURNED_DOWN or (verdicts["kind"] == "comment").any():
                continue
            since = down["created_at"].min()
            if not ((own["path"] == path) & (own["created_at"] >= since)).any():
                files[str(path)] = len(down)
        return cls(dict(sorted(files.items())))

    def as_manifest(self) -> dict:
        return {"turned_down_files": self.turned_down_files, "near": NEAR, "min_turned_down": MIN_TURNED_DOWN}

    @classmethod
    def of_bundle(cls, bundle) -> "Lessons":
        """The lessons a bundle was trained with; none for a bundle from before they were learned."""
        learned = bundle.manifest.get("lessons")
        if learned is None:
            return cls()
        folder = bundle.retrieval_dir
        if learned.get("index_version"):  # learned by a newer training whose adapter the gate did not serve
            folder = bundle.path.parent / learned["index_version"] / folder.name
        index = RetrievalIndex.load(folder) if (folder / "index.json").exists() else None
        return cls(dict(learned.get("turned_down_files") or {}), index)

    def _turned_down_places(self) -> tuple[np.ndarray, np.ndarray]:
        entries = self.index.entries if self.index is not None else []
        said_no = np.array([e.get("source") == "feedback" and e["kind"] == "no_comment" for e in entries], bool)
        hers = np.array([e["kind"] == "comment" for e in entries], bool)
        return said_no, hers

    def why_left_out(self, drafts: list) -> list[str | None]:
        """Per draft (DraftComment, with the key of the code it sits on), the lesson that leaves it out."""
        out: list[str | None] = [
            "turned-down file" if d.anchor.path in self.turned_down_files else None for d in drafts
        ]
        said_no, hers = self._turned_down_places()
        asked = [i for i, d in enumerate(drafts) if out[i] is None and d.key]
        if not asked or not said_no.any():
            return out
        sims = self.index.similarities([drafts[i].key for i in asked])
        for row, i in enumerate(asked):
            nearest_no = sims[row, said_no].max()
            nearest_hers = sims[row, hers].max() if hers.any() else -1.0
            if nearest_no >= NEAR and nearest_no > nearest_hers:
                out[i] = "turned-down code"
        return out
