"""Scaling: srzoo's training step against batch size and patch size (is the cost linear in pixels?),
and two processes under torchrun (gloo) against one process at the same global batch.

    python -m benchmarks.scaling [--quick | --smoke]

The batch/patch sweep times ``StepRunner.step`` + EMA (srzoo's default CPU placement, SRResNet,
l1) on random tensors of each shape: data loading is not part of it. The torchrun comparison runs
the real CLI (``python -m srzoo_core.cli train``) twice — one process with ``--batch B``, then two
processes with ``--batch B/2`` each (``OMP_NUM_THREADS=1`` per process, torchrun's own default) —
and reads the steady rate from the run's ``metrics.jsonl`` (elapsed between the 3rd and the last
logged step; validation only at the end, so it is not in the rate).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import median, scratch_dir
from benchmarks.plan import Plan, make_plan, standalone

ROOT = Path(__file__).resolve().parent.parent


def _runner(spec: str) -> tuple[Any, Any, Any]:
    from srzoo_core import build_generator, build_losses
    from srzoo_core.training.device import choose
    from srzoo_core.training.ema import EMA
    from srzoo_core.training.steps import StepRunner

    placement = choose("cpu", "auto", None)
    torch.manual_seed(0)
    generator = placement.prepare(build_generator(spec, in_channels=3, scale=4))
    opt = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.9, 0.99))
    runner = StepRunner(generator, None, build_losses(spec), opt, None, placement, None)
    return runner, EMA(generator, 0.999), placement


def step_time(runner: Any, ema: Any, placement: Any, batch: int, patch: int, reps: int) -> float:
    torch.manual_seed(1)
    lr = placement.to_input(torch.rand(batch, 3, patch // 4, patch // 4))
    hr = placement.to_input(torch.rand(batch, 3, patch, patch))
    times = []
    for i in range(reps + 1):  # the first one builds the kernels for this shape and is not counted
        start = time.perf_counter()
        runner.step(lr, hr, "pixel")
        ema.update(runner.generator)
        if i:
            times.append(time.perf_counter() - start)
    return median(times)


def sweep(plan: Plan) -> list[dict[str, Any]]:
    runner, ema, placement = _runner(plan.srresnet)
    shapes = [(b, plan.patch) for b in plan.batches] + [(plan.batch, p) for p in plan.patches if p != plan.patch]
    rows = []
    for batch, patch in shapes:
        seconds = step_time(runner, ema, placement, batch, patch, plan.scaling_reps)
        mpx = batch * patch * patch / 1e6
        rows.append({"batch": batch, "patch": patch, "hr_mpx": mpx, "step_s": seconds, "s_per_mpx": seconds / mpx,
                     "images_per_s": batch / seconds})
    reference = next(r for r in rows if r["batch"] == plan.batch and r["patch"] == plan.patch)["s_per_mpx"]
    for row in rows:
        row["vs_reference"] = row["s_per_mpx"] / reference
    return rows


def _train_command(plan: Plan, out: str, name: str, batch: int) -> list[str]:
    return ["-m", "srzoo_core.cli", "train", plan.srresnet, "--data", "builtin", "--batch", str(batch),
            "--patch", str(plan.patch), "--iters", str(plan.dist_iters), "--val-every", "1000000", "--out", out, "--name", name]


def _steady_rate(run_dir: Path) -> float:
    records = [r for r in (json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line)
               if "elapsed" in r and "loss/total" in r]
    first, last = records[min(2, len(records) - 2)], records[-1]
    return (last["step"] - first["step"]) / (last["elapsed"] - first["elapsed"])


def distributed(plan: Plan) -> dict[str, Any]:
    global_batch = plan.batch if plan.batch % 2 == 0 else plan.batch + 1
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    runs = {}
    with scratch_dir() as out:
        cases = {
            "1 process": ([sys.executable, *_train_command(plan, out, "single", global_batch)], env),
            "torchrun, 2 processes (gloo)": (
                [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                 *_train_command(plan, out, "ddp", global_batch // 2)],
                {**env, "OMP_NUM_THREADS": "1", "SRZOO_DIST_BACKEND": "gloo"}),
        }
        for (label, (command, case_env)), name in zip(cases.items(), ("single", "ddp")):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, env=case_env, cwd=ROOT)
            wall = time.perf_counter() - start
            if done.returncode != 0:
                runs[label] = {"error": (done.stderr or done.stdout).strip().splitlines()[-1:]}
                continue
            rate = _steady_rate(Path(out) / name)
            runs[label] = {"steps_per_s": rate, "samples_per_s": rate * global_batch, "wall_s": wall,
                           "threads": "OMP_NUM_THREADS=1 per process" if name == "ddp" else f"{torch.get_num_threads()} (default)"}
    ok = [r for r in runs.values() if "error" not in r]
    speedup = (ok[1]["samples_per_s"] / ok[0]["samples_per_s"]) if len(ok) == 2 else None
    return {"global_batch": global_batch, "iters": plan.dist_iters, "runs": runs, "speedup": speedup}


def run(plan: Plan | None = None, verbose: bool = False) -> dict[str, Any]:
    plan = plan or make_plan("full")
    report = {"benchmark": "scaling", "plan": plan.name, "spec": plan.srresnet, "sweep": sweep(plan)}
    if verbose:
        print("sweep: done", flush=True)
    report["distributed"] = distributed(plan)
    per_mpx = [r["s_per_mpx"] for r in report["sweep"]]
    report["linearity"] = max(per_mpx) / min(per_mpx)
    if verbose:
        from benchmarks.report import scaling_markdown

        print(scaling_markdown(report))
    return report


def main(argv: list[str] | None = None) -> None:
    standalone(run, __doc__, argv)


if __name__ == "__main__":
    main()
