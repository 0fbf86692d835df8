"""The in-process decoder's tensor work, apart from the backend (local.py) that orchestrates it: the
shared prefix's KV cache, padding (right-padded to a width set by a prompt's own length when deciding,
left-padded when writing), the deciding pass's last-position logits, and greedy decoding that drops
finished rows from the batch. Everything here takes a loaded model and token ids; nothing reads a
conversation or a threshold."""

from __future__ import annotations


def common_prefix(rows: list[list[int]], at_most: int) -> int:
    """How many leading tokens every row shares (at most `at_most`)."""
    n = 0
    while n < at_most and all(row[n] == rows[0][n] for row in rows):
        n += 1
    return n


PAD_TO = 16  # deciding pads each prompt's own tokens to a multiple of this (at most PAD_TO - 1 wasted)


def padded_width(own_tokens: int) -> int:
    """The width a prompt's own tokens are padded to when deciding: a function of their number alone
    (see local.LocalBackend.silence_probability), with at least one padding position, so every batch takes
    the same attention path (a batch without padding skips the mask)."""
    return -(-(own_tokens + 1) // PAD_TO) * PAD_TO


def right_padded(rows: list[list[int]], width: int, pad_id: int):
    """(token ids, attention mask) of `rows`, each padded after its last token to `width`."""
    import torch

    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, seq in enumerate(rows):
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    return ids, mask


def prefix_cache(model, prefix: list[int], rows: int, device):
    """A KV cache holding `prefix`, run once, for each of `rows` rows (empty without a prefix)."""
    import torch
    from transformers import DynamicCache

    cache = DynamicCache()
    if prefix:
        model(input_ids=torch.tensor([prefix], device=device), past_key_values=cache, logits_to_keep=1)
        cache.batch_repeat_interleave(rows)
    return cache


def bf16_matrices(model) -> None:
    """The linear layers' weights stored in bf16, for a CPU that computes under bf16 autocast.
    Autocast rounds every fp32 weight to bf16 at every forward pass anyway: for a decoding step of
    one token that copy was a third of the step. Storing them rounded gives the same numbers without
    the copies. The embedding stays fp32 (its output starts the fp32 residual stream); a vocabulary
    projection tied to it gets its own bf16 copy."""
    import torch

    embedding = model.get_input_embeddings().weight
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            if module.weight is embedding:
                module.weight = torch.nn.Parameter(embedding.detach().to(torch.bfloat16), requires_grad=False)
            else:
                module.weight.data = module.weight.data.to(torch.bfloat16)


def last_logits(model, prefix: list[int], rows: list[list[int]], width: int, pad_id: int, device):
    """The next-token logits after each row, every row [prefix][its own tokens][padding to `width`]:
    the prefix runs once and its KV cache is shared, the padding comes after each row's last token
    (nothing real attends to it), and only the rows' last positions are projected on the vocabulary."""
    import torch

    cache = prefix_cache(model, prefix, len(rows), device)
    ids, own = right_padded(rows, width, pad_id)
    ids, own = ids.to(device), own.to(device)
    mask = torch.cat([own.new_ones((len(rows), len(prefix))), own], dim=1)
    positions = (len(prefix) + torch.arange(width, device=device)).expand(len(rows), width)
    last = [len(seq) - 1 for seq in rows]
    kept = sorted(set(last))
    out = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        past_key_values=cache,
        logits_to_keep=torch.tensor(kept, device=device),
    )
    at = torch.tensor([kept.index(n) for n in last], device=device)
    return out.logits[torch.arange(len(rows), device=device), at].float()


def left_padded(batch: list[list[int]], pad_id: int):
    import torch

    width = max(map(len, batch))
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, seq in enumerate(batch):  # left padding: every prompt ends where generation starts
        ids[row, width - len(seq) :] = torch.tensor(seq)
        mask[row, width - len(seq) :] = 1
    return ids, mask


def greedy(
    model,
    prompts: list[list[int]],
    pad_id: int,
    device,
    stop: set[int],
    no_comment: int,
    speak: bool,
    max_new_tokens: int,
    autocast,
):
    """Greedy decoding of a batch of prompts: (each row's answer tokens, whether it ended within
    max_new_tokens). A row leaves the batch, and its KV cache with it, once it ends: answers run
    from a few tokens to the limit, and transformers' generate() would carry the finished rows to
    the longest one's end. The same greedy tokens."""
    import torch

    answers: list[list[int]] = [[] for _ in prompts]
    ended = [False] * len(prompts)
    rows = list(range(len(prompts)))  # the batch rows still writing, by their index in `answers`
    with torch.no_grad(), autocast:
        logits, cache, mask, position = prefill(model, prompts, pad_id, device)
        if speak:  # the decision to comment is made: the silence may not start the answer
            logits[:, no_comment] = float("-inf")
        for step in range(max_new_tokens):
            tokens = logits.argmax(dim=-1).tolist()
            writing = []
            for k, (row, token) in enumerate(zip(rows, tokens)):
                if token in stop:
                    ended[row] = True
                else:
                    answers[row].append(token)
                    writing.append(k)
            if not writing or step + 1 == max_new_tokens:
                break
            if len(writing) < len(rows):
                keep = torch.tensor(writing, device=device)
                cache.batch_select_indices(keep)
                mask, position = mask[keep], position[keep]
                rows, tokens = [rows[k] for k in writing], [tokens[k] for k in writing]
            mask = torch.cat([mask, mask.new_ones((len(rows), 1))], dim=1)
            position = position + 1
            out = model(
                input_ids=torch.tensor(tokens, device=device).unsqueeze(1),
                attention_mask=mask,
                position_ids=position,
                past_key_values=cache,
            )
            logits = out.logits[:, -1, :].float()
    return answers, ended


def prefill(model, prompts: list[list[int]], pad_id: int, device):
    """One forward pass over a batch of prompts: (each row's next-token logits, the KV cache, the
    attention mask, each row's last position). Their common beginning (the system prompt, the
    chat template, often the file's name) is run once and its cache shared by every row: it is a
    quarter or more of a review prompt. For writing and scoring; deciding has its own pass
    (`last_logits`), whose numbers do not depend on the batch."""
    import torch

    shared = common_prefix(prompts, at_most=min(map(len, prompts)) - 1)  # each row keeps a token of its own
    cache = prefix_cache(model, prompts[0][:shared], len(prompts), device)
    ids, own = left_padded([p[shared:] for p in prompts], pad_id)
    ids, own = ids.to(device), own.to(device)
    # [shared prefix][left padding][the row's own tokens]: positions run on from the prefix
    mask = torch.cat([own.new_ones((len(prompts), shared)), own], dim=1)
    positions = shared + (own.cumsum(-1) - 1).clamp(min=0)
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, past_key_values=cache, logits_to_keep=1)
    return out.logits[:, -1, :].float(), cache, mask, positions[:, -1:]
