"""Stage 2: prompt/response pairs in OpenAI chat format, split by time."""
