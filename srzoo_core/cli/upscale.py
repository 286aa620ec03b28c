"""``srzoo upscale CKPT IN OUT``: upscale a photo (PNG, JPEG, BMP, TIFF) or a ``.npy`` grid with a checkpoint.

Photos (``.png``, ``.jpg``, ``.jpeg``, ``.bmp``, ``.tif``, ``.tiff``; 8-bit output) go with checkpoints trained on photos, ``.npy`` arrays
shaped (C, H, W) or (N, C, H, W) in physical units with checkpoints trained on grids. Inputs
run whole when they fit ``--max-memory`` (default: half the memory available now), else in the
fewest tiles that fit (``--tile N`` forces tiles of N LR pixels, ``--tile 0`` runs untiled;
``--precision`` picks fp32/bf16/fp16): see docs/inference.md.

Photos keep their form: an alpha channel is upscaled separately by bicubic and written back; a
grey photo given to an RGB model is replicated to RGB and written back grey (BT.601 luma of the
output) — see :mod:`srzoo_core.data.photo_files`. ``IN`` may be a folder or a quoted glob, with
``OUT`` a folder: see :mod:`srzoo_core.cli.upscale_folder` (exit code 1 when any file failed).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path
from typing import Any, Optional

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
    _check_writable(path, kind.suffixes[0])


def _check_writable(path: Path, suffix: str) -> None:
    if path.is_dir() and path.suffix.lower() != ".zarr":  # a zarr store is a folder
        raise UsageError(f"output {path} is a folder", hint=f"give a file name, e.g. out/upscaled{suffix}")
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


def _check_tiling(tile: int | None, overlap: int | None) -> None:
    if tile is not None and tile < 0:
        raise UsageError(f"--tile must be >= 0 (0 = untiled), got {tile}")
    if overlap is not None and overlap < 0:
        raise UsageError(f"--overlap must be >= 0, got {overlap}")
    if tile and overlap is not None and overlap >= tile:
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


def upscale_file(checkpoint: Path, source: Path, target: Path, *, tile: int | None = DEFAULT_TILE, overlap: int | None = None,
                 device: str = "auto", max_memory: str | int | None = None, precision: str = "auto") -> dict[str, Any]:
    """The command's work, callable from Python: returns what it printed as a dict."""
    from srzoo_core.training.checkpoint import load_model
    from srzoo_core.training.inference import resolve_device

    if device not in DEVICES and not device.startswith("cuda:"):
        raise UsageError(f"unknown device {device!r}", hint="use " + ", ".join(DEVICES))
    _check_tiling(tile, overlap)
    torch_device = resolve_device(device)
    check_inference_options(max_memory, precision, torch_device)
    files = source_files(source)
    if files is not None:
        return _upscale_with_source(files, checkpoint, source, target, tile=tile, overlap=overlap, device=torch_device,
                                    max_memory=max_memory, precision=precision)
    kind = _check_input(source)
    _check_output(target, kind)
    generator, description = load_model(checkpoint)
    check_modality(checkpoint, description, kind, source)
    plan: dict[str, Any] = {}
    done = upscale_loaded(generator, description, kind, source, target, tile=tile, overlap=overlap, device=torch_device,
                          max_memory=max_memory, precision=precision, info=plan)
    return {**done, "plan": plan.get("plan", ""), "precision": plan.get("precision", precision)}


def check_inference_options(max_memory: str | int | None, precision: str, device: Any) -> None:
    """``--max-memory`` and ``--precision``, checked before the checkpoint is loaded."""
    from srzoo_core.training.inference import resolve_precision
    from srzoo_core.training.tiling import parse_memory

    if max_memory is not None:
        parse_memory(max_memory)
    resolve_precision(precision, device)


def check_modality(checkpoint: Path, description: Any, kind: Any, source: Path) -> None:
    from srzoo_core.data.modality import modality

    model_kind = modality(description.modality)
    if model_kind is not kind:
        names = ", ".join(c.label() for c in description.channels)
        raise UsageError(f"{checkpoint} was trained on {model_kind.name} data ({len(description.channels)} channels: {names}) "
                         f"but {source} is a {kind.name} file", hint=f"pass {model_kind.description}: {', '.join(model_kind.suffixes)}")


def upscale_loaded(generator: Any, description: Any, kind: Any, source: Path, target: Path, *, tile: Any, overlap: Any,
                   device: Any, **inference: Any) -> dict[str, Any]:
    """One file with an already loaded checkpoint: read, fit to the model's channels (photos: alpha
    set aside and upscaled by bicubic, grey replicated for an RGB model), upscale, restore, write.
    ``inference``: further options of :func:`~srzoo_core.training.inference.upscale_array`."""
    from srzoo_core.training.inference import upscale_array

    array = _read(source, kind)
    model_array, kept = kind.fit_channels(array, len(description.channels))
    start = time.perf_counter()
    result = upscale_array(generator, description, model_array, tile=tile, overlap=overlap, device=device, **inference)
    seconds = time.perf_counter() - start
    result = kind.restore(result, kept, description.scale)
    _write(target, kind, result)
    return {
        "output": str(target), "input_shape": tuple(array.shape), "output_shape": tuple(result.shape), "kind": kind.name,
        "scale": description.scale, "device": str(device), "tile": tile, "overlap": overlap,
        "seconds": seconds, "peak_rss_mib": peak_rss_mib(),
    }


