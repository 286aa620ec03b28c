"""Checkpoints: safetensors files with srzoo's JSON metadata and a SHA-256 checksum of the metadata
and every tensor in the header, written atomically: a checkpoint is complete or absent, and a
truncated or bit-flipped one is refused by name.

Two kinds of file live in a run directory:
- model files (``best.safetensors``, ``last.safetensors``): the generator weights used for
  evaluation (the EMA copy when EMA is on) under ``gen.``, and metadata — canonical spec, scale,
  channels, normalisation, metric protocol, data description, step, plugin versions — enough to
  rebuild and use the model with no config file;
- the resume file (``last.resume.safetensors``): every piece of training state — raw and EMA
  generator, discriminator, optimizers, step, elapsed time, RNG states — so ``--resume`` continues
  exactly.

Nested state (optimizer state dicts, RNG states) is split into tensors and a JSON skeleton whose
leaves point at tensor keys; nothing is ever unpickled.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from srzoo_core.errors import UsageError
from srzoo_core.files import atomic_path

META_KEY = "srzoo"
CHECKSUM_KEY = "srzoo_sha256"  # over the metadata and every tensor: a flipped byte anywhere is caught
FORMAT_VERSION = 2  # 2: with CHECKSUM_KEY (format 1 files, written before checksums, still load)
_TENSOR = "__tensor__"
INITIAL_WEIGHTS_OPTION = "weights"  # a generator option naming a weights file read at build time, never on reload
_PICKLE_MAGIC = (b"PK\x03\x04", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")  # torch.save: zip or bare pickle


class CheckpointError(UsageError):
    """A checkpoint that is missing, truncated, corrupted or not srzoo's."""


