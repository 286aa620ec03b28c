"""Inference benchmark: tiled vs untiled ×4 upscaling with an SRResNet (random weights).

    python -m benchmarks.inference            # full run (minutes on a laptop CPU)
    python -m benchmarks.inference --quick    # a small smoke run

Sizes are LR sizes: "512²" means a 512×512 input upscaled to 2048×2048. Every case runs in a
fresh subprocess, so its peak RSS (``ru_maxrss``) is its own. Untiled runs whose estimated peak
memory (extrapolated from the smallest untiled case) exceeds 80% of the available memory are
skipped and reported as such. The last case runs a photo through the CLI's code path
(``srzoo_core.cli.upscale.upscale_file``: PNG read, checkpoint load, ``upscale_array``, PNG write).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from srzoo_core.training import DEFAULT_OVERLAP, DEFAULT_TILE

SCALE = 4


def _generator(blocks: int) -> Any:
    import torch

    import srzoo_core as sz

    torch.manual_seed(0)
    return sz.build_generator(f"gen=srresnet(blocks={blocks})", in_channels=3, scale=SCALE).eval()


def _rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """User + system CPU time of this process: less disturbed than wall time on a shared machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _worker_tensor(case: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import torch

    from srzoo_core.training.inference import upscale_tiled

    generator = _generator(case["blocks"])
    torch.manual_seed(1)
    lr = torch.rand(1, 3, case["size"], case["size"])
    before = _rss_mib()
    cpu, start = _cpu_seconds(), time.perf_counter()
    out = upscale_tiled(generator, lr, SCALE, tile=case["tile"], overlap=case["overlap"], device="cpu")
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    peak = _rss_mib()
    if case.get("save"):
        np.save(case["save"], out[0].numpy())
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mib": peak, "rss_before_mib": before,
            "out_shape": list(out.shape)}


def _worker_cli(case: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from srzoo_core.cli.upscale import upscale_file
    from srzoo_core.data import write_image
    from srzoo_core.training.checkpoint import save_model

    folder = Path(case["folder"])
    generator = _generator(case["blocks"])
    ckpt = folder / "photo.safetensors"
    save_model(ckpt, generator.state_dict(), {
        "spec": f"gen=srresnet(blocks={case['blocks']})", "scale": SCALE, "channels": 3,
        "normaliser": {"kind": "unit", "mean": [0.0] * 3, "std": [1.0] * 3},
        "data": {"kind": "photo", "channel_names": ["R", "G", "B"]}, "step": 0,
    })
    size = case["size"]
    yy, xx = np.mgrid[0:size, 0:size] / size
    image = np.stack([0.5 + 0.5 * np.sin(12 * xx), 0.5 + 0.5 * np.cos(9 * yy), xx * yy], axis=-1).astype(np.float32)
    write_image(folder / "lr.png", image)
    del generator, image
    cpu, start = _cpu_seconds(), time.perf_counter()
    info = upscale_file(ckpt, folder / "lr.png", folder / "sr.png", tile=case["tile"], overlap=case["overlap"], device="cpu")
    return {"seconds": time.perf_counter() - start, "cpu_seconds": _cpu_seconds() - cpu, "upscale_seconds": info["seconds"],
            "peak_rss_mib": _rss_mib(), "out_shape": list(info["output_shape"])}


def _spawn(case: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "benchmarks.inference", "--worker", json.dumps(case)],
                          capture_output=True, text=True, cwd=root, env=env)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _mem_available_mib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("inf")


def _max_abs_diff(a_path: str, b_path: str) -> tuple[float, float]:
    """Max |a - b| and the reference's standard deviation, in row chunks (memory-mapped)."""
    import numpy as np

    a = np.load(a_path, mmap_mode="r")
    b = np.load(b_path, mmap_mode="r")
    worst = 0.0
    for r in range(0, a.shape[1], 256):
        worst = max(worst, float(np.abs(a[:, r:r + 256] - b[:, r:r + 256]).max()))
    return worst, float(np.asarray(b).std())


