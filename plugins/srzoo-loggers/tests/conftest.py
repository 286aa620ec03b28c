"""The plugin may not be installed in the project's environment: put its source on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

PLUGIN_ROOT = str(Path(__file__).resolve().parents[1])
if PLUGIN_ROOT not in sys.path:
    sys.path.insert(0, PLUGIN_ROOT)


@pytest.fixture
def interrupted_then_resumed(tmp_path):
    """``run(make_logger, log)``: a run logs steps 1..5 and stops; a resumed run (from step 3) logs
    4..6 with values +100. ``log(logger, steps, offset)`` does the logging. Returns both loggers."""

    def run(make_logger, log):
        first = make_logger()
        first.start(tmp_path, DESCRIPTION, None)
        log(first, range(1, 6), 0.0)
        first.close()
        resumed = make_logger()
        resumed.start(tmp_path, DESCRIPTION, resume_step=3)
        log(resumed, range(4, 7), 100.0)
        resumed.close()
        return first, resumed

    return run


# What a run description looks like to a logger (RunDescription.to_dict(), abridged).
DESCRIPTION = {"roles": {"gen": "srresnet(blocks=4)"}, "scale": 4, "training": {"lr": 2e-4, "betas": [0.9, 0.99], "seed": None}}


@pytest.fixture
def description() -> dict:
    return DESCRIPTION


@pytest.fixture
def resumed_loss() -> list[tuple[int, float]]:
    """What ``interrupted_then_resumed`` leaves of ``train/loss``: steps 1..3 of the first run, 4..6 of the resumed one."""
    return [(1, 1.0), (2, 2.0), (3, 3.0), (4, 104.0), (5, 105.0), (6, 106.0)]
