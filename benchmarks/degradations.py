"""Degradations: the share of each training iteration spent waiting for data when the training LR
is made per item by ``deg=realesrgan`` (Real-ESRGAN's second-order pipeline) in the data-loader
workers, for the default model (the README's spec, ``--pretrain 0``: every step adversarial),
batch 16, 96×96 HR crops of the built-in photographs. Target: under 5 % with ``--workers 2``.

    python -m benchmarks.degradations [--quick | --smoke]

Measured inside srzoo's ``TrainingLoop`` (see ``benchmarks.common.SrzooLoop``): the time in
``next(batches)`` against the whole iteration. Each repeat starts a fresh loader, so its first
fetch also waits for the workers to start and make their first batches; "steady" leaves that
first fetch out (what a long run sees), "with start-up" does not. For scale, the same model
without ``deg=`` (LR cut from a stored bicubic LR) and ``deg=realesrgan`` with ``--workers 0``.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from benchmarks import common
from benchmarks.common import SrzooLoop, median, scratch_dir
from benchmarks.plan import Plan, make_plan, standalone
from benchmarks.report import _pct, _table

TARGET = 0.05
STEPS = {"full": 8, "quick": 4, "smoke": 2}
CASES = (("no deg= (stored bicubic LR), workers 0", "", 0), ("deg=realesrgan, workers 0", " deg=realesrgan", 0),
         ("deg=realesrgan, workers 2", " deg=realesrgan", 2))


class _KeptStamps(common.Stamps):
    """``Stamps`` that stay reachable after ``SrzooLoop.run`` (for the wait of each fetch)."""

    last: "_KeptStamps | None" = None

    def __init__(self, sync: Any):
        super().__init__(sync)
        _KeptStamps.last = self


def _repeat(loop: SrzooLoop, steps: int) -> dict[str, float]:
    with mock.patch.object(common, "Stamps", _KeptStamps):
        result = loop.run(steps)
    waits = _KeptStamps.last.waits
    return {**result, "steady_data_s": sum(waits[1:]) / max(1, len(waits) - 1), "first_wait_s": waits[0]}


def measure(spec: str, plan: Plan, workers: int, steps: int, out: str) -> dict[str, Any]:
    loop = SrzooLoop(out, spec=spec, batch=plan.batch, patch=plan.patch, workers=workers, pretrain="0")
    loop.run(plan.warm)
    repeats = [_repeat(loop, steps) for _ in range(2)]
    step = median([r["step_s"] for r in repeats])
    return {
        "steady_fraction": median([r["steady_data_s"] / r["step_s"] for r in repeats]),
        "fraction": median([r["data_s"] / r["step_s"] for r in repeats]),
        "steady_data_ms": median([r["steady_data_s"] for r in repeats]) * 1e3,
        "first_wait_ms": median([r["first_wait_s"] for r in repeats]) * 1e3,
        "step_ms": step * 1e3, "cpu_ms": median([r["cpu_s"] for r in repeats]) * 1e3, "steps": steps * 2,
    }


def run(plan: Plan | None = None, verbose: bool = False) -> dict[str, Any]:
    from srzoo_core.training.config import DEFAULT_SPEC

    plan = plan or make_plan("full")
    base = plan.srresnet_gan if plan.name == "smoke" else DEFAULT_SPEC
    steps = STEPS.get(plan.name, STEPS["full"])
    report: dict[str, Any] = {"benchmark": "degradations", "plan": plan.name, "spec": base, "batch": plan.batch,
                              "patch": plan.patch, "target": TARGET, "cases": {}}
    with scratch_dir() as out:
        for label, deg, workers in CASES:
            report["cases"][label] = measure(base + deg, plan, workers, steps, out)
    report["figure"] = report["cases"][CASES[-1][0]]["steady_fraction"]
    report["met"] = report["figure"] < TARGET
    if verbose:
        print(markdown(report))
    return report


def markdown(r: dict[str, Any]) -> str:
    rows = [[label, f"{v['steady_data_ms']:.1f}", f"{v['first_wait_ms']:.0f}", f"{v['step_ms']:.0f}", f"{v['cpu_ms']:.0f}",
             _pct(v["steady_fraction"]), _pct(v["fraction"]), v["steps"]] for label, v in r["cases"].items()]
    verdict = "met" if r["met"] else "missed"
    return "\n".join([
        f"`{r['spec']}` + `deg=`, batch {r['batch']}, {r['patch']}×{r['patch']} HR crops of the built-in photographs, "
        "`--pretrain 0`, inside srzoo's `TrainingLoop`:", "",
        *_table(["case", "steady wait ms/iter", "first fetch ms", "ms/iter", "CPU ms/iter (this process)", "waiting (steady)",
                 "waiting (with start-up)", "iterations"], rows), "",
        f"Data wait with `deg=realesrgan --workers 2`: **{_pct(r['figure'])}** of the step (target < {_pct(r['target'])}: {verdict}).",
    ])


def main(argv: list[str] | None = None) -> None:
    standalone(run, __doc__, argv)


if __name__ == "__main__":
    main()
