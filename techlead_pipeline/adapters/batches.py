"""How tokenized examples become training batches: padded batches of like lengths, or packed rows.

Padded: examples sorted by length and cut into batches, so a batch pads to its longest member and
little compute goes to padding. Packed: whole examples laid end to end in rows of `pack_tokens`;
each attends only to itself (a block-causal mask) and its positions restart at 0, so a packed
example sees exactly what it would see alone. Both report how much of what runs through the model
is padding (`padding_share`): what packing could save at most.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class Batch:
    tokens: object  # LongTensor [b, s]
    labels: object  # LongTensor [b, s]
    mask: object | None = None  # BoolTensor [b, s, s] (packed rows only); None: causal
    input_pos: object | None = None  # LongTensor [b, s] (packed rows only)
    examples: int = 0
    real_tokens: int = 0

    @property
    def padded_tokens(self) -> int:
        return int(self.tokens.numel())


def length_batches(samples: list[dict], batch_size: int) -> list[list[int]]:
    """Indices of `samples` in batches of similar length: padding costs compute on a CPU."""
    order = sorted(range(len(samples)), key=lambda i: len(samples[i]["tokens"]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def pack_rows(samples: list[dict], pack_tokens: int, rng: random.Random) -> list[list[int]]:
    """Indices of `samples` laid into rows of at most `pack_tokens` tokens (first fit, in a random
    order so that a row mixes ages and kinds)."""
    order = list(range(len(samples)))
    rng.shuffle(order)
    rows: list[list[int]] = []
    room: list[int] = []
    for i in order:
        n = len(samples[i]["tokens"])
        for r, left in enumerate(room):
            if n <= left:
                rows[r].append(i)
                room[r] -= n
                break
        else:
            rows.append([i])
            room.append(pack_tokens - n)
    return rows


def padded_batch(samples: list[dict], pad_id: int) -> Batch:
    from torchtune.data import padded_collate_sft

    collated = padded_collate_sft(samples, padding_idx=pad_id)
    real = sum(len(s["tokens"]) for s in samples)
    return Batch(collated["tokens"], collated["labels"], examples=len(samples), real_tokens=real)


def packed_batch(rows: list[list[dict]], pad_id: int) -> Batch:
    """Rows of whole examples, padded to the longest row; block-causal mask, positions per example.
    A padding position attends to itself only (a row of nothing but -inf would be NaN)."""
    import torch
    from torchtune.data import CROSS_ENTROPY_IGNORE_IDX

    width = max(sum(len(s["tokens"]) for s in row) for row in rows)
    tokens = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), CROSS_ENTROPY_IGNORE_IDX, dtype=torch.long)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.eye(width, dtype=torch.bool).repeat(len(rows), 1, 1)
    causal = torch.tril(torch.ones(width, width, dtype=torch.bool))
    real = 0
    for r, row in enumerate(rows):
        at = 0
        for sample in row:
            n = len(sample["tokens"])
            tokens[r, at : at + n] = torch.tensor(sample["tokens"])
            labels[r, at : at + n] = torch.tensor(sample["labels"])
            positions[r, at : at + n] = torch.arange(n)
            mask[r, at : at + n, at : at + n] = causal[:n, :n]
            at += n
            real += n
    return Batch(tokens, labels, mask, positions, sum(len(row) for row in rows), real)


def epoch_batches(
    samples: list[dict], batch_size: int, pad_id: int, rng: random.Random, pack_tokens: int | None = None
) -> list[Batch]:
    """One epoch's batches, in random order: padded batches of like lengths, or (with `pack_tokens`)
    packed rows, `batch_size` examples' worth of rows per batch on average."""
    if not pack_tokens:
        batches = length_batches(samples, batch_size)
        rng.shuffle(batches)
        return [padded_batch([samples[i] for i in idx], pad_id) for idx in batches]
    rows = pack_rows(samples, pack_tokens, rng)
    per_row = max(1.0, len(samples) / max(len(rows), 1))
    rows_per_batch = max(1, round(batch_size / per_row))
    return [
        packed_batch([[samples[i] for i in row] for row in rows[at : at + rows_per_batch]], pad_id)
        for at in range(0, len(rows), rows_per_batch)
    ]


def within_token_budget(samples: list[dict], max_tokens: int | None) -> list[dict]:
    """The first (newest) samples whose tokens fit in `max_tokens` (all when None; at least one)."""
    if not max_tokens:
        return samples
    kept, total = [], 0
    for sample in samples:
        total += len(sample["tokens"])
        if total > max_tokens and kept:
            break
        kept.append(sample)
    return kept
