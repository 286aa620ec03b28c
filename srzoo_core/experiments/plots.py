"""Report plots (matplotlib, Agg backend, imported only when drawing): one bar chart per metric with
seed error bars and the bicubic line, and the validation curves of every arm overlaid."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from srzoo_core.experiments import stats
from srzoo_core.files import atomic_path
from srzoo_core.experiments.report import ArmResult, Report, direction


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def metric_file(metric: str) -> str:
    return "report_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", metric) + ".png"


def bar_chart(report: Report, metric: str, path: Path) -> Path:
    """Mean over seeds per arm, ± one standard deviation, each seed as a dot; bicubic dashed."""
    plt = _pyplot()
    labels = [a.label for a in report.arms]
    values = [a.values(metric) for a in report.arms]
    means = [stats.mean(v) if v else np.nan for v in values]
    errors = [stats.std(v) if len(v) > 1 else 0.0 for v in values]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.3 * len(labels) + 1.5), 3.8))
    try:
        x = np.arange(len(labels))
        colours = ["tab:grey" if a is report.baseline else "tab:blue" for a in report.arms]
        ax.bar(x, means, yerr=errors, capsize=4, color=colours, alpha=0.75)
        for i, seeds in enumerate(values):
            ax.scatter([i] * len(seeds), seeds, color="black", s=12, zorder=3)
        bicubic = report.bicubic(metric)
        if bicubic is not None:
            ax.axhline(bicubic, linestyle="--", color="tab:red", linewidth=1.0, label=f"bicubic ({bicubic:.4g})")
            ax.legend(fontsize="small")
        finite = [v for seeds in values for v in seeds] + ([bicubic] if bicubic is not None else [])
        if finite:
            low, high = min(finite), max(finite)
            pad = (high - low) * 0.15 or abs(high) * 0.05 or 1.0
            ax.set_ylim(low - pad, high + pad)  # bars start at the axis: differences stay visible
        ax.set_xticks(x, labels, rotation=20 if max(map(len, labels)) > 10 else 0, ha="right" if max(map(len, labels)) > 10 else "center")
        n = sorted({len(v) for v in values})
        ax.set_title(f"{metric} {direction(report, metric)} — final validation, mean ± std over {'/'.join(map(str, n))} seeds",
                     fontsize="medium")
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100)
    finally:
        plt.close(fig)
    return Path(path)


def _mean_curve(arm: ArmResult, metric: str) -> tuple[list[int], list[float], list[float]]:
    """Steps validated in every seed of the arm, with the mean and std over seeds there."""
    per_seed = [{p["step"]: p[metric] for p in run.validation() if isinstance(p.get(metric), (int, float))} for run in arm.runs]
    per_seed = [s for s in per_seed if s]
    if not per_seed:
        return [], [], []
    steps = sorted(set.intersection(*(set(s) for s in per_seed)))
    means = [stats.mean([s[step] for s in per_seed]) for step in steps]
    spread = [stats.std([s[step] for s in per_seed]) if len(per_seed) > 1 else 0.0 for step in steps]
    return steps, means, spread


def curves(report: Report, path: Path, metrics: list[str] | None = None) -> Path:
    """One panel per metric: each arm's validation curve (mean over seeds, ± std band)."""
    plt = _pyplot()
    metrics = metrics or report.metrics
    ncols = min(3, len(metrics))
    nrows = -(-len(metrics) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.0 * ncols, 3.6 * nrows), squeeze=False)
    try:
        for ax, metric in zip(axes.flat, metrics):
            for arm in report.arms:
                steps, means, spread = _mean_curve(arm, metric)
                if not steps:
                    continue
                line, = ax.plot(steps, means, marker="o", markersize=3, linewidth=1.2, label=arm.label)
                low = np.asarray(means) - np.nan_to_num(spread)
                ax.fill_between(steps, low, np.asarray(means) + np.nan_to_num(spread), color=line.get_color(), alpha=0.15)
            bicubic = report.bicubic(metric)
            if bicubic is not None:
                ax.axhline(bicubic, linestyle="--", color="grey", linewidth=1.0, label="bicubic")
            ax.set_title(f"val/{metric} {direction(report, metric)}".rstrip(), fontsize="medium")
            ax.set_xlabel("step")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize="x-small")
        for ax in list(axes.flat)[len(metrics):]:
            ax.set_visible(False)
        fig.suptitle("validation curves, mean over seeds per arm (band: ± std)", fontsize="medium")
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (3.6 * nrows)))  # room for the title
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100)
    finally:
        plt.close(fig)
    return Path(path)


def write_plots(report: Report, folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [bar_chart(report, m, folder / metric_file(m)) for m in report.metrics]
    written.append(curves(report, folder / "curves.png"))
    return written
