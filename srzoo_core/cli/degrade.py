"""``srzoo degrade SPEC IN OUT``: what a model trained with ``deg=`` sees. For every image (or
``.npy`` grid) in IN, ``--n`` LR samples made by the spec's ``deg=`` chain, each with a JSON file
beside it holding the parameters drawn for it.

Sample ``k`` of the ``i``-th input (inputs sorted by name) is drawn from
``srzoo_core.data.degradation.sample_generator(seed, i, k)``, so the same command writes the same
files. The HR is cropped at the bottom/right to a multiple of ``--scale`` first (the JSON says so).
With ``--n 1`` an LR keeps its image's name, so ``OUT`` pairs with ``IN`` (``--val-data IN,OUT``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from srzoo_core.cli.app import app
from srzoo_core.cli.output import stdout
from srzoo_core.errors import SrzooError, UsageError
from srzoo_core.files import write_text_atomic

EXAMPLE = 'srzoo degrade "deg=realesrgan" photo.png out/ --n 4'


def _inputs(source: Path) -> list[tuple[Path, Any]]:
    """(file, modality) for IN: one file, or the readable files directly inside a folder."""
    from srzoo_core.data.modality import modalities, modality_for_file

    if not source.exists():
        raise UsageError(f"input not found: {source}")
    files = sorted(p for p in source.iterdir() if p.is_file()) if source.is_dir() else [source]
    found = [(p, modality_for_file(p)) for p in files]
    readable = [(p, kind) for p, kind in found if kind is not None]
    known = "; ".join(f"{m.name}: {', '.join(m.suffixes)}" for m in modalities())
    if not source.is_dir() and not readable:
        raise UsageError(f"unsupported input file type {source.suffix.lower() or '(no extension)'!r}: {source}", hint=known)
    if not readable:
        raise UsageError(f"no images or grids in folder {source}", hint=known)
    stems = [p.stem for p, _ in readable]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        raise UsageError(f"{source} holds several files named {twice[0]!r} (other suffixes): their samples would overwrite each other",
                         hint="degrade them from separate folders")
    return readable


def _output_folder(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise UsageError(f"output {target} is a file, not a folder", hint="give a folder name, e.g. out/")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {target}: {exc.strerror or exc}") from None


def degrade_files(spec: str, source: Path, target: Path, *, n: int = 1, seed: int = 0, scale: int = 4) -> dict[str, Any]:
    """The command's work, callable from Python: returns the files written."""
    import torch

    from srzoo_core.build import build_degradations
    from srzoo_core.data.degradation import DegradationChain, sample_generator
    from srzoo_core.spec.resolve import resolve

    for name, value, least in (("--n", n, 1), ("--seed", seed, 0), ("--scale", scale, 1)):
        if value < least:
            raise UsageError(f"{name} must be at least {least}, not {value}")
    resolved = resolve(spec)
    terms = build_degradations(resolved)
    if not terms:
        raise UsageError("the spec has no deg=: nothing to degrade with", hint=f"e.g. {EXAMPLE}")
    chain = DegradationChain(terms, scale, resolved.parts()["deg"])
    inputs = _inputs(source)
    for _, kind in inputs:
        chain.check_modality(kind.name)
    _output_folder(target)
    written: list[str] = []
    for i, (path, kind) in enumerate(inputs):
        try:
            batch, layout = kind.to_batch(kind.read(path))
        except SrzooError:
            raise
        except Exception as exc:  # a broken or foreign file: one message, no traceback
            raise UsageError(f"cannot read {path}: {exc}") from None
        height, width = (batch.shape[-2] // scale) * scale, (batch.shape[-1] // scale) * scale
        if not height or not width:
            raise UsageError(f"{path} ({batch.shape[-2]}×{batch.shape[-1]}) is smaller than the scale {scale}")
        hr = torch.from_numpy(batch[..., :height, :width].copy())
        for k in range(n):
            generator = sample_generator(seed, i, k)
            made = [chain(sample, generator) for sample in hr]
            lr = torch.stack([m[0] for m in made]).numpy()
            stem = path.stem if n == 1 else f"{path.stem}_{k}"
            out = target / f"{stem}{kind.suffixes[0]}"
            kind.write(out, kind.from_batch(lr, layout))
            record = {"source": str(path), "deg": chain.spec, "scale": scale, "seed": seed, "input_index": i, "sample": k,
                      "generator": f"srzoo_core.data.degradation.sample_generator({seed}, {i}, {k})",
                      "hr_size": [height, width], "lr_size": list(lr.shape[-2:]),
                      **({"hr_cropped_from": list(batch.shape[-2:])} if (height, width) != tuple(batch.shape[-2:]) else {}),
                      "terms": made[0][1] if len(made) == 1 else [m[1] for m in made]}
            write_text_atomic(out.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
            written.append(str(out))
    return {"deg": chain.spec, "inputs": len(inputs), "samples": n, "files": written, "folder": str(target)}


@app.command()
def degrade(
    spec: str = typer.Argument(..., metavar="SPEC", help='A spec with deg=, e.g. "deg=realesrgan" or "deg=blur+bicubic".'),
    source: Path = typer.Argument(..., metavar="IN", help="An image (.png/.jpg/…) or .npy grid, or a folder of them."),
    target: Path = typer.Argument(..., metavar="OUT", help="Output folder (created): LR samples and a JSON of parameters beside each."),
    n: int = typer.Option(1, "--n", help="LR samples per input."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draws (sample k of input i: seed, i, k)."),
    scale: int = typer.Option(4, "--scale", help="Downscaling factor (as training's --scale)."),
) -> None:
    """Write degraded LR samples of images or grids, with the parameters drawn for each."""
    info = degrade_files(spec, source, target, n=n, seed=seed, scale=scale)
    stdout.print(f"wrote {len(info['files'])} LR sample(s) of {info['inputs']} input(s) by deg={info['deg']} (×{scale}, seed {seed}) "
                 f"to {info['folder']}, each with its drawn parameters in a .json beside it", markup=False)
