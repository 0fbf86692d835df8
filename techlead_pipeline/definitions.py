"""The one Dagster code location of techlead-reviewer (workspace.yaml points here)."""

import dagster as dg

from .assets.history import code_contexts, review_comments
from .resources import PipelineSettings

collect_history_job = dg.define_asset_job(
    "collect_history",
    selection=[review_comments, code_contexts],
    description="Collect a reviewer's history and the code around it (run-scoped; nothing kept).",
)

defs = dg.Definitions(
    assets=[review_comments, code_contexts],
    jobs=[collect_history_job],
    resources={"pipeline": PipelineSettings()},
)
