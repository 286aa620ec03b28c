"""Tiny data sets made in tmp_path: PNG folders, .npy grids, a seed-004 shaped directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from srzoo_core.data import write_image


def smooth_image(rng: np.random.Generator, h: int, w: int, c: int) -> np.ndarray:
    """A smooth-ish image in [0, 1] (gradients plus noise), (H, W, C)."""
    y, x = np.mgrid[0:h, 0:w]
    base = 0.5 + 0.3 * np.sin(x[..., None] / 5.0 + np.arange(c)) * np.cos(y[..., None] / 7.0)
    return np.clip(base + 0.05 * rng.standard_normal((h, w, c)), 0, 1)


@pytest.fixture
def make_pngs(tmp_path: Path):
    """make_pngs(name, n, h, w, c) -> folder of n PNGs named img0.png ... (deterministic content)."""

    def make(name: str = "hr", n: int = 5, h: int = 40, w: int = 48, c: int = 3, ext: str = ".png") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(len(name) * 1000 + n)
        for i in range(n):
            write_image(folder / f"img{i}{ext}", smooth_image(rng, h, w, c))
        return folder

    return make


def grid_array(n: int, c: int = 2, size: int = 64, seed: int = 0, dtype=np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, c, size, size)).cumsum(axis=-1).cumsum(axis=-2) / size
    a[:, 0] += 280.0
    return a.astype(dtype)


@pytest.fixture
def seed004_dir(tmp_path: Path) -> Path:
    """A directory laid out like seed 004's data: HR_data_{train,valid,test}_tm.npy, (N, 2, 64, 64) float64."""
    folder = tmp_path / "tm"
    folder.mkdir()
    for split, n, seed in (("train", 12, 1), ("valid", 4, 2), ("test", 3, 3)):
        np.save(folder / f"HR_data_{split}_tm.npy", grid_array(n, seed=seed))
    return folder


@pytest.fixture
def make_grid():
    """make_grid(n, c=2, size=64, seed=0, dtype=float64) -> smooth (N, C, size, size) array, channel 0 ~ 280."""
    return grid_array
