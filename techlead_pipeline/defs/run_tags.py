"""Tags that carry a run's origin (which mention on which pull request) through Dagster."""

REPO = "techlead/repo"
PULL = "techlead/pr"
MENTION_ID = "techlead/mention_id"
REQUESTED_BY = "techlead/requested_by"
FORCE_RELOAD = "techlead/force_reload"
REVIEWER = "techlead/reviewer"
