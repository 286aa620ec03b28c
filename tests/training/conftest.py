"""Shared fixtures for training tests (the in-process `cli` fixture lives in tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def grid_file(tmp_path):
    """A seed-004-shaped training array: (N, 2, 64, 64) float64 in physical units."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(12, 2, 8, 8))
    fields = np.kron(base, np.ones((1, 1, 8, 8)))  # smooth-ish blocks, upsampled
    fields[:, 0] = 280 + 3 * fields[:, 0]
    fields[:, 1] = 5 * fields[:, 1]
    path = tmp_path / "HR_data_train_tm.npy"
    np.save(path, fields.astype(np.float64))
    return path
