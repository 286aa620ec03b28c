"""Checks of loggers (kind ``logger``): where ``--log`` sends a run's progress.

Rules, so an author knows what passes (the contract is in :mod:`srzoo_core.interfaces`):

* The factory, with the options given, builds an object with callable ``start``, ``log_scalars``,
  ``log_images`` and ``close``.
* In a fresh, empty run folder (a temporary one) it takes a whole short run: ``start(run_dir,
  description, None)`` with a JSON-like run description (nested mappings, lists, ``None``),
  scalars at steps 1 and 2 (``loss/l1``, ``lr``, ``val/psnr``), images at step 2 — an RGB
  (16, 24, 3) and a grey (16, 24, 1) uint8 array — then ``close()``.
* An image that is not HWC uint8 with 1, 3 or 4 channels — a float32 (16, 24, 3) array, a uint8
  (16, 24, 2) one — raises ``ValueError``.
* A second instance resumes in the same folder: ``start(run_dir, description, 1)``, scalars at
  step 2, ``close()``.
* Nothing is written in the working directory (the check runs in an empty temporary one).
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from srzoo_core.registry import ComponentInfo
from srzoo_core.testing._kit import Recorder, require

METHODS = ("start", "log_scalars", "log_images", "close")
DESCRIPTION = {
    "roles": {"gen": "srresnet(blocks=2)", "loss": "l1"}, "scale": 4,
    "channels": [{"name": "r", "unit": None}, {"name": "g", "unit": None}, {"name": "b", "unit": None}],
    "training": {"lr": 2e-4, "betas": [0.9, 0.99], "milestones": None, "deterministic": False},
}
IMAGES = {"samples/val": np.arange(16 * 24 * 3, dtype=np.uint8).reshape(16, 24, 3),
          "samples/grey": np.full((16, 24, 1), 128, np.uint8)}
BAD_IMAGES = {"float32 (16, 24, 3)": np.zeros((16, 24, 3), np.float32), "uint8 (16, 24, 2)": np.zeros((16, 24, 2), np.uint8)}


def _scalars(step: int) -> dict[str, float]:
    return {"loss/l1": 1.0 / step, "lr": 2e-4, "val/psnr": 20.0 + step}


def logger(rec: Recorder, info: ComponentInfo, factory: Callable[..., Any], params: dict[str, Any]) -> None:
    first = _build(rec, factory, params)
    if first is None:
        return
    with tempfile.TemporaryDirectory() as scratch:
        run_dir, cwd = Path(scratch) / "run", Path(scratch) / "cwd"
        run_dir.mkdir()
        cwd.mkdir()
        with contextlib.chdir(cwd):
            _checks(rec, factory, params, first, run_dir)
        with rec.check("writes nothing in the working directory"):
            left = sorted(p.name for p in cwd.iterdir())
            require(not left, f"left {', '.join(left)} in the working directory; write under run_dir (or a store the options name)")


def _checks(rec: Recorder, factory: Callable[..., Any], params: dict[str, Any], first: Any, run_dir: Path) -> None:
    failed = len(rec.failures)
    with rec.check("a short run"):
        first.start(run_dir, DESCRIPTION, None)
        first.log_scalars(1, _scalars(1))
        first.log_scalars(2, _scalars(2))
        first.log_images(2, dict(IMAGES))
    if len(rec.failures) > failed:
        with contextlib.suppress(Exception):  # release what it holds; the failure is recorded
            first.close()
        return
    with rec.check("images must be HWC uint8 with 1, 3 or 4 channels"):
        for what, image in BAD_IMAGES.items():
            try:
                first.log_images(3, {"bad": image})
            except ValueError:
                continue
            require(False, f"a {what} image was accepted; raise ValueError")
    with rec.check("close"):
        first.close()
    resumed = _build(rec, factory, params, "build again")
    if resumed is None:
        return
    with rec.check("resume"):
        resumed.start(run_dir, DESCRIPTION, 1)
        resumed.log_scalars(2, _scalars(2))
        resumed.close()


def _build(rec: Recorder, factory: Callable[..., Any], params: dict[str, Any], check: str = "build") -> Any:
    with rec.check(check):
        built = factory(**params)
        missing = [m for m in METHODS if not callable(getattr(built, m, None))]
        require(not missing, f"the object lacks {', '.join(missing)}; a logger has {', '.join(METHODS)}")
        return built
    return None

