"""Stage 3: a LoRA adapter per (reviewer, repo), trained with torchtune, cached and served."""
