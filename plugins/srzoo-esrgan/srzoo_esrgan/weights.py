"""Published RRDBNet weights: read a file, detect its key layout, convert it to BasicSR's, load strictly.

Layouts understood:

* BasicSR / Real-ESRGAN (``conv_first``, ``body.N.rdb1.conv1``, ``conv_body``, ``conv_up1`` …),
  also inside the ``params_ema`` / ``params`` wrappers of BasicSR releases (``params_ema`` wins);
* the original ESRGAN repository's first layout, one ``nn.Sequential`` named ``model``
  (``RRDB_ESRGAN_x4.pth`` before 2019, and most community models of that era);
* the original ESRGAN repository's 2019 layout (``RRDB_trunk``, ``trunk_conv``, ``upconv1``, ``HRconv``).

:func:`detect_rrdbnet` is the generator's published-weights detector (``detect_weights``): it
recognises all three layouts and reads the rrdbnet options from the shapes.

A ``module.`` prefix left by ``DataParallel`` is dropped. Files are read with
``torch.load(..., weights_only=True)``: a pickle that would run code is refused, never executed.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from srzoo_core.errors import UsageError
from srzoo_core.weights import fits_layout, shape_of
from srzoo_esrgan.rrdbnet import UNSHUFFLE, rrdbnet

# The old ESRGAN model is B.sequential(fea_conv, ShortcutBlock(sequential(*RRDBs, LR_conv)), *upconv, HR_conv0, HR_conv1),
# flattened: 0 conv | 1 shortcut (sub.0 … sub.{n-1} RRDBs, sub.{n} conv) | 2 Upsample, 3 conv, 4 LeakyReLU |
# 5 Upsample, 6 conv, 7 LeakyReLU | 8 conv, 9 LeakyReLU | 10 conv. Only the ×4 model (two up stages) matches BasicSR's.
_OLD_TOP = {"0": "conv_first", "3": "conv_up1", "6": "conv_up2", "8": "conv_hr", "10": "conv_last"}
_OLD_RDB = re.compile(r"^model\.1\.sub\.(\d+)\.RDB([123])\.conv([1-5])\.0\.(weight|bias)$")
_OLD_TRUNK = re.compile(r"^model\.1\.sub\.(\d+)\.(weight|bias)$")
_OLD_TOP_KEY = re.compile(r"^model\.(\d+)\.(weight|bias)$")
_NEW_RENAMES = {"RRDB_trunk.": "body.", "trunk_conv.": "conv_body.", "upconv1.": "conv_up1.", "upconv2.": "conv_up2.", "HRconv.": "conv_hr."}


def convert_original_esrgan(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    """Keys of the original ESRGAN repository (either of its layouts) renamed to BasicSR's."""
    keys = list(state_dict)
    if any(k.startswith("RRDB_trunk.") for k in keys):
        out = {}
        for key, value in state_dict.items():
            for old, new in _NEW_RENAMES.items():
                if key.startswith(old):
                    key = new + key[len(old):]
                    break
            out[key.replace(".RDB", ".rdb")] = value
        return out
    # every top-level conv after the trunk but the last two (HR_conv0, HR_conv1) is an up-stage conv
    stages = len({m[1] for k in keys if (m := _OLD_TOP_KEY.match(k)) and m[1] != "0"}) - 2
    if stages != 2:
        raise ValueError(f"this original-ESRGAN model upsamples in {stages} stage(s) (×{2 ** stages}); only the ×4 layout "
                         "(two stages) maps onto BasicSR's RRDBNet, whose ×2 pixel-unshuffles its input instead")
    out, unknown, trunk = {}, [], set()
    for key, value in state_dict.items():
        if m := _OLD_RDB.match(key):
            out[f"body.{m[1]}.rdb{m[2]}.conv{m[3]}.{m[4]}"] = value
        elif m := _OLD_TRUNK.match(key):
            trunk.add(int(m[1]))
            out[f"conv_body.{m[2]}"] = value
        elif (m := _OLD_TOP_KEY.match(key)) and m[1] in _OLD_TOP:
            out[f"{_OLD_TOP[m[1]]}.{m[2]}"] = value
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(f"unexpected keys for the original ESRGAN layout: {', '.join(unknown[:5])}")
    blocks = {int(m[1]) for k in keys if (m := _OLD_RDB.match(k))}
    if len(trunk) != 1 or trunk != {max(blocks, default=-1) + 1}:
        raise ValueError(f"expected one trunk conv model.1.sub.<blocks> right after the RRDBs; found indexes {sorted(trunk)}")
    return out


def detect_layout(state_dict: Mapping[str, Any]) -> str:
    """``"basicsr"``, ``"esrgan"`` (original repository, either layout) or ``"unknown"``."""
    if "model.0.weight" in state_dict or any(k.startswith("RRDB_trunk.") for k in state_dict):
        return "esrgan"
    if "conv_first.weight" in state_dict and "conv_body.weight" in state_dict:
        return "basicsr"
    return "unknown"


