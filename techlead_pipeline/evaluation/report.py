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
    "hunk_precision": "hunk P",
    "hunk_recall": "hunk R",
    "hunk_f05": "hunk F0.5",
    "noise": "noise",
}
NOT_PLOTTED = ("silent", "noise")  # counts and shares that are not scores out of 1


def _fmt(value) -> str:
    return "—" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))


def _interval(d: dict | None) -> str:
    if not d:
        return ""
    around = f" [{d['low']:+.2f}, {d['high']:+.2f}]" if d.get("low") is not None else ""
    return f"{d['difference']:+.2f}{around}"


def _lift(r: dict) -> str:
    if r.get("lift") is None:
        return "—"
    around = f" [{r['lift_low']:.1f}, {r['lift_high']:.1f}]" if r.get("lift_low") is not None else ""
    return f"{r['lift']:.1f}×{around}"


def hunk_table(report: dict) -> str:
    """What the pull request's author lives with: every held-out hunk, each way's comments there, its lift
    over her comment rate, and what its hits say against her floors."""
    hunks, versus, concern = report.get("hunks") or {}, report.get("versus") or {}, report.get("concern") or {}
    if not hunks:
        return ""
    head = (
        "| system | posted | hits | false alarms | noise | unfit (dropped) | precision | lift over her rate "
        "| recall | F0.5 | F0.5 − always speaking | F0.5 − plain baseline | comments / PR (lead) "
        "| her concern on hits (random, frequent floor) |"
    )
    rows = [head, "| --- | " + " | ".join("---:" for _ in range(13)) + " |"]
    for name, r in hunks.items():
        against = versus.get(name, {})
        rows.append(
            f"| {name} | {r['posted']} | {r['hits']} | {r['false_alarms']} | {r['noise']} | {r.get('unfit', 0)} "
            f"| {_fmt(r['precision'])} | {_lift(r)} "
            f"| {_fmt(r['recall'])} | {_fmt(r['f05'])} | {_interval(against.get('always speaking'))} "
            f"| {_interval(against.get('plain baseline (ranked list)'))} "
            f"| {r['comments_per_pr']} ({r['lead_comments_per_pr']}) | {_concern(concern.get(name))} |"
        )
    first = next(iter(hunks.values()))
    return (
        f"On all {first['hunks']} hunks of the {report.get('holdout_prs', '?')} held-out pull requests "
        f"({first['lead_commented']} commented on by the lead: her rate {_fmt(first.get('rate'))}); differences "
        "with a paired 95 % interval:\n\n" + "\n".join(rows)
    )


def _concern(c: dict | None) -> str:
    if not c or not c.get("floors"):
        return ""
    measure = "semantic" if "semantic" in c else "rouge_l"
    floors = list(c["floors"].values())
    return f"{measure} {c[measure]:.2f} ({floors[0][measure]:.2f}, {floors[1][measure]:.2f})"


def markdown_table(report: dict) -> str:
    what = words_table(report)
    hunks = hunk_table(report)
    return f"{hunks}\n\nWhat each system would say where the lead commented:\n\n{what}" if hunks else what


def words_table(report: dict) -> str:
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

    scored = report["systems"].values()
    metrics = [m for m in METRICS if m not in NOT_PLOTTED and any(v.get(m) is not None for v in scored)]
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
