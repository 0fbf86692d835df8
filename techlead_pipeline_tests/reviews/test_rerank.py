"""The learned model as judge of the lead's own words (issue 19): candidates scored by the adapter's
length-normalised likelihood, computed once per prompt; what is posted is hers, sanitised."""

from __future__ import annotations

import json

import torch

from techlead_pipeline.common.safe_markdown import sanitize_comment
from techlead_pipeline.reviews.backends.generative import Rerank
from techlead_pipeline.reviews.markers import without_markers
from techlead_pipeline.reviews.service import make_backend, review_pull_request
from techlead_pipeline.training_data.prompts import messages


def naive_likelihood(backend, conversation, answer: str) -> float:
    """The same score the slow way: the whole sequence through the model, no cache; the answer's
    trained tokens after the prompt generation would start from (its header is the prompt's)."""
    from torchtune.data import Message

    model, tokenizer, _ = backend._load()
    msgs = [Message(m["role"], m["content"], masked=True) for m in conversation]
    ids, mask = tokenizer.tokenize_messages(msgs + [Message("assistant", answer, masked=False)])
    with torch.no_grad(), backend._autocast("cpu"):
        logits = model(input_ids=torch.tensor([ids])).logits.float()[0]
    logp = torch.log_softmax(logits[:-1], dim=-1).gather(-1, torch.tensor(ids[1:]).unsqueeze(-1)).squeeze(-1)
    start = len(backend.prompt_ids(conversation))
    trained = torch.tensor([not m and i >= start for i, m in enumerate(mask)][1:])
    return float(logp[trained].mean())


def test_cached_scores_equal_the_whole_sequence_scores(served, settings, lead_target, training_env):
    backend = make_backend("local", lead_target, served, settings.adapters_dir, base=training_env)
    conversation = messages(lead_target.reviewer, lead_target.repo, "File: a.py (Python)\nDiff:\n+x == None")
    longer = messages(
        lead_target.reviewer, lead_target.repo, "File: b/payments.py (Python)\nDiff:\n+try:\n+    n = int(s)\n+except:"
    )
    answers = ["nit: `is None`, not `== None`.", "no bare `except:` please", "ok"]
    # answers to two prompts of different lengths, interleaved: scored side by side, each on its own prompt
    pairs = [(c, a) for a in answers for c in (conversation, longer)]
    fast = backend.answer_likelihoods(pairs)
    slow = [naive_likelihood(backend, c, a) for c, a in pairs]
    assert all(abs(f - s) < 3e-3 for f, s in zip(fast, slow)), (fast, slow)  # bf16 noise; a wrong prompt: ~1e-2
    assert all(len({round(f, 3) for f in fast[k::2]}) == 3 for k in (0, 1))  # each prompt tells its answers apart


def test_the_reranker_posts_only_the_leads_own_words(served, settings, standin, bot_access, lead_target, training_env):
    backend = make_backend("local", lead_target, served, settings.adapters_dir, base=training_env)
    backend.rerank = Rerank(candidates=5, min_score=float("-inf"))  # always one of hers
    backend.silence_threshold = 1.01  # speak on every hunk
    outcome = review_pull_request(bot_access, lead_target, 51, backend, served, mention_id="rerank")
    entries = json.loads((served.retrieval_dir / "entries.json").read_text())
    hers = {sanitize_comment(e["response"]) for e in entries}
    # or hers with the names of the line she commented on made this line's (reviews/adapt.py)
    adapted = [_as_pattern(sanitize_comment(e["template"]["text"])) for e in entries if e.get("template")]

    def her_words(body: str) -> bool:
        return body in hers or any(p.fullmatch(body) for p in adapted)

    assert outcome.posted.posted
    assert all(her_words(d.body) for d in outcome.posted.posted)
    posted = standin.posted_reviews()[0]["comments"]
    assert all(her_words(without_markers(c["body"])) for c in posted)


def _as_pattern(template: str):
    import re

    parts = re.split(r"(\{\d+\})", template.replace("{{", "\0").replace("}}", "\1"))
    out = "".join(
        r"[A-Za-z_][A-Za-z0-9_]*" if re.fullmatch(r"\{\d+\}", p) else re.escape(p.replace("\0", "{").replace("\1", "}"))
        for p in parts
    )
    return re.compile(out)