def read_state_dict(path: str | Path) -> dict[str, Any]:
    """Tensors of a ``.pth``/``.pt``/``.safetensors`` file, unwrapped and without a ``module.`` prefix."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"weights file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            data: Any = load_file(str(path), device="cpu")
        except Exception as exc:  # safetensors raises its own SafetensorError on a bad header
            raise UsageError(f"cannot read weights file {path}: {type(exc).__name__}: {exc}") from None
    elif suffix in (".pth", ".pt"):
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"refused to load weights file {path}: it holds more than tensors (weights_only=True): {first}",
                             hint="only load weights from sources you trust; re-save them as a plain state dict or .safetensors") from None
        except Exception as exc:
            raise UsageError(f"cannot read weights file {path}: {type(exc).__name__}: {exc}") from None
    else:
        raise UsageError(f"weights file {path} must end in .pth, .pt or .safetensors")
    for wrapper in ("params_ema", "params"):
        if isinstance(data, Mapping) and isinstance(data.get(wrapper), Mapping):
            data = data[wrapper]
            break
    if not isinstance(data, Mapping) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise UsageError(f"weights file {path} holds no state dict of tensors (top-level keys: {_few([str(k) for k in data] if isinstance(data, Mapping) else [])})")
    return {k.removeprefix("module."): v for k, v in data.items()}


def _few(keys: list[str], n: int = 5) -> str:
    return (", ".join(keys[:n]) + (f", … ({len(keys)} in all)" if len(keys) > n else "")) if keys else "none"


def rrdbnet_options(state_dict: Mapping[str, Any]) -> dict[str, Any] | None:
    """The rrdbnet options a BasicSR-layout state dict was built with, read from its shapes; None
    when it lacks RRDBNet's keys. ``conv_first`` takes ``in_channels`` × 1, 4 or 16 channels for
    scale 4, 2 or 1; the input is taken to have as many channels as the output where that fits."""
    first, last, grow = (shape_of(state_dict, k) for k in ("conv_first.weight", "conv_last.weight", "body.0.rdb1.conv1.weight"))
    if first is None or last is None or grow is None or len(first) != 4 or len(last) != 4:
        return None
    scale = next((s for s, factor in sorted(UNSHUFFLE.items(), reverse=True) if first[1] == last[0] * factor ** 2), 4)
    blocks = len({k.split(".")[1] for k in state_dict if re.match(r"^body\.\d+\.rdb1\.conv1\.weight$", k)})
    return {"in_channels": first[1] // UNSHUFFLE[scale] ** 2, "out_channels": last[0], "scale": scale,
            "features": first[0], "blocks": blocks, "growth": grow[0]}


def detect_rrdbnet(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Published RRDBNet weights in any layout :func:`detect_layout` knows: ``(rrdbnet options,
    the state dict in BasicSR's layout)``, or None when the keys and shapes are not exactly those
    of an rrdbnet (checked against one built on the meta device, which allocates nothing)."""
    layout = detect_layout(state_dict)
    if layout == "unknown":
        return None
    state: Mapping[str, Any] = state_dict
    if layout == "esrgan":
        try:
            state = convert_original_esrgan(state_dict)
        except (ValueError, KeyError, TypeError):  # not a layout this converter maps
            return None
    options = rrdbnet_options(state)
    if options is None:
        return None
    return (options, dict(state)) if fits_layout(rrdbnet, options, state) else None


def _describe(state_dict: Mapping[str, Any], model: nn.Module) -> str:
    """What a BasicSR-layout state dict was built with, for the hint; its scale first when the model's differs."""
    options = rrdbnet_options(state_dict)
    if options is None:
        return ""
    scale, own = options["scale"], getattr(model, "scale", None)
    held = (f"the file holds a ×{scale} rrdbnet (features={options['features']}, blocks={options['blocks']}, "
            f"growth={options['growth']}, {options['in_channels']} input channel(s), "
            f"{state_dict['conv_first.weight'].shape[1]} into conv_first)")
    if own is not None and own != scale:
        held += f", not ×{own}: build it with scale {scale} (--scale {scale})"
    return held


def load_rrdbnet_weights(model: nn.Module, path: str | Path) -> nn.Module:
    """Load a published RRDBNet file into ``model`` with ``strict=True``; a UsageError names the file otherwise."""
    state = read_state_dict(path)
    layout = detect_layout(state)
    if layout == "esrgan":
        try:
            state = convert_original_esrgan(state)
        except ValueError as exc:
            raise UsageError(f"cannot convert weights file {path}: {exc}") from None
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or mismatched:
        problems = [f"{label}: {_few(items)}" for label, items in (("missing", missing), ("unexpected", unexpected),
                                                                   ("shape mismatch (file vs model)", mismatched[:3])) if items]
        raise UsageError(f"weights file {path} ({layout} layout) does not fit this rrdbnet: " + "; ".join(problems),
                         hint=(_describe(state, model) + "; " if _describe(state, model) else "") + "build rrdbnet with the options the weights were trained with, and no slot blocks")
    if not any(parameter.is_meta for parameter in model.parameters()):  # a sizing build on meta holds no values to set
        model.load_state_dict(state, strict=True)
    return model
