"""Her history's features never let a training hunk see its own pull request."""

from __future__ import annotations

import pandas as pd

from techlead_pipeline.adapters.bundle import index_entries
from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex
from techlead_pipeline.where.history import nearness
from techlead_pipeline.where.table import hunk_table
from techlead_pipeline_tests.where.shapes import real_shaped_examples


def test_nearness_leaves_the_hunks_own_pull_request_out():
    frame = real_shaped_examples(pulls=6, held_out=0, validation=0)
    rows = frame[frame["split"] == "train"]
    index = RetrievalIndex.build(list(rows["key"]), index_entries(rows))
    table = hunk_table(frame)
    commented = table[table["commented"]].head(1)
    alone = commented.assign(pull_number=999)  # the same code, as a pull request under review
    seen = nearness(index, alone, leave_pull_out=False)[0]["near_her_comment"]
    assert seen > 0.99  # its own comment is in the index
    unseen = nearness(index, pd.concat([commented]), leave_pull_out=True)[0]["near_her_comment"]
    assert unseen < seen
