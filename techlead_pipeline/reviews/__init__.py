"""Stage 4: reviewing a pull request in the lead's voice and posting the review."""
