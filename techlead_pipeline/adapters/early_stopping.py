"""How long to train, decided on the validation split while training runs (never on held-out data)."""

from __future__ import annotations

import math
import time


class EarlyStopping:
    """The validation loss while training: measured when asked, the best adapter weights kept (a
    copy of the LoRA tensors, a few MB), `stopped` once `patience` measurements brought no better one."""

    def __init__(self, trainer, model, tokenizer, samples: list[dict], device):
        self.trainer, self.model, self.tokenizer, self.samples, self.device = trainer, model, tokenizer, samples, device
        self.curve: list[tuple[int, float]] = []
        self.best_step, self.best_loss, self.best_state = 0, math.inf, None
        self.since_best, self.stopped = 0, False
        self.seconds = 0.0  # spent measuring since the loop began (not training)
        self.frozen: dict = {}  # the samples' hidden states below the LoRA layers, computed at the first measure
        self.measure(0)

    def measure(self, step: int) -> None:
        started = time.perf_counter()
        loss = self.trainer.evaluate(self.model, self.tokenizer, self.samples, self.device, self.frozen)
        self.seconds += time.perf_counter() - started
        if loss is None:
            return
        self.curve.append((step, round(loss, 4)))
        if loss < self.best_loss - 1e-4:
            self.best_step, self.best_loss, self.since_best = step, loss, 0
            self.best_state = {k: v.detach().clone() for k, v in self.model.named_parameters() if v.requires_grad}
            return
        self.since_best += 1
        patience = self.trainer.settings.patience
        self.stopped = bool(patience) and self.since_best >= patience

    def restore_best(self) -> None:
        if self.best_state is None or self.best_step == (self.curve[-1][0] if self.curve else None):
            return
        with_names = dict(self.model.named_parameters())
        for name, value in self.best_state.items():
            with_names[name].data.copy_(value)
