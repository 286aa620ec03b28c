"""Inference benchmark (section 5 of ``make bench``): tiles from a memory budget, the fast path, and
what each costs, for srresnet, rrdbnet and the zoo's efficient (span) and transformer (swinir
lightweight) models, ×4.

    python -m benchmarks.inference            # the full plan (several minutes on 2 cores)
    python -m benchmarks.inference --quick    # smaller sizes and models
    python -m benchmarks.inference --smoke    # tiny models: checks that it runs

Parts: the precision table (accuracy of each precision against fp32 on the held-out photos, and
the default it justifies), megapixels per second per precision, the default path (planned from the
default budget) against a forced untiled run at three sizes, seams of a forced tiling at each
model's default overlap, peak memory of an untiled run as the process's own high-water mark
(``VmHWM`` of a fresh child process, against the planner's estimate), a large grid under a 2 GiB
budget through the CLI's code path, and onnxruntime against PyTorch when export exists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.inference_accuracy import (
    SCALE,
    briefly_trained,
    build,
    choose_default,
    precision_rows,
    seam_rows,
)
from benchmarks.inference_report import markdown

TRAINED = ("srresnet", "rrdbnet")
MODELS = {"srresnet": "gen=srresnet(blocks=16,residual=true)", "rrdbnet": "gen=rrdbnet(blocks=8)", "span": "gen=span",
          "swinir": "gen=swinir(preset=lightweight)"}


def _status(key: str) -> float:
    """A /proc/self/status figure in MiB (VmHWM: this process's peak resident memory, VmRSS: now)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _worker_memory(case: dict[str, Any]) -> dict[str, Any]:
    """An untiled default-path run in this fresh process: its own VmHWM against the estimate."""
    import torch

    from srzoo_core.training.inference import upscale_tiled

    generator = build(case["spec"])
    x = torch.rand(1, 3, case["size"], case["size"])
    upscale_tiled(generator, x[..., :16, :16], SCALE, tile=0)  # lazy initialisation (oneDNN, autocast) out of the figure
    before = _status("VmRSS")
    info: dict[str, Any] = {}
    start = time.perf_counter()
    upscale_tiled(generator, x, SCALE, info=info)
    return {"seconds": time.perf_counter() - start, "rss_before_mib": before, "vmhwm_mib": _status("VmHWM"),
            "estimate_mib": (info["estimate"] or 0) / 2 ** 20, "plan": info["plan"]}


def _worker_big(case: dict[str, Any]) -> dict[str, Any]:
    """A one-channel ``size``² grid through the CLI's code path (read .npy, normalise, upscale under
    ``budget``, denormalise, write .npy), in this fresh process."""
    import numpy as np

    from srzoo_core.cli.upscale import upscale_file
    from srzoo_core.training.checkpoint import save_model

    folder, size = Path(case["folder"]), case["size"]
    generator = build(case["spec"], in_channels=1)
    ckpt = folder / "grid.safetensors"
    save_model(ckpt, generator.state_dict(), {
        "spec": case["spec"], "scale": SCALE, "channels": 1, "normaliser": {"kind": "zscore", "mean": [280.0], "std": [5.0]},
        "data": {"kind": "grid", "channel_names": ["t"]}, "step": 0})
    y, x = np.ogrid[0:size, 0:size]
    field = (280 + 5 * np.sin(x / 97.0) * np.cos(y / 61.0)).astype(np.float32)[None]
    np.save(folder / "lr.npy", field)
    np.save(folder / "small.npy", field[:, :16, :16])
    del field, generator
    upscale_file(ckpt, folder / "small.npy", folder / "small_sr.npy", device="cpu")  # imports and caches in place first
    before = _status("VmRSS")
    info = upscale_file(ckpt, folder / "lr.npy", folder / "sr.npy", max_memory=case["budget"], device="cpu")
    peak = _status("VmHWM")
    out = np.load(folder / "sr.npy", mmap_mode="r")
    return {"seconds": info["seconds"], "rss_before_mib": before, "vmhwm_mib": peak, "plan": info["plan"],
            "precision": info["precision"], "out_shape": list(out.shape), "finite_corner": bool(np.isfinite(out[0, :64, :64]).all()),
            "output_mib": out.nbytes / 2 ** 20}


def _spawn(case: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.inference", "--worker", json.dumps(case)], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parent.parent, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("@@")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return {"error": tail[0][:300]}
    return json.loads(lines[-1][2:])


def run(models: dict[str, str] | None = None, sizes: tuple[int, ...] = (128, 256, 512), rounds: int = 3, train_iters: int = 40,
        speed_size: int = 128, seam_size: int = 256, seam_tile: int = 160, memory_size: int = 256, big_size: int = 4096,
        big_spec: str = "gen=srresnet(blocks=2,features=16)", big_budget: str = "2GiB", onnx_size: int = 128,
        batch_size: int = 256, batch_tiles: tuple[int, ...] = (64, 96),
        device: str = "cpu", verbose: bool = True, **_ignored: Any) -> dict[str, Any]:
    """Every part; returns the figures (``markdown(report)`` renders them)."""
    import torch

    from benchmarks.inference_speed import (
        onnx_rows,
        speed_rows,
        tile_batch_rows,
        tiling_rows,
    )
    from srzoo_core.training.inference import AUTO_PRECISION

    models = dict(models or MODELS)
    load_start = os.getloadavg()[0]
    say = (lambda text: print(f"[inference] {text}", file=sys.stderr, flush=True)) if verbose else (lambda text: None)
    report: dict[str, Any] = {"models": models, "threads": torch.get_num_threads(), "cpus": os.cpu_count(), "torch": torch.__version__,
                              "train_iters": train_iters, "auto_precision": dict(AUTO_PRECISION), "rounds": rounds}
    say(f"briefly training {', '.join(TRAINED)} ({train_iters} steps)")
    built = {name: ((briefly_trained(spec, train_iters), f"trained {train_iters} steps") if name in TRAINED else (build(spec), "random init"))
             for name, spec in models.items()}
    plain = {name: g for name, (g, _) in built.items()}
    say("precision table")
    report["precision"] = {"rows": precision_rows({k: built[k] for k in TRAINED if k in built}, device)}
    say("speed per precision")
    report["speed"] = {"size": speed_size, "rows": speed_rows(plain, speed_size, rounds)}
    speed: dict[str, float] = {}  # precision -> geometric mean over the trained models of the best-round MP/s
    for row in report["speed"]["rows"]:
        if row["channels_last"] and row["model"] in TRAINED:
            speed[row["precision"]] = speed.get(row["precision"], 1.0) * row["best_mp_per_s"] ** (1 / len(TRAINED))
    report["precision"]["default"] = choose_default(report["precision"]["rows"], speed)
    say("default path vs untiled")
    report["tiling"] = {"sizes": list(sizes), "rows": tiling_rows(plain, tuple(sizes), rounds)}
    say("tiles per pass")
    report["tile_batch"] = {"model": "srresnet", "rows": tile_batch_rows(plain["srresnet"], batch_size, batch_tiles, rounds)}
    say("seams")
    report["seams"] = {"rows": seam_rows(built, seam_size, seam_tile)}
    say("peak memory (fresh processes)")
    report["memory"] = {"size": memory_size, "rows": [{"model": name, **_spawn({"kind": "memory", "spec": spec, "size": memory_size})}
                                                      for name, spec in models.items()]}
    say(f"{big_size}² grid under {big_budget}")
    with tempfile.TemporaryDirectory(prefix="srzoo-bench-big-") as tmp:
        report["big"] = {"size": big_size, "spec": big_spec, "budget": big_budget,
                         **_spawn({"kind": "big", "spec": big_spec, "size": big_size, "budget": big_budget, "folder": tmp})}
    say("onnxruntime vs PyTorch")
    report["onnx"] = onnx_rows({k: plain[k] for k in ("srresnet", "span") if k in plain}, onnx_size, rounds)
    report["load_average"] = [round(load_start, 2), round(os.getloadavg()[0], 2)]
    if verbose:
        print(markdown(report))
    return report


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.worker:
        case = json.loads(args.worker)
        print("@@" + json.dumps((_worker_big if case["kind"] == "big" else _worker_memory)(case)))
        return
    from benchmarks.plan import make_plan

    report = run(**make_plan("smoke" if args.smoke else "quick" if args.quick else "full").inference)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
