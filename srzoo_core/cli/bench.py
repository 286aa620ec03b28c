"""``srzoo bench``: score checkpoints and bicubic on folders of whole HR images, as papers do.

    srzoo bench bicubic datasets/Set5 datasets/Set14
    srzoo bench runs/<run>/best.safetensors datasets/Set5 --self-ensemble --metrics lpips+dists
    srzoo bench runs/<run>/best.safetensors builtin

Arguments are classified by what they are: ``bicubic`` (the baseline, always scored anyway), a
checkpoint file (a row of the table), a folder of HR images (a column pair of the table), or
``builtin``: the built-in data's held-out photographs (astronaut and coffee), whole. The
protocol is in :mod:`srzoo_core.experiments.bench` and docs/metrics.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from srzoo_core.cli.app import app
from srzoo_core.cli.output import print_json, stderr, stdout
from srzoo_core.errors import UsageError

BUILTIN = "builtin"  # the built-in data's held-out photos (srzoo_core.experiments.bench_images.load_builtin)


def _classify(targets: list[str]) -> tuple[list[Path], list[Path]]:
    """(checkpoints, folders) named on the command line, in order."""
    checkpoints: list[Path] = []
    folders: list[Path] = []
    for target in targets:
        path = Path(target)
        if target.lower() == "bicubic":
            continue
        if target.lower() == BUILTIN and not path.exists():
            folders.append(path)
        elif path.is_dir():
            folders.append(path)
        elif path.is_file():
            suffix = path.suffix.lower()
            if suffix in (".pth", ".pt") or (suffix == ".safetensors" and not _is_srzoo(path)):
                raise UsageError(f"{path} holds published weights, not an srzoo checkpoint",
                                 hint=f"turn it into one first: srzoo import {path}")
            if suffix != ".safetensors":
                raise UsageError(f"{path} is a file, not a checkpoint or a folder",
                                 hint="give folders of HR images (e.g. datasets/Set5) and checkpoints (.safetensors)")
            checkpoints.append(path)
        else:
            raise UsageError(f"{target} not found: give 'bicubic', checkpoint files and folders of HR images (or 'builtin')")
    if not folders:
        raise UsageError("no folder of HR images given", hint="e.g. srzoo bench bicubic datasets/Set5 datasets/Set14")
    return checkpoints, folders


def _is_builtin(path: Path) -> bool:
    return str(path).lower() == BUILTIN and not path.exists()


def _is_srzoo(path: Path) -> bool:
    from safetensors import safe_open

    from srzoo_core.training.checkpoint import META_KEY

    try:
        with safe_open(str(path), framework="pt") as handle:
            return META_KEY in (handle.metadata() or {})
    except Exception:  # noqa: BLE001 - unreadable files are reported by the checkpoint reader
        return True


def checkpoint_names(paths: list[Path]) -> list[str]:
    """Row names: the file's stem, with its run folder for best/last (``my-run/best``)."""
    names = [f"{p.parent.name}/{p.stem}" if p.stem in ("best", "last") and p.parent.name else p.stem for p in paths]
    return [f"{n} ({i + 1})" if names.count(n) > 1 else n for i, n in enumerate(names)]


def _check_options(tile: int, overlap: Optional[int], scale: Optional[int], folders: list[Path], lr: list[Path], device: str) -> None:
    if tile < 0 or (overlap is not None and overlap < 0):
        raise UsageError("--tile and --overlap must be >= 0 (--tile 0 = whole images)")
    if tile and overlap is not None and overlap >= tile:
        raise UsageError(f"--overlap ({overlap}) must be smaller than --tile ({tile})")
    if scale is not None and scale < 1:
        raise UsageError(f"--scale must be at least 1, not {scale}")
    if lr and len(lr) != len(folders):
        raise UsageError(f"{len(lr)} --lr folder(s) for {len(folders)} HR folder(s)",
                         hint="give one --lr per HR folder, in the same order")
    if device not in ("auto", "cpu", "cuda") and not device.startswith("cuda:"):
        raise UsageError(f"unknown device {device!r}", hint="use auto, cpu or cuda")


