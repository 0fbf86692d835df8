"""Unified diffs: parsing (unidiff), splitting hunks into reviewable chunks, and the prompt text
of a chunk. Shared by history (training negatives) and review (what the model sees)."""
