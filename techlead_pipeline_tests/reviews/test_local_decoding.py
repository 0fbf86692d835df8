"""The in-process backend's own greedy decoding (the prompts' common beginning run once, rows leaving the
batch as they end) writes exactly what transformers' `generate()` writes for the same batch, ends included."""

from __future__ import annotations

import torch

from techlead_pipeline.reviews.backends.local import LocalBackend, _common_prefix, load_model


def reference(model, ids, mask, stop: list[int], pad_id: int, max_new_tokens: int) -> list[list[int]]:
    with torch.no_grad():
        result = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=stop,
            pad_token_id=pad_id,
        )
    rows = []
    for row in result[:, ids.shape[1] :].tolist():
        kept = []
        for token in row:
            if token in stop:
                break
            kept.append(token)
        rows.append(kept)
    return rows


def test_greedy_decoding_that_drops_finished_rows_writes_what_generate_writes(tiny_base_model):
    backend = LocalBackend("lead", "o/r", tiny_base_model, None, max_new_tokens=12)
    model, tokenizer, _ = load_model(tiny_base_model, None)
    # a shared beginning (run once, its cache shared) and rows of their own of different lengths
    shared = "Review this: "
    prompts = [tokenizer.encode(shared + text) for text in ("def f(x):", "x = compute(a, b) + 1", "return None", "y")]
    assert _common_prefix(prompts, at_most=99) >= 3
    ids, mask = backend._left_padded(prompts, tokenizer.pad_id)
    with backend._autocast("cpu"):
        free = reference(model, ids, mask, [tokenizer.pad_id], tokenizer.pad_id, 12)
    # A stop token each row reaches at a different step, so rows leave the batch at different times.
    stop = sorted({row[min(2 * k + 1, len(row) - 1)] for k, row in enumerate(free)})
    with backend._autocast("cpu"):
        expected = reference(model, ids, mask, stop, tokenizer.pad_id, 12)
    answers, ended, first = backend._greedy(
        model, prompts, tokenizer.pad_id, "cpu", set(stop), no_comment=7, speak=False
    )
    assert answers == expected
    assert sum(ended) >= 2 and len({len(a) for a in answers}) >= 2  # rows did end, at different steps
    assert [len(a) < 12 for a in answers] == ended

    # Each left-padded row's first step is its prompt's own next-token distribution, read alone.
    for prompt, p in zip(prompts, first):
        with torch.no_grad(), backend._autocast("cpu"):
            alone = torch.softmax(model(input_ids=torch.tensor([prompt])).logits[0, -1].float(), dim=-1)[7]
        assert abs(p - float(alone)) <= 1e-3 * max(float(alone), 1e-6) + 1e-7
