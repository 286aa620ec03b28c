"""Published RCAN weights: recognise a state dict by its keys and shapes.

``detect_rcan`` takes BasicSR's layout (``RCAN_BIX4-official``) and the original RCAN
repository's (``RCAN_BIX4.pt``: ``head.0``, ``body.G.body.B.body.{0,2}``,
``body.G.body.B.body.3.conv_du.{0,2}``, ``body.G.body.<blocks>``, ``body.<groups>``,
``tail.0.K``, ``tail.1``, ``sub_mean``/``add_mean``), renamed as BasicSR's conversion script does.
It returns ``(factory options, state dict)`` or None, and confirms a match by comparing every key
and shape with the model it would build (on the meta device, so nothing is allocated).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import torch

from srzoo_rcan.rcan import rcan

_BLOCK = r"^body\.(\d+)\.body\.(\d+)\.body"
_ORIGINAL = (
    (re.compile(r"^head\.0\.(weight|bias)$"), r"conv_first.\1"),
    (re.compile(_BLOCK + r"\.([02])\.(weight|bias)$"), r"body.\1.residual_group.\2.rcab.\3.\4"),
    (re.compile(_BLOCK + r"\.3\.conv_du\.0\.(weight|bias)$"), r"body.\1.residual_group.\2.rcab.3.attention.1.\3"),
    (re.compile(_BLOCK + r"\.3\.conv_du\.2\.(weight|bias)$"), r"body.\1.residual_group.\2.rcab.3.attention.3.\3"),
    (re.compile(r"^body\.(\d+)\.body\.\d+\.(weight|bias)$"), r"body.\1.conv.\2"),
    (re.compile(r"^body\.\d+\.(weight|bias)$"), r"conv_after_body.\1"),
    (re.compile(r"^tail\.0\.(\d+)\.(weight|bias)$"), r"upsample.\1.\2"),
    (re.compile(r"^tail\.1\.(weight|bias)$"), r"conv_last.\1"),
    (re.compile(r"^(sub|add)_mean\.(weight|bias)$"), None),  # constants in BasicSR
)
_MEAN_RED = 0.4488


def _rename(state: Mapping[str, Any]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for key, value in state.items():
        rule = next(((p, r) for p, r in _ORIGINAL if p.match(key)), None)
        if rule is None:
            return None
        if rule[1] is not None:
            new = rule[0].sub(rule[1], key)
            if new in out:  # two keys onto one: not this layout
                return None
            out[new] = value
    return out


def _fits(options: dict[str, Any], state: Mapping[str, Any]) -> bool:
    try:
        with torch.device("meta"):
            expected = rcan(**options).state_dict()
    except (ValueError, TypeError, RuntimeError):  # options no rcan can have
        return False
    return expected.keys() == state.keys() and all(
        isinstance(state[k], torch.Tensor) and state[k].shape == v.shape for k, v in expected.items())


def _shape(state: Mapping[str, Any], key: str) -> tuple[int, ...] | None:
    value = state.get(key)
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def _count(state: Mapping[str, Any], pattern: str) -> int:
    regex = re.compile(pattern)
    return len({m[1] for k in state if (m := regex.match(k))})


def detect_rcan(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    state: Mapping[str, Any] | None = state_dict
    extra: dict[str, Any] = {}
    if "head.0.weight" in state_dict and "tail.1.weight" in state_dict:
        state = _rename(state_dict)
        if state is None:
            return None
        bias = state_dict.get("sub_mean.bias")  # the original stores its mean shift as a conv: bias = -rgb_range × mean
        if isinstance(bias, torch.Tensor) and bias.shape == (3,) and round(-float(bias[0]) / _MEAN_RED, 3) != 255.0:
            extra["img_range"] = round(-float(bias[0]) / _MEAN_RED, 3)
    first, last, up = (_shape(state, k) for k in ("conv_first.weight", "conv_last.weight", "upsample.0.weight"))
    squeeze = _shape(state, "body.0.residual_group.0.rcab.3.attention.1.weight")
    if first is None or last is None or up is None or squeeze is None:
        return None
    features = first[0]
    scale = 3 if up[0] == 9 * features else 2 ** _count(state, r"^upsample\.(\d+)\.weight$")
    options = {"in_channels": first[1], "out_channels": last[0], "scale": scale, "features": features,
               "groups": _count(state, r"^body\.(\d+)\.conv\.weight$"),
               "blocks": _count(state, r"^body\.0\.residual_group\.(\d+)\.rcab\.0\.weight$"),
               "reduction": features // max(1, squeeze[0]), **extra}
    return (options, dict(state)) if _fits(options, state) else None
