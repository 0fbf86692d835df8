"""Real torchtune LoRA training on a tiny Llama; the PEFT adapter it writes is the model it trained."""

from __future__ import annotations

import json

import pytest
import torch

from techlead_pipeline.adapters.torchtune_trainer import TorchtuneLoraTrainer
from techlead_pipeline.adapters.trainer import ChatExample, LoraSettings
from techlead_pipeline_tests.conftest import SAMPLE_REPO

SETTINGS = LoraSettings(
    rank=8, alpha=16, epochs=3, batch_size=8, grad_accum=1, max_seq_len=1024, lr=3e-3, warmup_steps=2
)


@pytest.fixture(scope="module")
def examples(sample_fixture):
    """Prompt/response pairs from the sample lead's comments (diff hunk in, comment out)."""
    comments = json.loads((sample_fixture / "repos" / SAMPLE_REPO / "review_comments.json").read_text())
    lead = [c for c in comments if c["user"] == "mira-kovacs" and c["diff_hunk"] and not c["in_reply_to_id"]]
    pairs = [
        ChatExample("You are mira-kovacs.", f"File: {c['path']}\nDiff:\n{c['diff_hunk'][-800:]}", c["body"])
        for c in lead
    ]
    return pairs[:160], pairs[160:200]


@pytest.fixture(scope="module")
def trained(tiny_base_model, examples, tmp_path_factory):
    trainer = TorchtuneLoraTrainer(tiny_base_model, SETTINGS)
    out = tmp_path_factory.mktemp("adapter")
    report = trainer.train(*examples, out)
    return trainer, report, out


def test_training_lowers_held_out_loss(trained):
    _, report, _ = trained
    assert report.steps == 60 and report.train_examples == 160
    assert report.eval_loss_after < report.eval_loss_before - 0.1
    assert report.trainable_params < report.total_params / 5  # only LoRA weights train
    assert report.tokens_per_second > 0


def test_adapter_is_written_in_peft_format(trained, tiny_base_model):
    _, _, out = trained
    assert sorted(p.name for p in out.iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 8 and config["lora_alpha"] == 16
    assert set(config["target_modules"]) == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }
    assert config["base_model_name_or_path"] == tiny_base_model.model_id


def test_peft_loads_the_adapter_and_matches_torchtune_logits(trained, tiny_base_model):
    from peft import PeftModel
    from transformers import LlamaForCausalLM

    trainer, _, out = trained
    hf = LlamaForCausalLM.from_pretrained(tiny_base_model.model_dir, dtype=torch.float32)
    model = PeftModel.from_pretrained(hf, out).eval()
    tokenizer = tiny_base_model.tokenizer()
    ids = torch.tensor([tokenizer.encode("def charge(card_number):\n    print('DEBUG', card_number)\n")])
    with torch.no_grad():
        ours = trainer.trained_model(ids)
        theirs = model(ids).logits
        with model.disable_adapter():
            base_only = model(ids).logits
    assert torch.allclose(ours, theirs, atol=1e-4), (ours - theirs).abs().max()
    assert (ours - base_only).abs().max() > 1e-2  # the adapter really changes the model


def test_measuring_with_the_frozen_layers_kept_gives_the_same_loss(tiny_base_model, examples, tmp_path):
    """Early stopping measures the same samples again and again: the hidden states below the first
    LoRA layer are computed once and kept. The loss must be the one a full forward pass gives, also
    after training has moved the LoRA weights."""
    from dataclasses import replace

    trainer = TorchtuneLoraTrainer(tiny_base_model, replace(SETTINGS, epochs=1, lora_layers=1, eval_every=2))
    trainer.train(examples[0][:32], [], tmp_path / "adapter", validation=examples[1][:12])
    assert trainer.first_lora_layer > 0
    model, tokenizer = trainer.trained_model, tiny_base_model.tokenizer()
    samples, _ = trainer.tokenize(tokenizer, examples[1][:12])
    device = next(model.parameters()).device
    frozen: dict = {}
    first = trainer.evaluate(model, tokenizer, samples, device, frozen)
    assert frozen, "nothing was kept"
    assert first == pytest.approx(trainer.evaluate(model, tokenizer, samples, device), rel=1e-6)
    with torch.no_grad():  # a training step moves the LoRA weights, which sit above what was kept
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.5 * torch.randn_like(p))
    again = trainer.evaluate(model, tokenizer, samples, device, frozen)
    recomputed = trainer.evaluate(model, tokenizer, samples, device)
    assert abs(again - first) > 1e-3  # far more than the tolerance below
    assert again == pytest.approx(recomputed, rel=1e-6)
