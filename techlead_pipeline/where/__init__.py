"""Where the lead would speak: a per-hunk probability that she comments, learned from every hunk she
reviewed (commented or passed over), beside the plain baseline every where-model must beat."""
