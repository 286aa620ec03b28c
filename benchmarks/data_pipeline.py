"""Data pipeline: the share of each training iteration spent waiting for the next batch, with
srzoo's default loader (``TrainStream``, ``workers=0``), on the built-in photographs and on a
10,000-sample ``.npy`` grid of shape (10000, 2, 64, 64) float32 generated in a temporary folder.

    python -m benchmarks.data_pipeline [--quick | --smoke]

Measured inside srzoo's ``TrainingLoop``: the time spent in ``next(batches)`` against the time of
the whole iteration (SRResNet, l1, batch 16; photos: 96×96 HR crops; grids: the full 64×64 field).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import SrzooLoop, median, scratch_dir
from benchmarks.plan import Plan, make_plan, standalone

TARGET = 0.05


def make_grid(path: Path, samples: int) -> float:
    """Write a (samples, 2, 64, 64) float32 .npy of smooth random fields; returns its size in MiB."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32) / 64
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(samples, 2, 64, 64))
    for start in range(0, samples, 1000):
        n = min(1000, samples - start)
        phase = rng.uniform(0, 2 * np.pi, size=(n, 2, 1, 1)).astype(np.float32)
        noise = rng.standard_normal((n, 2, 64, 64), dtype=np.float32)
        out[start:start + n] = 280 + 10 * np.sin(6 * xx + phase) * np.cos(4 * yy - phase) + 0.5 * noise
    out.flush()
    del out
    return path.stat().st_size / 2**20


def measure(loop: SrzooLoop, plan: Plan, steps: int) -> dict[str, Any]:
    loop.run(plan.warm)
    repeats = [loop.run(steps) for _ in range(2)]
    return {
        "fraction": median([r["data_s"] / r["step_s"] for r in repeats]),
        "data_ms": median([r["data_s"] for r in repeats]) * 1e3,
        "step_ms": median([r["step_s"] for r in repeats]) * 1e3,
        "steps": steps * 2,
    }


def run(plan: Plan | None = None, verbose: bool = False, builtin: dict[str, Any] | None = None) -> dict[str, Any]:
    """``builtin``: the built-in source's figures when already measured (by the training section)."""
    plan = plan or make_plan("full")
    report: dict[str, Any] = {"benchmark": "data", "plan": plan.name, "spec": plan.srresnet, "batch": plan.batch,
                              "target": TARGET, "sources": {}}
    with scratch_dir() as out:
        if builtin is None:
            start = time.perf_counter()
            loop = SrzooLoop(out, spec=plan.srresnet, batch=plan.batch, patch=plan.patch)
            setup = time.perf_counter() - start
            builtin = {**measure(loop, plan, plan.steps), "setup_s": setup}
            del loop
        report["sources"][f"builtin ({plan.patch}×{plan.patch} HR crops)"] = builtin
        path = Path(out) / "grid.npy"
        start = time.perf_counter()
        mib = make_grid(path, plan.grid_samples)
        made = time.perf_counter() - start
        start = time.perf_counter()
        loop = SrzooLoop(out, spec=plan.srresnet, batch=plan.batch, data=str(path))
        setup = time.perf_counter() - start
        label = f".npy grid ({plan.grid_samples:,} × 2 × 64 × 64 float32, {mib:.0f} MiB; full field)"
        report["sources"][label] = {**measure(loop, plan, plan.grid_steps), "setup_s": setup, "generate_s": made,
                                    "train_items": len(loop.trainer.data.train)}
    if verbose:
        from benchmarks.report import data_markdown

        print(data_markdown(report))
    return report


def main(argv: list[str] | None = None) -> None:
    standalone(run, __doc__, argv)


if __name__ == "__main__":
    main()
