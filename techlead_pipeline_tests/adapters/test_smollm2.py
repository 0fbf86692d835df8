"""A real pretrained base model on every machine: SmolLM2-135M-Instruct, converted from the GGUF in its
PyPI wheel, built from torchtune's components, trained with LoRA on real review comments (crc-py),
and served by transformers + peft with the same logits."""

from __future__ import annotations

import json

import pytest
import torch

from techlead_pipeline.adapters.base_models import REGISTRY, chosen_name, resolve
from techlead_pipeline.adapters.torchtune_trainer import TorchtuneLoraTrainer
from techlead_pipeline.adapters.trainer import ChatExample, LoraSettings
from techlead_pipeline.evaluation.crc_py import load_crc_py
from techlead_pipeline.training_data.prompts import NO_COMMENT, system_prompt

SETTINGS = LoraSettings(
    rank=8,
    alpha=16,
    dropout=0.0,
    apply_to_mlp=False,
    epochs=2,
    batch_size=8,
    grad_accum=1,
    max_seq_len=256,
    lr=2e-3,
    warmup_steps=2,
)


def test_registry_names_every_model_and_the_default_needs_no_gpu_weights():
    assert set(REGISTRY) == {"llama3-8b-instruct", "smollm2-135m-instruct", "tiny-random"}
    for spec in REGISTRY.values():
        assert spec.architecture and spec.tokenizer and spec.chat_template and spec.context_tokens >= 4096
    assert chosen_name({}) == "smollm2-135m-instruct"
    assert chosen_name({"TECHLEAD_BASE_MODEL_DIR": "/models/llama3"}) == "llama3-8b-instruct"
    assert chosen_name({"TECHLEAD_BASE_MODEL": "tiny-random"}) == "tiny-random"


def test_the_conversion_is_an_hf_checkpoint_of_the_right_shape(smollm2_base):
    files = {p.name for p in smollm2_base.model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "techlead_base.json"} <= files
    c = smollm2_base.config
    shape = (c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"])
    assert shape == (576, 30, 9, 3) and c["vocab_size"] == 49152 and c["tie_word_embeddings"]
    assert smollm2_base.spec.name == "smollm2-135m-instruct" and smollm2_base.context_tokens == 8192


def test_resolve_converts_once_into_the_home(tmp_path, smollm2_base):
    home = tmp_path / "home"
    (home / "base_models").mkdir(parents=True)
    import shutil

    shutil.copytree(smollm2_base.model_dir, home / "base_models" / "smollm2-135m-instruct")
    again = resolve("smollm2-135m-instruct", home)  # already there: no second conversion
    assert again.model_dir == home / "base_models" / "smollm2-135m-instruct"


def test_torchtune_logits_equal_transformers(smollm2_base):
    from transformers import AutoModelForCausalLM

    tokenizer = smollm2_base.tokenizer()
    ids = torch.tensor([tokenizer.encode("def charge(card):\n    if card == None:\n        return 0\n")])
    ours = TorchtuneLoraTrainer(smollm2_base, SETTINGS).build_model(torch.device("cpu"), torch.float32).eval()
    theirs = AutoModelForCausalLM.from_pretrained(smollm2_base.model_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        assert torch.allclose(ours(ids), theirs(ids).logits, atol=1e-4)


def test_chatml_masks_train_only_the_answer(smollm2_base):
    from torchtune.data import Message

    tokenizer = smollm2_base.tokenizer()
    tokens, mask = tokenizer.tokenize_messages(
        [Message("system", "sys"), Message("user", "code"), Message("assistant", "nit: `is None`")]
    )
    trained = tokenizer.decode([t for t, m in zip(tokens, mask) if not m])
    assert trained == "nit: `is None`"
    assert tokens[-2] == tokenizer.end_id and not mask[tokens.index(tokenizer.end_id, len(tokens) - 3)]


def crc_slice() -> tuple[list[ChatExample], list[ChatExample]]:
    """Real review comments of one crc-py repository, newest last: train on the older, hold out the newer."""
    data = load_crc_py()
    repo = data[data["repo"] == "keras"].sort_values("comment_created_at")
    pairs = [
        ChatExample(
            system_prompt("lead", "keras-team/keras"),
            f"File: {r.file_path}\nDiff:\n{r.code[-600:]}",
            r.comment.strip().split("\n")[0][:200],
        )
        for r in repo.itertuples()
    ]
    return pairs[16:64], pairs[64:80]


@pytest.fixture(scope="module")
def trained(smollm2_base, tmp_path_factory):
    trainer = TorchtuneLoraTrainer(smollm2_base, SETTINGS)
    out = tmp_path_factory.mktemp("smol-adapter")
    report = trainer.train(*crc_slice(), out)
    return trainer, report, out


def test_lora_on_real_comments_lowers_held_out_loss_against_the_base_model(trained):
    _, report, _ = trained
    assert report.eval_loss_after < report.eval_loss_before - 0.05, (report.eval_loss_before, report.eval_loss_after)
    assert report.trainable_params < report.total_params / 20


def test_peft_serves_the_same_adapter_on_transformers(trained, smollm2_base):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    trainer, _, out = trained
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["base_model_name_or_path"] == smollm2_base.model_id
    hf = AutoModelForCausalLM.from_pretrained(smollm2_base.model_dir, dtype=torch.float32)
    model = PeftModel.from_pretrained(hf, out).eval()
    ids = torch.tensor([smollm2_base.tokenizer().encode("for i in range(len(xs)):\n    print(xs[i])\n")])
    with torch.no_grad():
        ours = trainer.trained_model(ids)
        theirs = model(ids).logits
        with model.disable_adapter():
            base_only = model(ids).logits
    assert torch.allclose(ours, theirs, atol=1e-4), (ours - theirs).abs().max()
    assert (ours - base_only).abs().max() > 1e-3


def test_no_comment_is_one_answer_the_model_can_learn(smollm2_base):
    assert smollm2_base.tokenizer().decode(smollm2_base.tokenizer().encode(NO_COMMENT)) == NO_COMMENT


def test_ids_past_the_tokenizer_in_a_padded_vocabulary_decode_to_nothing(smollm2_base, tiny_base_model):
    """Models pad their vocabulary past their tokenizer's (the tiny model to a multiple of 64): an id
    there, which an untrained model does emit, must not fail a review or a training run."""
    tiny = tiny_base_model.tokenizer()
    padded = list(range(tiny.inner.vocab_size, tiny_base_model.config["vocab_size"]))
    assert padded  # the tiny model's vocabulary is padded
    ids = tiny.encode("return None")
    assert tiny.decode([*ids, *padded, 10**6]) == tiny.decode(ids) == "return None"
    smol = smollm2_base.tokenizer()
    ids = smol.encode("return None")
    assert smol.decode([*ids, smollm2_base.config["vocab_size"], 10**6]) == "return None"
