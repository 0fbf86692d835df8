"""Which version serves a (reviewer, repo) after an evaluation.

The new adapter serves only if it beats the retrieval baseline on the primary score. Otherwise the
previously served adapter keeps serving if there is one; if not, retrieval serves (from the new
version's fresh index). The decision and a sentence for the PR summary go into the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..adapters.store import AdapterBundle


@dataclass(frozen=True)
class GateDecision:
    promote: bool  # make the candidate version current
    serving: str  # what the candidate serves if promoted: "lora" or "retrieval"
    note: str


def decide(candidate: AdapterBundle, previous: AdapterBundle | None, systems: dict, primary: str) -> GateDecision:
    adapter = systems.get("adapter", {}).get(primary)
    retrieval = systems.get("retrieval", {}).get(primary)
    if candidate.has_lora and adapter is not None and retrieval is not None and adapter > retrieval:
        return GateDecision(
            True,
            "lora",
            f"The fine-tuned adapter is serving: it beat retrieval on {primary} ({adapter} vs {retrieval}).",
        )
    lost = (
        f"The new adapter did not beat retrieval on {primary} ({adapter} vs {retrieval})"
        if candidate.has_lora
        else "No adapter was trained"
    )
    if previous is not None and previous.manifest.get("serving") == "lora":
        return GateDecision(False, "lora", f"{lost}, so the previous adapter (`{previous.version}`) keeps serving.")
    return GateDecision(True, "retrieval", f"{lost}, so retrieval of the lead's own past comments is serving.")