def split_state(obj: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """Move every tensor in a nested structure into ``tensors``; return the JSON-able skeleton."""
    if isinstance(obj, torch.Tensor):
        key = prefix
        tensors[key] = obj.detach().to("cpu").clone().contiguous()
        return {_TENSOR: key}
    if isinstance(obj, dict):
        return {"__dict__": [[_json_key(k), split_state(v, f"{prefix}.{k}", tensors)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [split_state(v, f"{prefix}.{i}", tensors) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store {type(obj).__name__} at {prefix} in a checkpoint")


def join_state(skeleton: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(skeleton, dict):
        if _TENSOR in skeleton:
            return tensors[skeleton[_TENSOR]]
        if "__dict__" in skeleton:
            return {_from_json_key(k): join_state(v, tensors) for k, v in skeleton["__dict__"]}
        if "__tuple__" in skeleton:
            return tuple(join_state(v, tensors) for v in skeleton["__tuple__"])
    if isinstance(skeleton, list):
        return [join_state(v, tensors) for v in skeleton]
    return skeleton


def _json_key(key: Any) -> Any:
    # Optimizer state dicts key their state by int parameter index; keep the type.
    return {"int": key} if isinstance(key, int) else key


def _from_json_key(key: Any) -> Any:
    return key["int"] if isinstance(key, dict) else key


def checksum(metadata_text: str, tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 of the metadata text and of every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256(metadata_text.encode())
    for key in sorted(tensors):
        tensor = tensors[key].detach().to("cpu").contiguous()
        digest.update(f"\0{key}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().data)
    return digest.hexdigest()


def write_atomic(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, Any]) -> None:
    """Write through :func:`srzoo_core.files.atomic_path`: a reader sees the old file or the new
    one, never half of one. A failed write (a full disk) raises an OSError naming ``path`` and
    leaves the old file as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    text = json.dumps({"format": FORMAT_VERSION, **metadata}, default=str)
    header = {META_KEY: text, CHECKSUM_KEY: checksum(text, tensors)}
    with atomic_path(path) as tmp:
        try:
            save_file(tensors, str(tmp), metadata=header)
        except (OSError, SafetensorError) as exc:
            raise _write_error(exc) from exc


def _write_error(exc: BaseException) -> OSError:
    """An OSError saying a checkpoint could not be written; safetensors reports I/O failures as SafetensorError."""
    if isinstance(exc, OSError):
        code, reason = exc.errno, exc.strerror or str(exc)
    else:
        found = re.search(r"os error (\d+)", str(exc))
        code = int(found.group(1)) if found else errno.EIO
        reason = os.strerror(code) if found else str(exc)
    return OSError(code, f"cannot write checkpoint: {reason}")


def read(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and metadata of an srzoo checkpoint; a clear error for anything else. Nothing is
    ever unpickled: a PyTorch pickle (``.pth``/``.pt``) is refused, not loaded."""
    path = Path(path)
    retry = "use another checkpoint, e.g. best.safetensors, or retrain"
    if path.is_dir():
        inside = [path / name for name in ("best.safetensors", "last.safetensors") if (path / name).is_file()]
        raise CheckpointError(f"{path} is a folder, not a checkpoint file",
                              hint=f"did you mean {inside[0]}?" if inside else "pass a .safetensors file from a run folder "
                                                                              "(e.g. runs/<name>/best.safetensors)")
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}", hint="pass a .safetensors file from a run directory (e.g. runs/<name>/best.safetensors)")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            header = handle.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        if _is_pickle(path):
            raise CheckpointError(
                f"{path} is a PyTorch pickle file (torch.save), not an srzoo checkpoint; srzoo never unpickles files, "
                "since unpickling can run any code",
                hint="pass a .safetensors checkpoint from a run folder (runs/<name>/best.safetensors); legacy weights load "
                     "through a generator's weights= parameter where it has one (e.g. rrdbnet)") from None
        raise CheckpointError(f"checkpoint {path} is truncated or corrupted ({exc})", hint=retry) from None
    if META_KEY not in header:
        raise CheckpointError(f"{path} is a safetensors file but not an srzoo checkpoint (no '{META_KEY}' metadata)")
    if CHECKSUM_KEY in header and header[CHECKSUM_KEY] != checksum(header[META_KEY], tensors):
        raise CheckpointError(f"checkpoint {path} is corrupted: its contents do not match the checksum written with it", hint=retry)
    try:
        metadata = json.loads(header[META_KEY])
    except json.JSONDecodeError:
        raise CheckpointError(f"checkpoint {path} has corrupted metadata") from None
    if CHECKSUM_KEY not in header and (not isinstance(metadata, dict) or metadata.get("format", 1) != 1):
        raise CheckpointError(f"checkpoint {path} is corrupted: the checksum written with it is missing", hint=retry)
    return tensors, metadata


def _is_pickle(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            start = handle.read(4)
    except OSError:
        return False
    return start.startswith(_PICKLE_MAGIC)


def prefixed(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    start = prefix + "."
    return {k[len(start):]: v for k, v in tensors.items() if k.startswith(start)}


def with_prefix(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v.detach().to("cpu").contiguous() for k, v in state.items()}


def save_model(path: Path, generator_state: dict[str, torch.Tensor], metadata: dict[str, Any]) -> None:
    write_atomic(path, with_prefix(generator_state, "gen"), {"type": "model", **metadata})


def load_model(path: Path, host: Any = None) -> tuple[torch.nn.Module, Any]:
    """Rebuild the generator of a model checkpoint from its run description and load its weights.
    Only the generator's components are needed: losses, metrics and the discriminator may be gone."""
    from srzoo_core.training.description import RunDescription

    tensors, metadata = read(path)
    if metadata.get("type") not in ("model", "resume"):
        raise CheckpointError(f"{path} is not a model checkpoint")
    description = RunDescription.from_metadata(metadata, str(path))
    generator = build_checkpoint_generator(description, host, path)
    key = "gen" if metadata.get("type") == "model" else "ema"
    state = prefixed(tensors, key) or prefixed(tensors, "gen_raw")
    try:
        generator.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"weights in {path} do not fit {description.role_spec('gen')!r}: {str(exc).splitlines()[0]}") from None
    generator.eval()
    return generator, description


def build_checkpoint_generator(description: Any, host: Any, path: Path | str) -> torch.nn.Module:
    """The generator a description names, built from its ``gen=`` part alone; a missing plugin is
    named with the distribution and version the checkpoint recorded."""
    from srzoo_core.build import build_generator
    from srzoo_core.errors import SpecError
    from srzoo_core.registry import get_host
    from srzoo_core.registry.catalogue import install_hint
    from srzoo_core.spec.resolve import resolve

    from srzoo_core.spec import parse

    host = host or get_host()
    recorded = {}
    for record in description.generator_components():
        if not any(c.provider.plugin == record.plugin for c in host.registry.candidates(record.name, record.kind)):
            noun = "generator" if record.kind == "gen" else record.kind
            raise CheckpointError(f"{path} needs {noun} {record.name!r} from {record.dist} {record.version} "
                                  f"(plugin {record.plugin!r}), which is not installed", hint=install_hint(record.dist))
        recorded[record.name] = record.plugin
    spec = parse(description.role_spec("gen"))
    for term in spec.roles["gen"].terms:  # the plugins it was trained with, even if another now shares a name
        term.scope = term.scope or recorded.get(term.name)
    try:
        resolved = resolve(spec, host)
    except SpecError as exc:
        raise CheckpointError(f"{path} cannot be rebuilt: {exc.message}", hint=exc.hint) from None
    # A generator option ``weights`` names a file of initial weights (rrdbnet's published .pth):
    # the checkpoint holds every tensor, so that file is never needed again (it may be gone).
    for term in (resolved.gen, *resolved.gen_blocks):
        if term is not None:
            term.params.pop(INITIAL_WEIGHTS_OPTION, None)
    channels = len(description.channels)
    from srzoo_core.data import Normaliser  # a constraint in physical units (conserve(mode=mult)) needs the run's

    normaliser = Normaliser.from_state(description.normaliser) if description.normaliser else None
    return build_generator(resolved, in_channels=channels, out_channels=channels, scale=description.scale, normaliser=normaliser)
