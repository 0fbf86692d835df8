"""Which version serves a (reviewer, repo) after an evaluation, and how.

The candidate's ways of reviewing compete on the primary score on the held-out pull requests:
retrieval of the lead's own comments, the LoRA adapter (`lora`), the adapter with the lead's
nearest past comments in its prompt (`lora+rag`), and the adapter choosing among the lead's nearest
past comments by its likelihood, writing its own where none fits (`lora+rerank`). A learned way
serves only if it beats retrieval; then the candidate is promoted with it. If none does and the
previous version serves a learned way, that version keeps serving; otherwise the candidate serves
retrieval (from its fresh index). The decision and a sentence for the PR summary go into the
manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..adapters.store import AdapterBundle

LEARNED_MODES = ("lora", "lora+rag", "lora+rerank")


@dataclass(frozen=True)
class GateDecision:
    promote: bool  # make the candidate version current
    serving: str  # what the candidate serves if promoted: "retrieval", "lora" or "lora+rag"
    note: str


def decide(candidate: AdapterBundle, previous: AdapterBundle | None, systems: dict, primary: str) -> GateDecision:
    retrieval = systems.get("retrieval", {}).get(primary)
    scored = {
        mode: systems[mode][primary]
        for mode in LEARNED_MODES
        if candidate.has_lora and systems.get(mode, {}).get(primary) is not None
    }
    best = max(scored, key=scored.get) if scored else None
    if best is not None and retrieval is not None and scored[best] > retrieval:
        return GateDecision(
            True,
            best,
            f"The fine-tuned adapter is serving (`{best}`): it beat retrieval on {primary} "
            f"({scored[best]} vs {retrieval}).",
        )
    lost = (
        f"The new adapter did not beat retrieval on {primary} "
        f"({', '.join(f'{m} {v}' for m, v in scored.items())} vs {retrieval})"
        if scored
        else "No adapter was trained"
    )
    if previous is not None and previous.manifest.get("serving") in LEARNED_MODES:
        return GateDecision(
            False,
            previous.manifest["serving"],
            f"{lost}, so the previous adapter (`{previous.version}`) keeps serving.",
        )
    return GateDecision(True, "retrieval", f"{lost}, so retrieval of the lead's own past comments is serving.")
