"""Recognise SwinIR weights in the official layout and infer the options that rebuild them.

Every option comes from keys and shapes: ``embed_dim`` and ``in_channels`` from ``conv_first``,
``depths`` from the block keys of each layer, ``num_heads`` and ``window_size`` from each
``relative_position_bias_table`` ((2·window − 1)² rows, one column per head), ``mlp_ratio`` from
``mlp.fc1``, ``resi_connection`` from ``layers.0.conv``, ``img_size`` from a stored ``attn_mask``
((img_size / window)² windows), the reconstruction, ``scale``, ``num_feat`` and ``out_channels``
from the head's keys. ``img_range`` (1 in every release) cannot be read from a file.

A ``pixelshuffledirect`` head stores scale² · out_channels filters: out_channels = in_channels
is preferred (as in the official code), else the largest scale that divides the count.
The inferred model is then built on the meta device and its keys and shapes compared with the
file's; anything else (another architecture, a denoising SwinIR without upsampler) gives None.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import torch

from srzoo_core.layers import relative_position_index, shift_mask
from srzoo_core.weights import layout_mismatch, model_layout
from srzoo_swinir.options import SCALES
from srzoo_swinir.swinir import swinir

BLOCK = re.compile(r"^layers\.(\d+)\.residual_group\.blocks\.(\d+)\.norm1\.weight$")
COMPUTED = (".attn.relative_position_index", ".attn_mask")  # buffers the official code computes
FIRST_BLOCK = "layers.0.residual_group.blocks.0."
BLOCK_KEYS = {f"{m}.{p}" for m in ("norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2") for p in ("weight", "bias")} | {
    "attn.relative_position_bias_table"}


def _shape(state: Mapping[str, Any], key: str) -> tuple[int, ...]:
    return tuple(state[key].shape)


def _odd_square_root(count: int) -> int:
    root = math.isqrt(count)
    if root * root != count or root % 2 == 0:
        raise ValueError(f"{count} is not the square of an odd number")
    return root


def _mlp_ratio(hidden: int, dim: int) -> float:
    """A ratio r with int(dim · r) == hidden, as the model computes the hidden width."""
    ratio = hidden / dim
    return ratio if int(dim * ratio) == hidden else (hidden + 0.5) / dim


def _head(state: Mapping[str, Any], in_channels: int) -> dict[str, Any]:
    if "conv_up1.weight" in state:
        scale = 4 if "conv_up2.weight" in state else 2
        return {"upsampling": "nearest_conv", "scale": scale, "num_feat": _shape(state, "conv_before_upsample.0.weight")[0],
                "out_channels": _shape(state, "conv_last.weight")[0]}
    if "conv_before_upsample.0.weight" in state:
        num_feat = _shape(state, "conv_before_upsample.0.weight")[0]
        stages = sum(1 for k in state if re.fullmatch(r"upsample\.\d+\.weight", k))
        scale = 3 if stages == 1 and _shape(state, "upsample.0.weight")[0] == 9 * num_feat else 2 ** stages
        return {"upsampling": "pixelshuffle", "scale": scale, "num_feat": num_feat, "out_channels": _shape(state, "conv_last.weight")[0]}
    filters = _shape(state, "upsample.0.weight")[0]
    if "conv_last.weight" in state or "upsample.2.weight" in state:
        raise ValueError("not a SwinIR reconstruction")
    root = math.isqrt(filters // in_channels)
    if filters % in_channels == 0 and root * root * in_channels == filters and root in SCALES["pixelshuffledirect"]:
        scale = root
    else:
        scale = next(s for s in sorted(SCALES["pixelshuffledirect"], reverse=True) if filters % (s * s) == 0)
    return {"upsampling": "pixelshuffledirect", "scale": scale, "num_feat": 64, "out_channels": filters // (scale * scale)}


def infer_options(state: Mapping[str, Any]) -> dict[str, Any]:
    """Factory options from keys and shapes; raises KeyError/ValueError when they do not fit."""
    first_block = {k[len(FIRST_BLOCK):] for k in state if k.startswith(FIRST_BLOCK)} - {"attn.relative_position_index"}
    if first_block != BLOCK_KEYS:  # cheap test before the full comparison: another transformer's block
        raise ValueError("not a Swin transformer block of SwinIR")
    embed_dim, in_channels = _shape(state, "conv_first.weight")[:2]
    blocks: dict[int, int] = {}
    for key in state:
        if match := BLOCK.match(key):
            layer, block = int(match[1]), int(match[2])
            blocks[layer] = max(blocks.get(layer, 0), block + 1)
    if not blocks or sorted(blocks) != list(range(len(blocks))):
        raise ValueError("no consecutive layers of Swin blocks")
    depths = tuple(blocks[i] for i in range(len(blocks)))
    tables = [_shape(state, f"layers.{i}.residual_group.blocks.0.attn.relative_position_bias_table") for i in range(len(depths))]
    window = (_odd_square_root(tables[0][0]) + 1) // 2
    hidden = _shape(state, "layers.0.residual_group.blocks.0.mlp.fc1.weight")[0]
    masks = [_shape(state, k) for k in state if k.endswith(".attn_mask")]
    img_size = math.isqrt(masks[0][0]) * window if masks else 64
    return {"in_channels": in_channels, **_head(state, in_channels), "embed_dim": embed_dim, "depths": depths,
            "num_heads": tuple(t[1] for t in tables), "window_size": window, "mlp_ratio": _mlp_ratio(hidden, embed_dim),
            "resi_connection": "3conv" if "layers.0.conv.0.weight" in state else "1conv", "img_size": img_size}


def _computed_buffer(key: str, options: dict[str, Any]) -> torch.Tensor:
    window, img_size = options["window_size"], options["img_size"]
    if key.endswith(".attn_mask"):
        return shift_mask(img_size, img_size, window, window // 2)
    return relative_position_index(window)


def detect_swinir(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(options, state dict to load strictly) for SwinIR weights in the official layout, else None.
    Files saved without the computed buffers (``relative_position_index``, ``attn_mask``) get them
    filled in."""
    try:
        options = infer_options(state_dict)
        expected = model_layout(swinir, options)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, StopIteration, RuntimeError, ZeroDivisionError):
        return None
    if layout_mismatch(expected, state_dict, optional=COMPUTED) is not None:
        return None
    state = dict(state_dict)
    state.update({k: _computed_buffer(k, options) for k in expected.keys() - state_dict.keys()})
    return options, state
