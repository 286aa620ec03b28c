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

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")  # what srzoo_core.data reads and writes
GRID_SUFFIXES = (".npy",)
DEVICES = ("auto", "cpu", "cuda")


def _kind_of(path: Path, role: str) -> str:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "photo"
    if suffix in GRID_SUFFIXES:
        return "grid"
    raise UsageError(f"unsupported {role} file type {suffix or '(no extension)'!r}: {path}",
                     hint="photos: " + ", ".join(IMAGE_SUFFIXES) + "; grids: .npy shaped (C, H, W) or (N, C, H, W)")


def _check_output(path: Path, kind: str) -> None:
    """Fail before any work if the output cannot be written."""
    out_kind = _kind_of(path, "output")
    if out_kind != kind:
        wanted = "an image file (" + ", ".join(IMAGE_SUFFIXES) + ")" if kind == "photo" else "a .npy file"
        what = {"photo": "an image file", "grid": "a .npy grid file"}
        raise UsageError(f"the input is {what[kind]} but the output {path} is {what[out_kind]}", hint=f"write {wanted}")
    if path.is_dir():
        raise UsageError(f"output {path} is a folder", hint="give a file name, e.g. out/upscaled" + (".png" if kind == "photo" else ".npy"))
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise UsageError(f"cannot write {path}: folder {parent} does not exist", hint=f"create it first (mkdir -p {parent})")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"cannot write {path}: permission denied")


def _check_input(path: Path) -> str:
    if not path.exists():
        raise UsageError(f"input not found: {path}")
    if not path.is_file():
        raise UsageError(f"input {path} is not a file")
    return _kind_of(path, "input")


def _check_tiling(tile: int, overlap: int) -> None:
    if tile < 0:
        raise UsageError(f"--tile must be >= 0 (0 = untiled), got {tile}")
    if overlap < 0:
        raise UsageError(f"--overlap must be >= 0, got {overlap}")
    if tile and overlap >= tile:
        raise UsageError(f"--overlap ({overlap}) must be smaller than --tile ({tile})",
                         hint="e.g. --tile 128 --overlap 32, or --tile 0 to run untiled")


def _read(path: Path, kind: str) -> Any:
    import numpy as np

    if kind == "photo":
        from srzoo_core.data import read_image

        try:
            return read_image(path)
        except UsageError:
            raise
        except Exception as exc:  # a broken or foreign file: one message, no traceback
            raise UsageError(f"cannot read image {path}: {exc}") from None
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError, EOFError) as exc:
        raise UsageError(f"cannot read {path} as a .npy array: {exc}") from None
    if array.ndim not in (3, 4):
        raise UsageError(f"{path} has shape {array.shape}; grids must be (C, H, W) or (N, C, H, W)")
    return array


def _write(path: Path, kind: str, array: Any) -> None:
    import numpy as np

    try:
        if kind == "photo":
            from srzoo_core.data import write_image

            write_image(path, array)
        else:
            with open(path, "wb") as handle:
                np.save(handle, array, allow_pickle=False)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _shape_text(shape: tuple[int, ...], kind: str) -> str:
    if kind == "photo":
        h, w, c = shape
        return f"{w}×{h} ({c} channel{'s' if c != 1 else ''})"
    *lead, h, w = shape
    return f"{'×'.join(str(d) for d in lead)} × {h}×{w}"


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def upscale_file(checkpoint: Path, source: Path, target: Path, *, tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
                 device: str = "auto") -> dict[str, Any]:
    """The command's work, callable from Python: returns what it printed as a dict."""
    from srzoo_core.training.checkpoint import load_model
    from srzoo_core.training.inference import channel_names, data_kind, resolve_device, upscale_array

    if device not in DEVICES and not device.startswith("cuda:"):
        raise UsageError(f"unknown device {device!r}", hint="use " + ", ".join(DEVICES))
    _check_tiling(tile, overlap)
    kind = _check_input(source)
    _check_output(target, kind)
    torch_device = resolve_device(device)
    generator, metadata = load_model(checkpoint)
    model_kind = data_kind(metadata)
    if model_kind != kind:
        names = ", ".join(channel_names(metadata))
        if model_kind == "grid":
            raise UsageError(f"{checkpoint} was trained on grids ({metadata['channels']} channels: {names}) but {source} is an image",
                             hint="pass a .npy array shaped (C, H, W) or (N, C, H, W) in physical units")
        raise UsageError(f"{checkpoint} was trained on photos ({metadata['channels']} channels) but {source} is a .npy array",
                         hint="pass a .png or .jpg image")
    array = _read(source, kind)
    start = time.perf_counter()
    result = upscale_array(generator, metadata, array, tile=tile, overlap=overlap, device=torch_device)
    seconds = time.perf_counter() - start
    _write(target, kind, result)
    in_shape = tuple(array.shape) if kind == "grid" or array.ndim == 3 else (*array.shape, 1)
    return {
        "output": str(target), "input_shape": in_shape, "output_shape": tuple(result.shape), "kind": kind,
        "scale": int(metadata["scale"]), "device": str(torch_device), "tile": tile, "overlap": overlap,
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
    info = upscale_file(checkpoint, source, target, tile=tile, overlap=overlap, device=device)
    tiling = f"tile {tile}, overlap {overlap}" if tile else "untiled"
    stdout.print(f"wrote {info['output']}", markup=False)
    stdout.print(f"{_shape_text(info['input_shape'], info['kind'])} → {_shape_text(info['output_shape'], info['kind'])} "
                 f"(×{info['scale']}, {tiling}, {info['device']})", markup=False)
    stdout.print(f"time {info['seconds']:.2f} s, peak RSS {info['peak_rss_mib']:.0f} MiB", markup=False)
