"""``srzoo upscale CKPT IN OUT``: upscale a photo (PNG, JPEG, BMP, TIFF) or a ``.npy`` grid with a checkpoint.

Photos (``.png``, ``.jpg``, ``.jpeg``, ``.bmp``, ``.tif``, ``.tiff``; 8-bit output) go with checkpoints trained on photos, ``.npy`` arrays
shaped (C, H, W) or (N, C, H, W) in physical units with checkpoints trained on grids. Inputs
are upscaled tile by tile (``--tile``/``--overlap``, in LR pixels; ``--tile 0`` = untiled), so
memory stays bounded by the tile size plus the output.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import typer

from srzoo_core.cli.app import app
from srzoo_core.cli.output import stdout
from srzoo_core.errors import UsageError
from srzoo_core.training import DEFAULT_OVERLAP, DEFAULT_TILE

DEVICES = ("auto", "cpu", "cuda")


def _modality_of(path: Path, role: str) -> Any:
    from srzoo_core.data.modality import modalities, modality_for_file

    found = modality_for_file(path)
    if found is None:
        known = "; ".join(f"{m.name}: {', '.join(m.suffixes)}" for m in modalities())
        raise UsageError(f"unsupported {role} file type {path.suffix.lower() or '(no extension)'!r}: {path}", hint=known)
    return found


def _check_output(path: Path, kind: Any) -> None:
    """Fail before any work if the output cannot be written."""
    out_kind = _modality_of(path, "output")
    if out_kind is not kind:
        raise UsageError(f"the input is a {kind.name} file but the output {path} is a {out_kind.name} file",
                         hint=f"write one of {', '.join(kind.suffixes)}")
    if path.is_dir():
        raise UsageError(f"output {path} is a folder", hint=f"give a file name, e.g. out/upscaled{kind.suffixes[0]}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise UsageError(f"cannot write {path}: folder {parent} does not exist", hint=f"create it first (mkdir -p {parent})")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"cannot write {path}: permission denied")


def _check_input(path: Path) -> Any:
    if not path.exists():
        raise UsageError(f"input not found: {path}")
    if not path.is_file():
        raise UsageError(f"input {path} is not a file")
    return _modality_of(path, "input")


def _check_tiling(tile: int, overlap: int) -> None:
    if tile < 0:
        raise UsageError(f"--tile must be >= 0 (0 = untiled), got {tile}")
    if overlap < 0:
        raise UsageError(f"--overlap must be >= 0, got {overlap}")
    if tile and overlap >= tile:
        raise UsageError(f"--overlap ({overlap}) must be smaller than --tile ({tile})",
                         hint="e.g. --tile 128 --overlap 32, or --tile 0 to run untiled")


def _read(path: Path, kind: Any) -> Any:
    try:
        return kind.read(path)
    except UsageError:
        raise
    except Exception as exc:  # a broken or foreign file: one message, no traceback
        raise UsageError(f"cannot read {path}: {exc}") from None


def _write(path: Path, kind: Any, array: Any) -> None:
    try:
        kind.write(path, array)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}", hint="the previous file, if any, is unchanged") from None


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def upscale_file(checkpoint: Path, source: Path, target: Path, *, tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
                 device: str = "auto") -> dict[str, Any]:
    """The command's work, callable from Python: returns what it printed as a dict."""
    from srzoo_core.data.modality import modality
    from srzoo_core.training.checkpoint import load_model
    from srzoo_core.training.inference import resolve_device, upscale_array

    if device not in DEVICES and not device.startswith("cuda:"):
        raise UsageError(f"unknown device {device!r}", hint="use " + ", ".join(DEVICES))
    _check_tiling(tile, overlap)
    kind = _check_input(source)
    _check_output(target, kind)
    torch_device = resolve_device(device)
    generator, description = load_model(checkpoint)
    model_kind = modality(description.modality)
    if model_kind is not kind:
        names = ", ".join(c.label() for c in description.channels)
        raise UsageError(f"{checkpoint} was trained on {model_kind.name} data ({len(description.channels)} channels: {names}) "
                         f"but {source} is a {kind.name} file", hint=f"pass {model_kind.description}: {', '.join(model_kind.suffixes)}")
    array = _read(source, kind)
    start = time.perf_counter()
    result = upscale_array(generator, description, array, tile=tile, overlap=overlap, device=torch_device)
    seconds = time.perf_counter() - start
    _write(target, kind, result)
    return {
        "output": str(target), "input_shape": tuple(array.shape), "output_shape": tuple(result.shape), "kind": kind.name,
        "scale": description.scale, "device": str(torch_device), "tile": tile, "overlap": overlap,
        "seconds": seconds, "peak_rss_mib": peak_rss_mib(),
    }


@app.command()
def upscale(
    checkpoint: Path = typer.Argument(..., metavar="CKPT", help="Model checkpoint (.safetensors) from a run directory."),
    source: Path = typer.Argument(..., metavar="IN", help="Photo (.png/.jpg/.bmp/.tif) or grid (.npy, (C,H,W) or (N,C,H,W))."),
    target: Path = typer.Argument(..., metavar="OUT", help="Output file: an image for photos, .npy for grids."),
    tile: int = typer.Option(DEFAULT_TILE, "--tile", help="Tile size in input (LR) pixels; 0 = untiled."),
    overlap: int = typer.Option(DEFAULT_OVERLAP, "--overlap", help="Overlap between tiles in LR pixels (see docs: exact when the "
                                                      "model's receptive-field radius is <= overlap/4)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
) -> None:
    """Upscale a photo or a grid with a trained checkpoint, tile by tile."""
    from srzoo_core.data.modality import modality

    info = upscale_file(checkpoint, source, target, tile=tile, overlap=overlap, device=device)
    tiling = f"tile {tile}, overlap {overlap}" if tile else "untiled"
    stdout.print(f"wrote {info['output']}", markup=False)
    kind = modality(info["kind"])
    stdout.print(f"{kind.describe_shape(info['input_shape'])} → {kind.describe_shape(info['output_shape'])} "
                 f"(×{info['scale']}, {tiling}, {info['device']})", markup=False)
    stdout.print(f"time {info['seconds']:.2f} s, peak RSS {info['peak_rss_mib']:.0f} MiB", markup=False)
