"""``srzoo import FILE``: published weights (``.pth``/``.pt``/``.safetensors``) as an srzoo checkpoint.

    srzoo import RealESRGAN_x4plus.pth                    # → RealESRGAN_x4plus.safetensors
    srzoo import 001_MSRResNet_x4.pth --out msrresnet.safetensors
    srzoo upscale msrresnet.safetensors photo.png photo_x4.png

The architecture and its options are detected from the keys and shapes by every installed
generator's detector (:mod:`srzoo_core.training.importer`); the checkpoint holds every tensor and
works with ``upscale``, ``eval``, ``bench`` and ``train --init`` without the original file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from srzoo_core.cli.app import app
from srzoo_core.cli.output import print_json, stdout


@app.command("import")
def import_weights(
    weights: Path = typer.Argument(..., metavar="FILE", help="Published weights: .pth, .pt or .safetensors."),
    arch: str = typer.Option("auto", "--arch", help="auto (detect from keys and shapes) or a generator name (srzoo list gen)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Checkpoint to write (default: FILE with .safetensors)."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print what was imported as JSON."),
) -> None:
    """Turn published weights into a self-contained srzoo checkpoint (architecture detected)."""
    from srzoo_core.training.importer import import_weights as run_import

    info = run_import(weights, arch=arch, out=out, force=force)
    if as_json:
        print_json(info)
        return
    stdout.print(f"wrote {info['checkpoint']}", markup=False)
    stdout.print(f"{info['spec']} from {info['provider']}: ×{info['scale']}, channels {', '.join(info['channels'])}, "
                 f"{info['parameters']:,} parameters ({info['tensors']} tensors)", markup=False)
    stdout.print(f"use it: srzoo upscale {info['checkpoint']} IN OUT · srzoo bench {info['checkpoint']} DIR · "
                 f"srzoo train SPEC --init {info['checkpoint']}", markup=False)
