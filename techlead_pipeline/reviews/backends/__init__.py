"""Reviewer backends: a batch of hunks in, zero or one comment per hunk out."""
