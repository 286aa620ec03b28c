"""Run plots (srzoo_core.training.plots): curves and sample panels are written and readable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from srzoo_core.training.plots import ColourScale, channel_scales, plot_curves, save_sample_panel

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _read_png(path: Path) -> np.ndarray:
    import matplotlib.image

    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    return image


def _rows() -> list[dict]:
    rows: list[dict] = []
    for step in range(0, 200, 10):
        phase = "pretrain" if step < 100 else "adversarial"
        row = {"step": step, "phase": phase, "loss/l1": 1.0 / (1 + step), "loss/total": 2.0 / (1 + step)}
        if phase == "adversarial":
            row["loss/gan"] = 0.7
        rows.append(row)
        if step % 50 == 0:
            rows.append({"step": step, "phase": "val", "val/psnr": 20 + step / 20, "val/ssim": 0.5 + step / 1000,
                         "val/rmse/u": 1.0 / (1 + step), "bicubic/psnr": 24.0, "bicubic/ssim": 0.7,
                         "bicubic/rmse/u": 0.1})
    rows.append({"step": 5, "phase": "pretrain", "loss/l1": float("nan")})  # ignored, not a crash
    return rows


def test_plot_curves_writes_a_png(tmp_path: Path) -> None:
    path = plot_curves(_rows(), tmp_path / "plots" / "curves.png")
    assert path == tmp_path / "plots" / "curves.png"
    _read_png(path)


def test_plot_curves_without_rows_still_writes(tmp_path: Path) -> None:
    _read_png(plot_curves([], tmp_path / "empty.png"))
    _read_png(plot_curves([{"step": 1, "phase": "pretrain", "loss/l1": -0.5}], tmp_path / "neg.png"))


def test_photo_panel(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.random((6, 3, 32, 48), dtype=np.float32) * 1.2 - 0.1 for _ in range(4)]  # out of [0, 1]: clipped
    image = _read_png(save_sample_panel(tmp_path / "photo.png", *arrays, panel="rgb", channel_names=["R", "G", "B"]))
    assert image.shape[0] < image.shape[1] * 2  # 4 rows (at most 4 samples) of wide images, not 6
    grey = [rng.random((2, 1, 16, 16), dtype=np.float32) for _ in range(4)]
    _read_png(save_sample_panel(tmp_path / "grey.png", *grey, panel="rgb", channel_names=["Y"]))


def test_grid_panel(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(2, 2, 64, 64)).astype(np.float32) for _ in range(4)]
    arrays[-1][:, 1] += 280.0  # a positive field (temperature-like) next to a signed one (wind-like)
    for a in arrays[:-1]:
        a[:, 1] += 280.0
    path = save_sample_panel(tmp_path / "grid.png", *arrays, panel="fields", channel_names=["u", "t"],
                             titles=("LR", "bicubic", "SR", "HR"))
    _read_png(path)


def test_channel_scales_are_shared_across_all_columns() -> None:
    lr_up = np.zeros((2, 2, 4, 4), np.float32)
    bicubic = np.zeros((2, 2, 4, 4), np.float32)
    sr = np.zeros((2, 2, 4, 4), np.float32)
    hr = np.zeros((2, 2, 4, 4), np.float32)
    lr_up[0, 0, 0, 0] = 5.0       # channel 0 max lives in the first column
    sr[1, 0, 1, 1] = 1.0
    hr[:, 1] = 10.0               # channel 1: positive everywhere
    bicubic[1, 1, 2, 2] = 12.0    # ... with its max in the second column
    sr[0, 1, 3, 3] = 2.0          # ... and its min in the third
    hr[0, 1, 0, 0] = np.nan       # NaNs are ignored
    scales = channel_scales([lr_up, bicubic, sr, hr])
    assert scales[0] == ColourScale(0.0, 5.0, "viridis")
    assert scales[1] == ColourScale(0.0, 12.0, "viridis")  # zero pixels of the other columns count too

    signed = [np.full((1, 1, 2, 2), v, np.float32) for v in (-3.0, 1.0, 2.0, 0.5)]
    assert channel_scales(signed) == [ColourScale(-3.0, 3.0, "RdBu_r")]  # diverging, symmetric about 0

    flat = [np.full((1, 1, 2, 2), 7.0, np.float32)] * 4
    (scale,) = channel_scales(flat)
    assert scale.vmin < 7.0 < scale.vmax


def test_channel_scales_reject_mismatched_channels() -> None:
    with pytest.raises(ValueError):
        channel_scales([np.zeros((1, 2, 4, 4)), np.zeros((1, 3, 4, 4))])


def test_importing_plots_does_not_import_matplotlib() -> None:
    code = "import sys, srzoo_core.training.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
