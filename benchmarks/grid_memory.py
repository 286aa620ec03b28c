"""Memory: training on a netCDF file four times larger than the memory the process may use.

    python -m benchmarks.grid_memory [--cap-mib 1024] [--keep]

Writes a float32 netCDF file of ``4 x cap`` (three variables on a 256x256 grid, hourly, made slab
by slab so the writer stays small too), then runs ``srzoo train`` on it in a child process whose
data memory is capped with ``setrlimit(RLIMIT_DATA, cap)``: the heap and every private anonymous
mapping — where a copy of the file in memory would live — count, shared-library code does not
(``RLIMIT_AS`` would also count the ~0.7 GiB of address space that importing torch reserves).
Every allocation past the cap fails, so a reader that loaded the file would die. Reported: the
child's exit status, its peak resident memory (``ru_maxrss``) and the time of each phase. Not a
timed test: run it by hand (minutes). ``--file`` reuses a file written by ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZE = 256
VARIABLES = ("a", "b", "c")
SPEC = "gen=srresnet(blocks=2,features=16) loss=l1 metric=wrmse+quantile"


def write_file(path: Path, samples: int, slab: int = 64) -> float:
    """Smooth fields plus noise, written ``slab`` samples at a time; returns the size in MiB."""
    import h5netcdf

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"time": samples, "latitude": SIZE, "longitude": SIZE}
        f.attrs["Conventions"] = "CF-1.6"
        time_var = f.create_variable("time", ("time",), "f8")
        time_var.attrs["units"] = "hours since 2000-01-01"
        time_var[:] = np.arange(samples, dtype=np.float64)
        for name, values, units in (("latitude", np.linspace(70, 6.25, SIZE), "degrees_north"),
                                    ("longitude", np.linspace(-30, 33.75, SIZE), "degrees_east")):
            coordinate = f.create_variable(name, (name,), "f8")
            coordinate.attrs["units"] = units
            coordinate[:] = values
        fields = {v: f.create_variable(v, ("time", "latitude", "longitude"), "f4", chunks=(1, SIZE, SIZE)) for v in VARIABLES}
        for v in fields.values():
            v.attrs["units"] = "K"
        for start in range(0, samples, slab):
            n = min(slab, samples - start)
            for k, variable in enumerate(fields.values()):
                phase = rng.uniform(0, 2 * np.pi, size=(n, 1, 1)).astype(np.float32)
                noise = rng.standard_normal((n, SIZE, SIZE), dtype=np.float32)
                variable[start:start + n] = 280 + 10 * k + 8 * np.sin(6 * xx + phase) * np.cos(4 * yy - phase) + 0.5 * noise
    return path.stat().st_size / 2**20


def _cap(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    return apply


def run(cap_mib: int = 1024, iters: int = 20, keep: bool = False, file: str | None = None) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="srzoo-grid-memory-"))
    path = Path(file) if file else folder / "big.nc"
    samples = None if file else -(-4 * cap_mib * 2**20 // (len(VARIABLES) * SIZE * SIZE * 4))
    start = time.perf_counter()
    size = path.stat().st_size / 2**20 if file else write_file(path, samples)
    written = time.perf_counter() - start
    command = [sys.executable, "-m", "srzoo_core.cli", "train", SPEC, "--data", f"{path}:vars={','.join(VARIABLES)}:split=0.99",
               "--iters", str(iters), "--val-every", str(iters), "--batch", "4", "--patch", "64", "--precision", "fp32",
               "--out", str(folder / "runs"), "--name", "big"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    start = time.perf_counter()
    child = subprocess.run(command, preexec_fn=_cap(cap_mib * 2**20), env=env, capture_output=True, text=True, check=False)
    trained = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"cap_mib": cap_mib, "limit": "RLIMIT_DATA", "file_mib": round(size), "file_over_cap": round(size / cap_mib, 2),
              "samples": samples, "grid": f"{len(VARIABLES)}x{SIZE}x{SIZE} float32", "exit_code": child.returncode, "peak_rss_mib": round(peak),
              "write_s": round(written, 1), "train_s": round(trained, 1), "iters": iters,
              "finished": (folder / "runs" / "big" / "best.safetensors").is_file()}
    if child.returncode:
        result["stderr_tail"] = child.stderr[-2000:]
    if not keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    else:
        result["folder"] = str(folder)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap-mib", type=int, default=1024)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the file and the run folder")
    parser.add_argument("--file", help="a file written before (--keep) instead of a new one")
    args = parser.parse_args()
    print(json.dumps(run(args.cap_mib, args.iters, args.keep, args.file), indent=2))


if __name__ == "__main__":
    main()