def run(sizes: tuple[int, ...] = (512, 2048), blocks: int = 16, tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
        photo_size: int = 1024, verbose: bool = True) -> dict[str, Any]:
    """Run every case (each in its own subprocess); return the results and print a Markdown table."""
    import torch

    results: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    untiled_per_pixel: float | None = None
    with tempfile.TemporaryDirectory(prefix="srzoo-bench-") as tmp:
        for size in sorted(sizes):
            saved: dict[str, str] = {}
            for mode, case_tile in (("untiled", 0), ("tiled", tile)):
                row: dict[str, Any] = {"case": f"{size}² LR → {size * SCALE}² ({mode})", "size": size, "mode": mode,
                                       "tile": case_tile, "overlap": overlap if case_tile else 0}
                if mode == "untiled" and untiled_per_pixel is not None:
                    estimate = untiled_per_pixel * size * size
                    if estimate > 0.8 * _mem_available_mib():
                        row["skipped"] = f"estimated peak {estimate / 1024:.0f} GiB > 80% of available {_mem_available_mib() / 1024:.0f} GiB"
                        results.append(row)
                        if verbose:
                            print(f"skip {row['case']}: {row['skipped']}", flush=True)
                        continue
                save = os.path.join(tmp, f"{size}-{mode}.npy")
                case = {"kind": "tensor", "size": size, "blocks": blocks, "tile": case_tile, "overlap": overlap,
                        "save": save if (mode == "untiled" or "untiled" in saved) else None}
                if verbose:
                    print(f"running {row['case']} ...", flush=True)
                row.update(_spawn(case))
                if "error" not in row:
                    if case["save"]:
                        saved[mode] = save
                    if mode == "untiled" and untiled_per_pixel is None:
                        untiled_per_pixel = max(row["peak_rss_mib"] - row["rss_before_mib"], 1.0) / (size * size)
                results.append(row)
                if verbose:
                    print(f"  {_brief(row)}", flush=True)
            if "untiled" in saved and "tiled" in saved:
                diff, std = _max_abs_diff(saved["tiled"], saved["untiled"])
                results[-1]["max_abs_diff"] = diff
                results[-1]["output_std"] = std
            for path in saved.values():
                Path(path).unlink(missing_ok=True)
        if photo_size:
            row = {"case": f"{photo_size}² photo via CLI path (PNG in/out)", "size": photo_size, "mode": "cli",
                   "tile": tile, "overlap": overlap}
            if verbose:
                print(f"running {row['case']} ...", flush=True)
            row.update(_spawn({"kind": "cli", "size": photo_size, "blocks": blocks, "tile": tile, "overlap": overlap,
                               "folder": tmp}))
            results.append(row)
            if verbose:
                print(f"  {_brief(row)}", flush=True)
    report = {
        "model": f"srresnet(blocks={blocks}) ×{SCALE}, random weights, float32, CPU",
        "torch": torch.__version__, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)], "cases": results,
    }
    if verbose:
        print(markdown(report))
    return report


def _brief(row: dict[str, Any]) -> str:
    if "error" in row:
        return "error: " + " ".join(row["error"])
    return f"{row['seconds']:.1f} s ({row.get('cpu_seconds', float('nan')):.1f} CPU s), peak RSS {row['peak_rss_mib']:.0f} MiB"


def markdown(report: dict[str, Any]) -> str:
    load = report.get("load_average")
    lines = [f"{report['model']} — torch {report['torch']}, {report['threads']} threads on {report['cpus']} CPUs"
             + (f" (1-min load average {load[0]} at start, {load[1]} at end)" if load else ""), "",
             "| case | tile/overlap | wall (s) | CPU (s) | peak RSS (MiB) | max abs diff vs untiled |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for row in report["cases"]:
        tiling = f"{row['tile']}/{row['overlap']}" if row["tile"] else "—"
        if "skipped" in row:
            lines.append(f"| {row['case']} | {tiling} | skipped | skipped | skipped | {row['skipped']} |")
            continue
        if "error" in row:
            lines.append(f"| {row['case']} | {tiling} | error | error | error | {' '.join(row['error'])} |")
            continue
        diff = "—"
        if "max_abs_diff" in row:
            diff = f"{row['max_abs_diff']:.2e} (output std {row['output_std']:.3g})"
        cpu = f"{row['cpu_seconds']:.1f}" if "cpu_seconds" in row else "—"
        lines.append(f"| {row['case']} | {tiling} | {row['seconds']:.1f} | {cpu} | {row['peak_rss_mib']:.0f} | {diff} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="small smoke run: 2 blocks, 64² and 128², 128² photo")
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.worker:
        case = json.loads(args.worker)
        result = (_worker_cli if case["kind"] == "cli" else _worker_tensor)(case)
        print(json.dumps(result))
        return
    if args.quick:
        report = run(sizes=(64, 128), blocks=2, tile=48, overlap=16, photo_size=128)
    else:
        report = run(blocks=args.blocks)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
