"""The in-process backend's own greedy decoding (the prompts' common beginning run once, rows leaving the
batch as they end) writes exactly what transformers' `generate()` writes for the same batch, ends included;
and its speak-or-not measure gives a prompt the same number whatever other prompts share its batch."""

from __future__ import annotations

import torch

from techlead_pipeline.reviews.backends import local
from techlead_pipeline.reviews.backends.decoding import common_prefix, greedy, left_padded
from techlead_pipeline.reviews.backends.local import LocalBackend, load_model, padded_width


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
    assert common_prefix(prompts, at_most=99) >= 3
    ids, mask = left_padded(prompts, tokenizer.pad_id)
    with backend._autocast("cpu"):
        free = reference(model, ids, mask, [tokenizer.pad_id], tokenizer.pad_id, 12)
    # A stop token each row reaches at a different step, so rows leave the batch at different times.
    stop = sorted({row[min(2 * k + 1, len(row) - 1)] for k, row in enumerate(free)})
    with backend._autocast("cpu"):
        expected = reference(model, ids, mask, stop, tokenizer.pad_id, 12)
    answers, ended = greedy(
        model, prompts, tokenizer.pad_id, "cpu", set(stop), 7, False, backend.max_new_tokens, backend._autocast("cpu")
    )
    assert answers == expected
    assert sum(ended) >= 2 and len({len(a) for a in answers}) >= 2  # rows did end, at different steps
    assert [len(a) < 12 for a in answers] == ended


def conversation(code: str) -> list[dict]:
    return [{"role": "system", "content": "You review code as the lead does."}, {"role": "user", "content": code}]


def test_a_hunks_p_of_silence_does_not_depend_on_the_prompts_beside_it(tiny_base_model):
    """Left-padded to its batch's longest prompt, a hunk's P(silence) moved with its neighbours (in bf16
    by up to 0.06 with SmolLM2): a decision near the threshold then hung on which other hunks the
    pull request held. It must be the same number, to the bit, alone or in any company."""
    backend = LocalBackend("lead", "o/r", tiny_base_model, None, batch_size=8)
    codes = ["x = 1", "x = compute(a, b) + 1", "return values[0] if values else None", "def f(x):\n    return x"]
    codes += ["items = [transform(item) for item in source if item is not None]  # " + "n" * k for k in (3, 9, 14)]
    conversations = [conversation(code) for code in codes]
    own = [len(backend.prompt_ids(c)) - len(backend._system_tokens(c, backend.prompt_ids(c))) for c in conversations]
    widths = [padded_width(n) for n in own]
    assert len(set(own)) == len(own) and any(widths.count(w) >= 3 for w in widths)  # batched with other lengths

    local._SILENCE.clear()
    together = backend.silence_probability(conversations)
    for company in ([], conversations[::-1], conversations[1::2]):
        for c, expected in zip(conversations, together):
            local._SILENCE.clear()
            assert backend.silence_probability([c] + company)[0] == expected

    # ... and it is the prompt's own next-token distribution, as one whole-sequence pass reads it
    model, tokenizer, _ = load_model(tiny_base_model, None)
    first = tokenizer.encode(local.NO_COMMENT)[0]
    for c, p in zip(conversations, together):
        with torch.no_grad(), backend._autocast("cpu"):
            logits = model(input_ids=torch.tensor([backend.prompt_ids(c)])).logits[0, -1].float()
        alone = float(torch.softmax(logits, dim=-1)[first])
        assert abs(p - alone) <= 2e-2 * alone + 1e-7
