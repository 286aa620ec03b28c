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

from srzoo_core.layers import DIV2K_RGB_MEAN
from srzoo_core.weights import count_indices, fits_layout, rename_keys, shape_of
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


def detect_rcan(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    state: Mapping[str, Any] | None = state_dict
    extra: dict[str, Any] = {}
    if "head.0.weight" in state_dict and "tail.1.weight" in state_dict:
        state = rename_keys(state_dict, _ORIGINAL)
        if state is None:
            return None
        bias = state_dict.get("sub_mean.bias")  # the original stores its mean shift as a conv: bias = -rgb_range × mean
        if isinstance(bias, torch.Tensor) and bias.shape == (3,) and round(-float(bias[0]) / DIV2K_RGB_MEAN[0], 3) != 255.0:
            extra["img_range"] = round(-float(bias[0]) / DIV2K_RGB_MEAN[0], 3)
    first, last, up = (shape_of(state, k) for k in ("conv_first.weight", "conv_last.weight", "upsample.0.weight"))
    squeeze = shape_of(state, "body.0.residual_group.0.rcab.3.attention.1.weight")
    if first is None or last is None or up is None or squeeze is None:
        return None
    features = first[0]
    scale = 3 if up[0] == 9 * features else 2 ** count_indices(state, r"^upsample\.(\d+)\.weight$")
    options = {"in_channels": first[1], "out_channels": last[0], "scale": scale, "features": features,
               "groups": count_indices(state, r"^body\.(\d+)\.conv\.weight$"),
               "blocks": count_indices(state, r"^body\.0\.residual_group\.(\d+)\.rcab\.0\.weight$"),
               "reduction": features // max(1, squeeze[0]), **extra}
    return (options, dict(state)) if fits_layout(rcan, options, state) else None
