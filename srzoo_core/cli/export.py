"""``srzoo export CHECKPOINT OUT.onnx``: the checkpoint's generator as one ONNX file that any
ONNX runtime can use without srzoo (scale, channels and normalisation are in its metadata)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

import typer

from srzoo_core.cli.app import app
from srzoo_core.cli.output import stdout
from srzoo_core.errors import UsageError


def load_for_export(checkpoint: Path) -> tuple[Any, int, int, dict[str, str]]:
    """The one place this command reads a checkpoint: (generator, in_channels, scale, ONNX
    metadata as str → str). Swap this function when checkpoint loading changes."""
    from srzoo_core.training.checkpoint import load_model
    from srzoo_core.training.export import metadata_json

    generator, description = load_model(checkpoint)
    normaliser = dict(description.normaliser or {"kind": "unit"})
    if normaliser.get("kind") == "zscore":
        normaliser["apply"] = "lr = (x - mean[c]) / std[c] before the model; y = sr * std[c] + mean[c] after"
    else:
        normaliser["apply"] = "none: the model takes and returns the data as they are"
    metadata = {
        "spec": description.spec,
        "generator": description.role_spec("gen"),
        "modality": description.modality,
        "channel_names": metadata_json(description.channel_names),
        "channel_units": metadata_json(description.units),
        "normalisation": metadata_json(normaliser),
        "checkpoint": Path(checkpoint).name,
    }
    if description.modality == "photo":
        metadata["value_range"] = "[0, 1]"
    return generator, len(description.channels), int(description.scale), metadata


def _check_target(target: Path) -> None:
    if target.suffix.lower() != ".onnx":
        raise UsageError(f"the output {target} should end in .onnx", hint=f"e.g. {target.with_suffix('.onnx')}")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"cannot write {target}: folder {parent} does not exist", hint=f"create it first (mkdir -p {parent})")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {target}: permission denied")


def export_file(checkpoint: Path, target: Path, *, opset: int | None = None, check: bool = True) -> dict[str, Any]:
    """The command's work, callable from Python: returns what it printed as a dict."""
    from srzoo_core.training.export import export_onnx, require_packages, verify_onnx

    _check_target(target)
    require_packages(runtime=check)
    generator, channels, scale, metadata = load_for_export(checkpoint)
    export_onnx(generator, target, in_channels=channels, scale=scale, metadata=metadata, opset=opset)
    differences = verify_onnx(target, generator) if check else {}
    return {"output": str(target), "bytes": target.stat().st_size, "scale": scale, "channels": channels,
            "generator": metadata["generator"], "checked": {"x".join(map(str, k)): v for k, v in differences.items()}}


@app.command("export")
def export(
    checkpoint: Path = typer.Argument(..., metavar="CHECKPOINT", help="Model checkpoint (.safetensors) from a run folder."),
    target: Path = typer.Argument(..., metavar="OUT.onnx", help="The ONNX file to write."),
    opset: Optional[int] = typer.Option(None, "--opset", help="ai.onnx opset version (default: the exporter's)."),
    check: bool = typer.Option(True, "--check/--no-check", help="Compare the file with PyTorch in onnxruntime at three input sizes."),
) -> None:
    """Export a checkpoint's generator to ONNX (dynamic batch, height and width; float32)."""
    info = export_file(checkpoint, target, opset=opset, check=check)
    stdout.print(f"wrote {info['output']} ({info['bytes'] / 1e6:.1f} MB): {info['generator']}, ×{info['scale']}, "
                 f"{info['channels']} channel(s)", markup=False)
    if info["checked"]:
        worst = max(info["checked"].values())
        stdout.print(f"checked with onnxruntime at {', '.join(info['checked'])}: max |ONNX - PyTorch| = {worst:.2g}", markup=False)
