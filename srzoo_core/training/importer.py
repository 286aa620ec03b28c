"""``srzoo import``: published weights (``.pth``/``.pt``/``.safetensors``) in, a self-contained srzoo
checkpoint out.

1. The file is read without running code: ``torch.load(weights_only=True)`` (a pickle that needs
   more than tensors is refused) or safetensors.
2. Wrappers are unwrapped: ``params_ema`` (preferred, as BasicSR releases), ``params``,
   ``state_dict``, ``model``, ``generator``, ``net_g``, ``g_ema``, nested too; a ``module.``
   (``DataParallel``) or ``_orig_mod.`` (``torch.compile``) prefix is dropped.
3. Every installed generator that declares a published-weights detector
   (``register(..., detect_weights=…)``, see :mod:`srzoo_core.interfaces`) is asked whether the
   tensors are its own; exactly one must claim them (``--arch NAME`` picks one).
4. The generator is built with the detected options, loads the tensors strictly, and is written
   as a model checkpoint: its ``gen=`` part printed by the canonical printer, modality ``photo``,
   channels ``R, G, B`` (or ``L``), the unit normaliser, step 0. It holds every tensor and never
   refers to the file again.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from pathlib import Path
from typing import Any, Mapping

import torch

from srzoo_core.errors import SrzooError, UsageError

SUFFIXES = (".pth", ".pt", ".safetensors")
WRAPPERS = ("params_ema", "params", "state_dict", "model", "generator", "net_g", "g_ema")
PREFIXES = ("module.", "_orig_mod.")
CONTEXT = ("in_channels", "out_channels", "scale")


def _few(keys: list[str], n: int = 5) -> str:
    return (", ".join(keys[:n]) + (f", … ({len(keys)} in all)" if len(keys) > n else "")) if keys else "none"


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a published weights file, unwrapped and without a ``module.`` prefix."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"weights file not found: {path}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"{path}: srzoo import reads {', '.join(SUFFIXES)} files, not {suffix or 'files without a suffix'}")
    if suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            data: Any = load_file(str(path), device="cpu")
        except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
            raise UsageError(f"cannot read {path} as safetensors: {exc}") from None
    else:
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            reason = _unpickler_reason(exc)
            if "global" not in reason.lower():  # not a refusal of code: bytes that are no PyTorch file
                raise UsageError(f"cannot read {path} as a PyTorch file: {reason}") from None
            raise UsageError(f"refused to load {path}: it holds more than tensors, and unpickling it could run code "
                             f"(torch.load weights_only=True: {reason})",
                             hint="only use files from sources you trust; re-save the weights as a plain state dict "
                                  "(torch.save(model.state_dict(), …)) or as .safetensors") from None
        except Exception as exc:  # noqa: BLE001 - a truncated zip, a foreign file
            raise UsageError(f"cannot read {path} as a PyTorch file: {type(exc).__name__}: {exc}") from None
    return unwrap(data, path)


def _unpickler_reason(exc: BaseException) -> str:
    """The line of torch's long weights-only message that says what was refused."""
    found = re.search(r"WeightsUnpickler error:\s*([^\n]+)", str(exc))
    if found:
        return found.group(1).split(". ")[0].strip()
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def unwrap(data: Any, path: Path | str = "the file") -> dict[str, torch.Tensor]:
    """The state dict inside training wrappers (``params_ema`` first), prefixes removed."""
    seen = []
    while isinstance(data, Mapping):
        wrapper = next((w for w in WRAPPERS if isinstance(data.get(w), Mapping)), None)
        if wrapper is None:
            break
        seen.append(wrapper)
        data = data[wrapper]
    if not isinstance(data, Mapping) or not data:
        raise UsageError(f"{path} holds no state dict of tensors")
    not_tensors = [str(k) for k, v in data.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        where = f" (inside {'/'.join(seen)})" if seen else ""
        raise UsageError(f"{path} holds more than a state dict of tensors{where}: {_few(not_tensors)} are not tensors",
                         hint=f"srzoo import unwraps {', '.join(WRAPPERS)}; save the generator's state dict alone")
    state = {str(k): v for k, v in data.items()}
    for prefix in PREFIXES:
        if all(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
    return state


def detect(state: dict[str, torch.Tensor], host: Any, arch: str = "auto", source: str = "the file") -> tuple[Any, dict, dict]:
    """``(component info, options, state dict)`` of the one generator whose detector claims ``state``."""
    detectors = [info for info in host.registry.list("gen") if info.detect_weights is not None]
    if arch != "auto":
        info = host.registry.find(arch, "gen")
        if info is None:
            close = host.registry.suggest(arch, "gen")
            raise UsageError(f"unknown generator {arch!r}", hint=(f"did you mean {close}? " if close else "")
                             + f"generators that detect weights: {', '.join(i.name for i in detectors) or 'none installed'}")
        if info.detect_weights is None:
            raise UsageError(f"generator {info.name!r} cannot read published weights (it declares no weights detector)",
                             hint=f"generators that can: {', '.join(i.name for i in detectors) or 'none installed'}")
        detectors = [info]
    found, failures = [], []
    for info in detectors:
        try:
            claimed = info.resolve_detector()(state)
        except SrzooError as error:
            failures.append(f"{info.name}: {error.message}")
            continue
        except Exception as exc:  # noqa: BLE001 - one broken detector must not stop the others
            failures.append(f"{info.name}: {type(exc).__name__}: {exc}")
            continue
        if claimed is not None:
            found.append((info, dict(claimed[0]), dict(claimed[1])))
    if len(found) == 1:
        return found[0]
    if found:
        names = [info.name for info, _, _ in found]
        raise UsageError(f"{source} fits several architectures: {', '.join(names)}",
                         hint="choose one with " + " or ".join(f"--arch {n}" for n in names))
    tried = ", ".join(info.name for info in detectors) or "none (no installed generator detects weights)"
    what = f"{source} is not {detectors[0].name} weights" if arch != "auto" and detectors else \
        f"{source} matches no installed architecture"
    problems = f"; detectors that failed: {'; '.join(failures)}" if failures else ""
    raise UsageError(f"{what} (tried: {tried}){problems}",
                     hint=f"its keys begin {_few(sorted(state))}; install the plugin of its architecture (srzoo list gen), "
                          "or check that the file holds a generator")


def _spec_text(name: str, options: dict[str, Any]) -> str:
    from srzoo_core.spec.printer import format_value

    def spell(value: Any) -> str:  # sequences (depths=(6, 6, 6, 6)) as the spec writes them: "6,6,6,6"
        return format_value(",".join(map(str, value)) if isinstance(value, (tuple, list)) else value)

    inner = ",".join(f"{k}={spell(v)}" for k, v in sorted(options.items()))
    return f"gen={name}" + (f"({inner})" if inner else "")


def build_description(resolved: Any, scale: int, channels: int, source: dict[str, Any], host: Any) -> Any:
    from srzoo_core.data import Normaliser
    from srzoo_core.training.description import Channel, RunDescription, describe_components
    from srzoo_core.training.rundir import environment

    names = ["L"] if channels == 1 else ["R", "G", "B"]
    return RunDescription(
        roles=resolved.parts(), components=describe_components(resolved), scale=scale,
        channels=[Channel(n) for n in names], modality="photo", data={"imported": source},
        normaliser=Normaliser.unit(channels).state_dict(), protocol={}, training={}, environment=environment(host),
    )


def import_weights(path: Path, arch: str = "auto", out: Path | None = None, host: Any = None, force: bool = False) -> dict[str, Any]:
    """Detect, build, load strictly and write the checkpoint; returns what happened."""
    from srzoo_core.build import build_generator
    from srzoo_core.data.modality import PHOTO
    from srzoo_core.registry import get_host
    from srzoo_core.spec.resolve import resolve
    from srzoo_core.training.checkpoint import save_model

    host = host or get_host()
    path = Path(path)
    out = Path(out) if out is not None else default_output(path)
    if out.resolve() == path.resolve():
        raise UsageError(f"--out {out} is the weights file itself", hint="write the checkpoint to another file")
    if out.suffix.lower() != ".safetensors":
        raise UsageError(f"--out {out}: srzoo checkpoints are .safetensors files")
    if out.exists() and not force:
        raise UsageError(f"{out} already exists", hint="pass --force to replace it, or --out another file")
    state = read_weights(path)
    info, options, state = detect(state, host, arch, str(path))
    context = {k: options.pop(k, None) for k in CONTEXT}
    channels, out_channels, scale = context["in_channels"], context["out_channels"], context["scale"]
    if not all(isinstance(v, int) and v >= 1 for v in (channels, out_channels, scale)):
        raise UsageError(f"the {info.name} detector did not say the file's channels and scale (got {context})",
                         hint=f"report this to {info.provider}")
    if channels != out_channels or channels not in (1, 3):
        raise UsageError(f"{path} maps {channels} channel(s) to {out_channels}; srzoo imports photo models with 1 (grey) "
                         "or 3 (RGB) channels in and out")
    spec = _spec_text(info.name, options)
    try:
        resolved = resolve(f"{spec} metric={PHOTO.default_metrics(scale, channels)}", host)
    except SrzooError:  # no metric plugin: the checkpoint is still complete without a metric= part
        resolved = resolve(spec, host)
    generator = build_generator(resolved, in_channels=channels, out_channels=channels, scale=scale)
    try:
        generator.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise UsageError(f"the {info.name} detector claimed {path} but its tensors do not load: {str(exc).splitlines()[0]}",
                         hint=f"report this to {info.provider}") from None
    source = {"file": path.name, "sha256": _sha256(path), "architecture": info.name, "detected": {**context, **options}}
    description = build_description(resolved, scale, channels, source, host)
    save_model(out, generator.state_dict(), {"run": description.to_dict(), "type": "model", "step": 0, "elapsed": 0, "ema": False})
    return {"checkpoint": out, "architecture": info.name, "provider": str(info.provider), "spec": description.role_spec("gen"),
            "scale": scale, "channels": description.channel_names, "tensors": len(state),
            "parameters": sum(p.numel() for p in generator.parameters())}


def default_output(path: Path) -> Path:
    """``x.pth`` → ``x.safetensors``; ``x.safetensors`` → ``x.srzoo.safetensors``."""
    return path.with_suffix(".srzoo.safetensors" if path.suffix.lower() == ".safetensors" else ".safetensors")


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
