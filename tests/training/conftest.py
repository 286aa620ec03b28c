"""Shared helpers for training tests: tiny models, tiny synthetic data, the CLI in-process."""

from __future__ import annotations

import numpy as np
import pytest

from srzoo_core.cli.app import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `srzoo ARGS` in this process; return (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def cli(capsys):
    return lambda *args: run_cli(capsys, *args)


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
