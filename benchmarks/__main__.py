"""The benchmark suite: ``make bench`` (``python -m benchmarks``) writes
``benchmarks/results/<date>.md`` (and the raw figures as ``.json`` next to it).

    python -m benchmarks                      # the full suite, about 25 minutes on 2 cores (inference ~19)
    python -m benchmarks --quick              # fewer rounds and steps, smaller inference cases
    python -m benchmarks --smoke              # tiny models: checks the suite runs; figures mean nothing
    python -m benchmarks --device cuda        # add the GPU section (AMP + channels_last, images/s)
    python -m benchmarks --only training,data # some sections only
    python -m benchmarks --render benchmarks/results/<date>.json   # redo the .md from saved figures

Sections: startup (4), training (1 overhead, 2 fast path, 3 distance to peak), data (6),
scaling (7), inference (5), gpu. A section that fails is reported as such, never with a number.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable

SECTIONS = ("startup", "training", "data", "degradations", "scaling", "inference", "gpu")
RESULTS = Path(__file__).resolve().parent / "results"


def _guarded(name: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        result = make()
    except Exception as exc:  # a failing section is reported, never turned into a number
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
    result["wall_s"] = time.perf_counter() - start
    print(f"[bench] {name}: {result['wall_s']:.0f} s", file=sys.stderr, flush=True)
    return result


_INFERENCE_LAUNCHER = """\
import json, sys
from benchmarks.inference import run
print("@@RESULT@@" + json.dumps(run(**json.loads(sys.argv[1])), default=str))
"""


def _inference(plan: Any, device: str) -> dict[str, Any]:
    """benchmarks.inference.run() in a fresh interpreter, so this suite's memory (several GiB after
    the training sections) is not in its figures; its peak-memory cases run in fresh children of
    their own and read their own high-water mark (VmHWM)."""
    try:
        from benchmarks import inference
    except ImportError as exc:
        return {"not_run": f"benchmarks.inference could not be imported ({exc})"}
    accepted = inspect.signature(inference.run).parameters
    kwargs = {k: v for k, v in {**plan.inference, "device": device, "verbose": True}.items() if k in accepted}
    done = subprocess.run([sys.executable, "-c", _INFERENCE_LAUNCHER, json.dumps(kwargs)], stdout=subprocess.PIPE, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    lines = [line for line in done.stdout.splitlines() if line.startswith("@@RESULT@@")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"benchmarks.inference.run() failed (exit {done.returncode}; its log is above)")
    return json.loads(lines[-1].removeprefix("@@RESULT@@"))


def run_sections(plan: Any, sections: tuple[str, ...], device: str) -> dict[str, Any]:
    from benchmarks import data_pipeline, gpu, scaling, startup, training

    results: dict[str, Any] = {}
    if "startup" in sections:
        results["startup"] = _guarded("startup", lambda: startup.run(runs=plan.startup_runs))
    if "training" in sections:
        results["training"] = _guarded("training (overhead, fast path, peak)", lambda: training.run(plan))
    if "data" in sections:
        training_result = results.get("training", {})
        builtin = training_result.get("data_builtin") if "error" not in training_result else None
        results["data"] = _guarded("data pipeline", lambda: data_pipeline.run(plan, builtin=builtin))
    if "degradations" in sections:
        from benchmarks import degradations

        results["degradations"] = _guarded("data wait with deg=realesrgan", lambda: degradations.run(plan))
    if "scaling" in sections:
        results["scaling"] = _guarded("scaling", lambda: scaling.run(plan))
    if "inference" in sections:
        results["inference"] = _guarded("inference", lambda: _inference(plan, device))
    if "gpu" in sections:
        if device == "cuda":
            results["gpu"] = _guarded("gpu", lambda: gpu.run(plan, device="cuda"))
        else:
            results["gpu"] = {"measured": False, "reason": "no GPU in this session (run `python -m benchmarks --device cuda` on a GPU machine)"}
    return results


def result_path(folder: Path, plan_name: str) -> Path:
    stem = time.strftime("%Y-%m-%d") + ("" if plan_name == "full" else f"-{plan_name}")
    path, n = folder / f"{stem}.md", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.md"
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer rounds and steps, smaller inference cases")
    mode.add_argument("--smoke", action="store_true", help="tiny models, to check the suite runs (figures mean nothing)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="cuda adds the GPU section")
    parser.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results (default benchmarks/results)")
    parser.add_argument("--threads", type=int, help="torch threads, here and in the subprocesses (default: torch's, one per core)")
    parser.add_argument("--render", type=Path, metavar="JSON", help="rewrite the .md of an earlier run from its .json (no measuring)")
    args = parser.parse_args(argv)
    if args.render:
        from benchmarks.document import document

        saved = json.loads(args.render.read_text())
        args.render.with_suffix(".md").write_text(document(saved["meta"], saved["machine"], saved["results"]))
        print(f"written: {args.render.with_suffix('.md')}", file=sys.stderr)
        return 0
    if args.threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
        import torch

        torch.set_num_threads(args.threads)
    sections = tuple(s.strip() for s in args.only.split(",")) if args.only else SECTIONS
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")

    from benchmarks.common import load_average, machine_info
    from benchmarks.document import document
    from benchmarks.plan import make_plan

    plan = make_plan("smoke" if args.smoke else "quick" if args.quick else "full")
    started = time.perf_counter()
    machine = machine_info()
    results = run_sections(plan, sections, args.device)
    machine["load_average_end"] = load_average()
    meta = {"plan": plan.name, "device": args.device, "sections": list(sections), "wall_s": time.perf_counter() - started,
            "command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    args.out.mkdir(parents=True, exist_ok=True)
    path = result_path(args.out, plan.name)
    path.write_text(document(meta, machine, results))
    path.with_suffix(".json").write_text(json.dumps({"meta": meta, "machine": machine, "results": results}, indent=2, default=str))
    print(path.read_text())
    print(f"\nwritten: {path} ({meta['wall_s']:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