def source_files(path: Path) -> Any | None:
    """The registered data source (plugins' first) that reads ``path`` for upscale through the
    optional ``read_for_upscale``/``write_upscaled`` (netCDF, zarr: coordinates kept), or None."""
    from srzoo_core.registry import get_host

    for info in sorted(get_host().registry.list("datasource"), key=lambda i: (i.provider.dist == "srzoo", i.name)):
        reader = info.resolve()()
        if callable(getattr(reader, "read_for_upscale", None)) and reader.accepts(str(path)):
            return reader
    return None


def _upscale_with_source(files: Any, checkpoint: Path, source: Path, target: Path, *, tile: int, overlap: int,
                         device: Any, **inference: Any) -> dict[str, Any]:
    """The data source reads the input and writes the output (coordinates, attributes, masks kept)."""
    from srzoo_core.training.checkpoint import load_model
    from srzoo_core.training.inference import upscale_array

    _check_writable(target, source.suffix)
    generator, description = load_model(checkpoint)
    try:
        array, context = files.read_for_upscale(str(source), description)
        start = time.perf_counter()
        result = upscale_array(generator, description, array, tile=tile, overlap=overlap, device=device, **inference)
        seconds = time.perf_counter() - start
        files.write_upscaled(str(target), result, context, description)
    except ValueError as exc:
        raise UsageError(f"cannot upscale {source} into {target}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}", hint="the previous file, if any, is unchanged") from None
    return {"output": str(target), "input_shape": tuple(array.shape), "output_shape": tuple(result.shape), "kind": description.modality,
            "scale": description.scale, "device": str(device), "tile": tile, "overlap": overlap,
            "seconds": seconds, "peak_rss_mib": peak_rss_mib()}


@app.command()
def upscale(
    checkpoint: Path = typer.Argument(..., metavar="CKPT", help="Model checkpoint (.safetensors) from a run directory."),
    source: Path = typer.Argument(..., metavar="IN", help="Photo (.png/.jpg/.bmp/.tif) or grid (.npy, (C,H,W) or (N,C,H,W)); or a folder or a quoted glob of them."),
    target: Path = typer.Argument(..., metavar="OUT", help="Output file: an image for photos, .npy for grids; a folder when IN is a folder or glob."),
    tile: Optional[int] = typer.Option(DEFAULT_TILE, "--tile", help="Force tiles of at most N input (LR) pixels; 0 = untiled. "
                                       "Default: sized by --max-memory (untiled when the input fits)."),
    overlap: Optional[int] = typer.Option(None, "--overlap", help="Overlap between tiles in LR pixels. Default: 4 × the model's "
                                          f"receptive-field radius, 8–64 ({DEFAULT_OVERLAP} if undeclared); see docs/inference.md."),
    max_memory: Optional[str] = typer.Option(None, "--max-memory", metavar="SIZE", help="Memory budget, e.g. 2GiB or 512MiB: "
                                             "sets the tile size. Default: half of the memory available now."),
    precision: str = typer.Option("auto", "--precision", help="fp32, bf16 (autocast), fp16 (CUDA) or auto: the measured "
                                  "default, bf16 on the CPU for photos (< 0.01 dB PSNR cost), fp32 for grids and on CUDA; see docs/inference.md."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    max_pixels: Optional[int] = typer.Option(None, "--max-pixels", help="Refuse images larger than this many pixels "
                                             "(width × height) before decoding them; default 100 million (or SRZOO_MAX_PIXELS)."),
) -> None:
    """Upscale a photo or a grid (or a folder or glob of them) with a trained checkpoint, tile by tile."""
    from srzoo_core.data.images import pixel_limit

    with pixel_limit(max_pixels):
        _upscale(checkpoint, source, target, tile, overlap, max_memory, precision, device)


def _upscale(checkpoint: Path, source: Path, target: Path, tile: Optional[int], overlap: Optional[int],
             max_memory: Optional[str], precision: str, device: str) -> None:
    from srzoo_core.cli.upscale_folder import is_batch, run_command
    from srzoo_core.data.modality import modality

    if is_batch(source):  # a folder or a glob: every file, one model load, per-file errors reported
        run_command(checkpoint, source, target, tile=tile, overlap=overlap, device=device, max_memory=max_memory, precision=precision)
        return
    info = upscale_file(checkpoint, source, target, tile=tile, overlap=overlap, device=device, max_memory=max_memory,
                        precision=precision)
    tiling = f"{info['plan']}, {info['precision']}" if info.get("plan") else (f"tile {tile}" if tile else "untiled")
    stdout.print(f"wrote {info['output']}", markup=False)
    kind = modality(info["kind"])
    stdout.print(f"{kind.describe_shape(info['input_shape'])} → {kind.describe_shape(info['output_shape'])} "
                 f"(×{info['scale']}, {tiling}, {info['device']})", markup=False)
    stdout.print(f"time {info['seconds']:.2f} s, peak RSS {info['peak_rss_mib']:.0f} MiB", markup=False)
