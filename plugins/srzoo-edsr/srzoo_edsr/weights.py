"""Published EDSR and MSRResNet weights: recognise a state dict by its keys and shapes.

``detect_edsr`` takes BasicSR's layout (``EDSR_Mx4_f64b16_DIV2K_official``, ``EDSR_Lx4_f256b32…``)
and the original EDSR-PyTorch layout (``head.0``, ``body.N.body.0``, ``tail.0.0``, ``tail.1``,
``sub_mean``/``add_mean``), renamed as BasicSR's conversion script does. ``detect_msrresnet``
takes BasicSR's ``MSRResNet`` layout. Each returns ``(factory options, state dict)`` or None, and
confirms a match by comparing every key and shape with the model it would build (on the meta
device, so nothing is allocated).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import torch

from srzoo_core.layers import DIV2K_RGB_MEAN
from srzoo_core.weights import count_indices, fits_layout, rename_keys, shape_of
from srzoo_edsr.edsr import edsr
from srzoo_edsr.msrresnet import msrresnet

# EDSR-PyTorch key -> BasicSR key; None drops the key (the mean shifts are constants in BasicSR)
_ORIGINAL_EDSR = (
    (re.compile(r"^head\.0\.(weight|bias)$"), r"conv_first.\1"),
    (re.compile(r"^body\.(\d+)\.body\.0\.(weight|bias)$"), r"body.\1.conv1.\2"),
    (re.compile(r"^body\.(\d+)\.body\.2\.(weight|bias)$"), r"body.\1.conv2.\2"),
    (re.compile(r"^body\.\d+\.(weight|bias)$"), r"conv_after_body.\1"),
    (re.compile(r"^tail\.0\.(\d+)\.(weight|bias)$"), r"upsample.\1.\2"),
    (re.compile(r"^tail\.1\.(weight|bias)$"), r"conv_last.\1"),
    (re.compile(r"^(sub|add)_mean\.(weight|bias)$"), None),
)


def _img_range(state: Mapping[str, Any]) -> float | None:
    """EDSR-PyTorch stores its mean shift as a conv whose bias is -rgb_range × mean."""
    bias = state.get("sub_mean.bias")
    if not isinstance(bias, torch.Tensor) or bias.shape != (3,):
        return None
    return round(-float(bias[0]) / DIV2K_RGB_MEAN[0], 3)


def detect_edsr(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    state: Mapping[str, Any] | None = state_dict
    options: dict[str, Any] = {}
    if "head.0.weight" in state_dict and "tail.1.weight" in state_dict:
        state = rename_keys(state_dict, _ORIGINAL_EDSR)
        if state is None:
            return None
        img_range = _img_range(state_dict)
        if img_range is not None and img_range != 255.0:
            options["img_range"] = img_range
    first, up, last = (shape_of(state, k) for k in ("conv_first.weight", "upsample.0.weight", "conv_last.weight"))
    if first is None or up is None or last is None or shape_of(state, "body.0.conv1.weight") is None:
        return None
    features, blocks = first[0], count_indices(state, r"^body\.(\d+)\.conv1\.weight$")
    if up[0] == 9 * features:
        scale = 3
    else:
        scale = 2 ** count_indices(state, r"^upsample\.(\d+)\.weight$")
    # res_scale is not in the weights: 0.1 is what the published large model (256 × 32) was trained with
    res_scale = 0.1 if (features, blocks) == (256, 32) else 1.0
    options = {"in_channels": first[1], "out_channels": last[0], "scale": scale, "features": features,
               "blocks": blocks, "res_scale": res_scale, **options}
    return (options, dict(state)) if fits_layout(edsr, options, state) else None


def detect_msrresnet(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    first, up1, last = (shape_of(state_dict, k) for k in ("conv_first.weight", "upconv1.weight", "conv_last.weight"))
    if first is None or up1 is None or last is None or "conv_hr.weight" not in state_dict:
        return None
    features = first[0]
    scale = 4 if "upconv2.weight" in state_dict else {4 * features: 2, 9 * features: 3}.get(up1[0])
    if scale is None:
        return None
    options = {"in_channels": first[1], "out_channels": last[0], "scale": scale, "features": features,
               "blocks": count_indices(state_dict, r"^body\.(\d+)\.conv1\.weight$")}
    return (options, dict(state_dict)) if fits_layout(msrresnet, options, state_dict) else None
