"""The evaluation as a markdown table and a bar chart."""

from __future__ import annotations

from pathlib import Path

from .evaluate import METRICS

LABELS = {
    "bleu4": "BLEU-4",
    "rouge_l": "ROUGE-L",
    "semantic": "semantic",
    "voice": "voice",
    "posted_rouge_l": "ROUGE-L posted",
    "posted_semantic": "semantic posted",
    "silent": "silent",
    "when_precision": "when P",
    "when_recall": "when R",
    "when_f1": "when F1",
}


def _fmt(value) -> str:
    return "—" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))


def markdown_table(report: dict) -> str:
    head = "| system | " + " | ".join(LABELS[m] for m in METRICS) + " |"
    rule = "| --- | " + " | ".join("---:" for _ in METRICS) + " |"
    rows = [
        f"| {name} | " + " | ".join(_fmt(vals.get(m)) for m in METRICS) + " |"
        for name, vals in report["systems"].items()
    ]
    if report.get("truth_voice") is not None:
        rows.append(
            "| *held-out truth* | "
            + " | ".join(_fmt(report["truth_voice"]) if m == "voice" else "" for m in METRICS)
            + " |"
        )
    return "\n".join([head, rule, *rows])


def plot(report: dict, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    metrics = [m for m in METRICS if m != "silent" and any(v.get(m) is not None for v in report["systems"].values())]
    systems = list(report["systems"])
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=110)
    width = 0.8 / max(len(systems), 1)
    for i, name in enumerate(systems):
        values = [(report["systems"][name].get(m) or 0) / (100 if m == "bleu4" else 1) for m in metrics]
        ax.bar(np.arange(len(metrics)) + i * width, values, width, label=name)
    ax.set_xticks(np.arange(len(metrics)) + width * (len(systems) - 1) / 2)
    ax.set_xticklabels([LABELS[m] + (" /100" if m == "bleu4" else "") for m in metrics])
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_curve(curve: list, path: Path, title: str) -> Path | None:
    """The validation loss by optimizer step while the adapter trained (the best step marked)."""
    if len(curve) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps, losses = zip(*curve)
    best = min(range(len(losses)), key=losses.__getitem__)
    fig, ax = plt.subplots(figsize=(5, 3), dpi=110)
    ax.plot(steps, losses, marker="o", label="validation loss")
    ax.scatter([steps[best]], [losses[best]], s=120, facecolors="none", edgecolors="red", label="kept")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title(f"{title}: validation loss", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