@app.command()
def bench(
    targets: List[str] = typer.Argument(..., metavar="[bicubic] [CKPT]... DIR...",
                                        help="'bicubic', model checkpoints (.safetensors) and folders of HR images."),
    scale: Optional[int] = typer.Option(None, "--scale", help="Upscaling factor (default: the checkpoints', else 4)."),
    lr: List[Path] = typer.Option([], "--lr", help="Paired LR folder, one per HR folder in order (instead of a degradation)."),
    degradation: str = typer.Option("bicubic", "--degradation", help="How LR is made: bicubic (MATLAB imresize) | bilinear | bilinear-noaa | area."),
    metrics: List[str] = typer.Option([], "--metrics", help="Extra metrics, e.g. lpips+dists (skipped with a note when their weights are missing)."),
    self_ensemble: bool = typer.Option(False, "--self-ensemble", help="Average the outputs of the 8 flips/rotations (EDSR, BasicSR)."),
    save_images: Optional[Path] = typer.Option(None, "--save-images", help="Write the SR images to DIR/<method>/<folder>/."),
    out: Path = typer.Option(Path("bench"), "--out", help="Folder for bench.json, per_image.csv and table.md."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    tile: int = typer.Option(0, "--tile", help="Tile size in LR pixels; 0 (default) runs whole images, as papers do."),
    overlap: Optional[int] = typer.Option(None, "--overlap", help="Tile overlap in LR pixels with --tile (default: from the "
                                                                 "generator's receptive field)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Score checkpoints and bicubic on folders of whole HR images (PSNR/SSIM on Y, crop = scale)."""
    from srzoo_core.data.resize import check_degradation
    from srzoo_core.experiments import bench as b
    from srzoo_core.experiments.bench_images import column_names, load_builtin, load_folder
    from srzoo_core.training.inference import resolve_device

    checkpoints, folder_paths = _classify(targets)
    _check_options(tile, overlap, scale, folder_paths, lr, device)
    check_degradation(degradation)
    torch_device = resolve_device(device)
    methods = [b.Method(b.BICUBIC)] + [b.load_method(p, n) for p, n in zip(checkpoints, checkpoint_names(checkpoints))]
    scale = b.check_scale(methods, scale)
    names = column_names(folder_paths)
    folders = [load_builtin(scale) if _is_builtin(p) else load_folder(p, n, scale, lr[i] if lr else None)
               for i, (p, n) in enumerate(zip(folder_paths, names))]
    extra, skipped = b.extra_metrics(metrics)
    settings = b.Settings(scale, degradation, self_ensemble, tile, overlap, str(torch_device), extra, skipped)
    result = _run(b, methods, folders, settings, save_images)
    files = b.write_outputs(result, out)
    if as_json:
        print_json(result.to_json())
        return
    _print_table(b, result, settings)
    for note in skipped:
        stderr.print(f"note: {note['metric']} skipped: {note['reason']}" + (f"\n  {note['hint']}" if note["hint"] else ""),
                     markup=False, highlight=False, soft_wrap=True)
    stdout.print(f"wrote {files['json']}, {files['csv']}, {files['table']}" + (f"; SR images in {save_images}" if save_images else ""),
                 markup=False)


def _run(b, methods, folders, settings, save_images):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = len(methods) * sum(len(f.images) for f in folders)
    columns = (TextColumn("bench"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task("", total=total)
        return b.run_bench(methods, folders, settings, save_images,
                           progress=lambda what: bar.update(task, advance=1, description=what))


def _print_table(b, result, settings) -> None:
    from rich.table import Table

    header, rows = b.table_rows(result)
    what = f"×{settings.scale}, whole images, PSNR/SSIM on Y with crop {settings.scale}, 8-bit outputs"
    if settings.self_ensemble:
        what += ", models with ×8 self-ensemble"
    stdout.print(what, markup=False)
    table = Table(show_edge=False, header_style="bold")
    for i, column in enumerate(header):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    stdout.print(table)
    counts = ", ".join(f"{f.name}: {len(f.images)} image{'s' if len(f.images) != 1 else ''}" for f in result.folders)
    stdout.print(counts, markup=False)
