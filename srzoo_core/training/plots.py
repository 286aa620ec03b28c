"""Run plots: training curves and sample panels (LR | bicubic | SR | HR).

matplotlib is imported inside the functions (Agg backend, no display needed), so importing this
module stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from srzoo_core.files import atomic_path

__all__ = ["ColourScale", "channel_scales", "plot_curves", "save_sample_panel"]

MAX_SAMPLES = 4


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------------------------
# Curves


def _series(rows: Iterable[dict[str, Any]], prefix: str) -> dict[str, tuple[list[float], list[float]]]:
    """``{name: (steps, values)}`` for every key ``prefix/<name>`` found in rows that have a step."""
    series: dict[str, tuple[list[float], list[float]]] = {}
    for row in rows:
        step = _number(row.get("step"))
        if step is None:
            continue
        for key, value in row.items():
            if not key.startswith(prefix + "/"):
                continue
            number = _number(value)
            if number is None:
                continue
            steps, values = series.setdefault(key[len(prefix) + 1:], ([], []))
            steps.append(step)
            values.append(number)
    return series


def _baselines(rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """The last finite value of every ``bicubic/<metric>`` key (a constant per run)."""
    found: dict[str, float] = {}
    for row in rows:
        for key, value in row.items():
            number = _number(value)
            if key.startswith("bicubic/") and number is not None:
                found[key[len("bicubic/"):]] = number
    return found


def _phase_changes(rows: Sequence[dict[str, Any]]) -> list[tuple[float, str]]:
    """Steps at which the training phase changes (e.g. pretrain → adversarial), with the new phase."""
    changes: list[tuple[float, str]] = []
    previous = None
    for row in sorted((r for r in rows if _number(r.get("step")) is not None and r.get("phase")
                       and any(k.startswith("loss/") for k in r)), key=lambda r: float(r["step"])):
        phase = str(row["phase"])
        if previous is not None and phase != previous:
            changes.append((float(row["step"]), phase))
        previous = phase
    return changes


def plot_curves(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Training losses vs step (one panel, log scale when all positive) and one panel per validation
    metric vs step, with the bicubic baseline as a dashed line; phase changes as dotted verticals.

    ``rows`` are metrics.jsonl records: ``step``, ``phase`` and ``loss/<name>`` or ``val/<metric>``
    keys (plus ``bicubic/<metric>`` constants). Returns the path written (PNG)."""
    plt = _pyplot()
    rows = list(rows)
    losses = _series(rows, "loss")
    metrics = _series(rows, "val")
    baselines = _baselines(rows)
    changes = _phase_changes(rows)

    panels = 1 + len(metrics)
    ncols = min(3, panels)
    nrows = math.ceil(panels / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.0 * ncols, 3.6 * nrows), squeeze=False)
    flat = list(axes.flat)
    try:
        ax = flat[0]
        for name, (steps, values) in sorted(losses.items()):
            ax.plot(steps, values, label=name, linewidth=1.0)
        if losses:
            if all(v > 0 for _, values in losses.values() for v in values):
                ax.set_yscale("log")
            ax.legend(fontsize="small")
        else:
            ax.text(0.5, 0.5, "no training losses logged", ha="center", va="center", transform=ax.transAxes)
        ax.set_title("training losses")
        ax.set_xlabel("step")
        for name, ax in zip(sorted(metrics), flat[1:]):
            steps, values = metrics[name]
            ax.plot(steps, values, marker="o", markersize=3, linewidth=1.0, label="model")
            metric = name
            baseline = baselines.get(metric)
            if baseline is None:
                # "val/rmse/u" may pair with "bicubic/rmse/u" or a bare "bicubic/rmse".
                baseline = baselines.get(metric.split("/")[0]) if "/" in metric else None
            if baseline is not None:
                ax.axhline(baseline, linestyle="--", color="grey", linewidth=1.0, label=f"bicubic ({baseline:.4g})")
            ax.set_title(f"val/{name}")
            ax.set_xlabel("step")
            ax.legend(fontsize="small")
        for ax in flat[:panels]:
            for step, phase in changes:
                ax.axvline(step, linestyle=":", color="black", linewidth=0.8)
            if changes and ax is flat[0]:
                for step, phase in changes:
                    ax.annotate(phase, (step, 1.0), xycoords=("data", "axes fraction"), fontsize="x-small",
                                rotation=90, va="top", ha="right")
            ax.grid(True, alpha=0.3)
        for ax in flat[panels:]:
            ax.set_visible(False)
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100)
    finally:
        plt.close(fig)
    return path


# --------------------------------------------------------------------------------------------
# Sample panels


@dataclass(frozen=True)
class ColourScale:
    """Colour limits and map of one grid channel, shared by every column of the panel."""

    vmin: float
    vmax: float
    cmap: str


