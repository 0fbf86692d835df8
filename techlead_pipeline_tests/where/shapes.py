"""Small examples shaped like a real lead's history (evaluation of WHERE on 2 cores in a second):
pull requests of many hunks, her comments on about a tenth of them, a habit that decides most of
where she speaks (leftover debugging output), a few comments off it, and some hunks of the habit's
kind she let pass."""

from __future__ import annotations

import numpy as np
import pandas as pd

from techlead_pipeline.training_data.keys import retrieval_key
from techlead_pipeline.training_data.prompts import NO_COMMENT

DEBUG_ASK = "leftover debug `print` of `{name}`, please drop it."  # she names what she means
NAMING_ASK = "nit: `tmp` says nothing, name it for what it holds."


def real_shaped_examples(pulls: int = 24, hunks: int = 14, seed: int = 0, held_out: int = 6, validation: int = 3):
    rng = np.random.default_rng(seed)
    rows = []
    for pr in range(pulls):
        split = (
            "holdout" if pr >= pulls - held_out else "validation" if pr >= pulls - held_out - validation else "train"
        )
        for h in range(hunks):
            path = f"billing/{['ledger', 'refunds', 'tax', 'report'][h % 4]}.py"
            habit = rng.random() < 0.09
            odd = not habit and rng.random() < 0.02
            name = f"value_{pr}_{h}"
            line = (
                f'    print("DEBUG", {name})'
                if habit
                else f"    tmp = {name} * rate"
                if odd
                else f"    {name} = rate * {h}"
            )
            text = f"@@ -{10 * h},3 +{10 * h},4 @@\n def compute_{h}(rate):\n+{line}\n     return rate\n"
            said = DEBUG_ASK.format(name=name) if habit and rng.random() < 0.9 else NAMING_ASK if odd else None
            rows.append(
                {
                    "example_id": f"{pr}-{h}",
                    "role": "target",
                    "kind": "comment" if said else "no_comment",
                    "user": "lead",
                    "pull_number": pr,
                    "chunk_id": f"{pr}:{path}:{h}:0",
                    "created_at": pd.Timestamp("2026-01-01") + pd.Timedelta(days=pr),
                    "path": path,
                    "language": "Python",
                    "side": "RIGHT",
                    "focus_line": 10 * h + 1,
                    "comment_id": len(rows) if said else None,
                    "system": "sys",
                    "prompt": f"File: {path}\ncode:\n{line}",
                    "key": retrieval_key([line], 0),
                    "response": said or NO_COMMENT,
                    "split": split,
                    "hunk_text": text,
                    "file_status": "modified",
                }
            )
    frame = pd.DataFrame(rows)
    frame["comment_id"] = frame["comment_id"].astype("Int64")
    return frame
