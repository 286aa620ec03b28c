"""``srzoo upscale CKPT IN_DIR OUT_DIR`` (or a quoted glob, ``"photos/*.jpg"``): many files, one model load.

* A folder gives every file directly inside it that the checkpoint's modality reads (photos:
  .png .jpg .jpeg .bmp .tif .tiff; grids: .npy); other files are listed as skipped. A glob gives
  every file it matches (one of an unsupported type fails, named).
* Each output is ``OUT_DIR/<input file name>`` (OUT_DIR is created); two inputs with one name, or
  an output that would replace its input, are refused before anything runs.
* A file that fails (corrupt, wrong channels, unwritable) is reported with its reason and the rest
  go on. The exit code is 0 when every file was written, 1 when any failed (2 for a usage error
  before any file ran).
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from srzoo_core.errors import SrzooError, UsageError

GLOB_CHARACTERS = "*?["


def is_batch(source: Path) -> bool:
    """A folder, or a glob pattern that is not itself an existing file's name."""
    return source.is_dir() or (any(c in str(source) for c in GLOB_CHARACTERS) and not source.exists())


@dataclass
class BatchResult:
    written: list[dict[str, Any]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)     # (input, reason)
    skipped: list[str] = field(default_factory=list)                # folder files of another type


def collect(source: Path, kind: Any) -> tuple[list[Path], list[str]]:
    """(inputs, skipped file names) for a folder or a glob."""
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
        inputs, skipped = [p for p in files if kind.handles(p)], [p.name for p in files if not kind.handles(p)]
        if not inputs:
            raise UsageError(f"no {kind.name} files ({', '.join(kind.suffixes)}) in {source}"
                             + (f"; it holds {', '.join(skipped[:5])}" if skipped else ", an empty folder"))
        return inputs, skipped
    inputs = sorted(p for p in map(Path, glob.glob(str(source.expanduser()))) if p.is_file())
    if not inputs:
        raise UsageError(f"no file matches {source}", hint="quote the pattern so that srzoo expands it: \"photos/*.png\"")
    return inputs, []


def _check_out_dir(out_dir: Path) -> None:
    from srzoo_core.data.modality import modality_for_file

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"the output {out_dir} is a file; with a folder or glob as input, OUT must be a folder")
    if not out_dir.exists() and modality_for_file(out_dir) is not None:
        raise UsageError(f"the output {out_dir} looks like a file name; with a folder or glob as input, OUT must be a folder",
                         hint=f"give a folder, e.g. {out_dir.with_suffix('')}/")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {out_dir}: {exc.strerror or exc}") from None


def _targets(inputs: list[Path], out_dir: Path) -> list[Path]:
    targets = [out_dir / p.name for p in inputs]
    seen: dict[Path, Path] = {}
    for source, target in zip(inputs, targets):
        if target in seen:
            raise UsageError(f"{seen[target]} and {source} would both be written to {target}",
                             hint="upscale the folders separately, or rename one of the files")
        seen[target] = source
        if target.exists() and target.resolve() == source.resolve():
            raise UsageError(f"the output folder {out_dir} holds the inputs: {source} would be replaced by its upscaled copy",
                             hint="write to another folder")
    return targets


def _reason(error: BaseException) -> str:
    if isinstance(error, SrzooError):
        return error.message + (f" ({error.hint})" if error.hint else "")
    if isinstance(error, OSError):
        return f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
    return f"{type(error).__name__}: {error}"


def upscale_folder(checkpoint: Path, source: Path, out_dir: Path, *, tile: Any, overlap: Any, device: str,
                   progress: Callable[[str, int], None] | None = None, **inference: Any) -> BatchResult:
    """Upscale every input of ``source`` into ``out_dir``; per-file failures are collected, not raised.
    ``inference``: further options of :func:`~srzoo_core.training.inference.upscale_array`."""
    from srzoo_core.cli.upscale import DEVICES, _check_tiling, _modality_of, check_inference_options, check_modality, upscale_loaded
    from srzoo_core.data.modality import modality
    from srzoo_core.training.checkpoint import load_model
    from srzoo_core.training.inference import resolve_device

    if device not in DEVICES and not device.startswith("cuda:"):
        raise UsageError(f"unknown device {device!r}", hint="use " + ", ".join(DEVICES))
    _check_tiling(tile, overlap)
    torch_device = resolve_device(device)
    check_inference_options(inference.get("max_memory"), inference.get("precision", "auto"), torch_device)
    generator, description = load_model(checkpoint)
    kind = modality(description.modality)
    inputs, skipped = collect(source, kind)
    _check_out_dir(out_dir)
    targets = _targets(inputs, out_dir)
    result = BatchResult(skipped=skipped)
    for index, (path, target) in enumerate(zip(inputs, targets)):
        if progress is not None:
            progress(path.name, index)
        try:
            check_modality(checkpoint, description, _modality_of(path, "input"), path)
            result.written.append(upscale_loaded(generator, description, kind, path, target, tile=tile, overlap=overlap,
                                                 device=torch_device, **inference))
        except (SrzooError, ValueError, OSError, RuntimeError, MemoryError) as error:  # one bad file never stops the rest
            result.failed.append((str(path), _reason(error)))
    return result


def run_command(checkpoint: Path, source: Path, out_dir: Path, *, tile: Any, overlap: Any, device: str, **inference: Any) -> None:
    """The folder form of ``srzoo upscale``: a progress bar on stderr, a summary, exit code 1 if any file failed."""
    import typer
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from srzoo_core.cli.output import stderr, stdout

    columns = (TextColumn("upscale"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task("", total=None)

        def advance(name: str, index: int) -> None:
            bar.update(task, completed=index, description=name)

        result = upscale_folder(checkpoint, source, out_dir, tile=tile, overlap=overlap, device=device, progress=advance,
                                **inference)
    total = len(result.written) + len(result.failed)
    stdout.print(f"wrote {len(result.written)} of {total} file{'s' if total != 1 else ''} to {out_dir}", markup=False)
    if result.skipped:
        stdout.print(f"skipped {len(result.skipped)} file(s) of another type: {', '.join(result.skipped[:5])}"
                     + (" …" if len(result.skipped) > 5 else ""), markup=False)
    for path, reason in result.failed:
        stderr.print(f"failed: {path}: {reason}", markup=False, highlight=False, soft_wrap=True)
    if result.failed:
        stderr.print(f"error: {len(result.failed)} of {total} file(s) failed; the others were written", markup=False)
        raise typer.Exit(code=1)