def channel_scales(arrays: Sequence[np.ndarray]) -> list[ColourScale]:
    """One colour scale per channel, computed over *all* the given arrays (N, C, H, W) together,
    so the columns of a panel (LR, bicubic, SR, HR) are comparable. Signed fields (values on both
    sides of zero) get a diverging map with limits symmetric about zero; others ``viridis``."""
    if not arrays:
        raise ValueError("no arrays to scale")
    channels = {a.shape[1] for a in arrays}
    if len(channels) != 1:
        raise ValueError(f"the arrays disagree on the channel count: {sorted(channels)}")
    scales = []
    for c in range(channels.pop()):
        finite = [a[:, c][np.isfinite(a[:, c])] for a in arrays]
        finite = [f for f in finite if f.size]
        if not finite:
            scales.append(ColourScale(0.0, 1.0, "viridis"))
            continue
        lo = float(min(f.min() for f in finite))
        hi = float(max(f.max() for f in finite))
        if lo < 0 < hi:
            bound = max(-lo, hi)
            scales.append(ColourScale(-bound, bound, "RdBu_r"))
            continue
        if hi <= lo:
            pad = max(abs(lo) * 1e-6, 1e-12)
            lo, hi = lo - pad, hi + pad
        scales.append(ColourScale(lo, hi, "viridis"))
    return scales


PANELS = ("rgb", "fields")


def save_sample_panel(path: str | Path, lr_up: np.ndarray, bicubic: np.ndarray, sr: np.ndarray, hr: np.ndarray,
                      panel: str, channel_names: Sequence[str] | None = None,
                      titles: Sequence[str] = ("LR (nearest)", "bicubic", "SR", "HR")) -> Path:
    """A grid of images, one column per array (``titles``), one row per sample (at most 4).

    Arrays are (N, C, H, W) in display units, all at the HR size (``lr_up`` is the LR upsampled
    by nearest neighbour). ``panel="rgb"`` (photos) shows RGB clipped to [0, 1], or grey
    when they have one channel. ``panel="fields"`` (grids) gets one row per sample and channel, a
    colour map with one scale per channel shared across the four columns and the shown samples
    (see :func:`channel_scales`), and a colour bar. Returns the path written (PNG)."""
    plt = _pyplot()
    columns = [np.asarray(a, dtype=np.float32) for a in (lr_up, bicubic, sr, hr)]
    if len(titles) != len(columns):
        raise ValueError(f"expected {len(columns)} titles, got {len(titles)}")
    for title, array in zip(titles, columns):
        if array.ndim != 4:
            raise ValueError(f"{title}: expected an (N, C, H, W) array, got shape {array.shape}")
    n = min(MAX_SAMPLES, *(a.shape[0] for a in columns))
    columns = [a[:n] for a in columns]
    c = columns[0].shape[1]
    if panel not in PANELS:
        raise ValueError(f"panel must be one of {', '.join(PANELS)}, got {panel!r}")
    names = list(channel_names or [])
    if len(names) != c:
        names = [f"c{i}" for i in range(c)]

    h, w = columns[-1].shape[-2:]
    cell = 2.6
    aspect = h / max(w, 1)
    if panel == "rgb" and c not in (1, 3, 4):
        panel = "fields"  # an image with an unusual channel count: show its channels one by one
    nrows = n if panel == "rgb" else n * c
    extra = 0.35 if panel == "fields" else 0.0  # room for colour bars
    fig, axes = plt.subplots(nrows, len(columns), figsize=(cell * (len(columns) + extra), cell * aspect * nrows + 0.4),
                             squeeze=False)
    try:
        if panel == "rgb":
            for i in range(n):
                for j, array in enumerate(columns):
                    ax = axes[i, j]
                    image = np.clip(array[i], 0.0, 1.0)
                    if image.shape[0] == 1:
                        ax.imshow(image[0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
                    else:
                        ax.imshow(np.transpose(image[:3], (1, 2, 0)), interpolation="nearest")
                axes[i, 0].set_ylabel(f"#{i}", fontsize="small")
        else:
            scales = channel_scales(columns)
            for i in range(n):
                for ch in range(c):
                    row = i * c + ch
                    scale = scales[ch]
                    image = None
                    for j, array in enumerate(columns):
                        image = axes[row, j].imshow(array[i, ch], cmap=scale.cmap, vmin=scale.vmin, vmax=scale.vmax,
                                                    interpolation="nearest")
                    axes[row, 0].set_ylabel(f"#{i} {names[ch]}", fontsize="small")
                    fig.colorbar(image, ax=list(axes[row, :]), fraction=0.025, pad=0.01)
        for j, title in enumerate(titles):
            axes[0, j].set_title(title, fontsize="medium")
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path
