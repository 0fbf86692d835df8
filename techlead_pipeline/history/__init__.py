"""Stage 1: a reviewer's review-comment history in one repository, and the code around each comment."""
