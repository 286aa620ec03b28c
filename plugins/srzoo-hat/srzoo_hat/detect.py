"""Recognise HAT weights in the official layout and infer the options that rebuild them.

From keys and shapes: ``embed_dim`` and ``in_channels`` from ``conv_first``, ``depths`` from the
block keys of each layer, ``num_heads`` and ``window_size`` from each block's
``relative_position_bias_table`` ((2·window − 1)² rows, a column per head), ``overlap_ratio``
from the OCAB's table ((window + overlap_window − 1)² rows), ``compress_ratio`` and
``squeeze_factor`` from the CAB convs (embed_dim // their widths), ``mlp_ratio`` from
``mlp.fc1``, ``resi_connection`` from ``layers.0.conv``, ``scale``, ``num_feat`` and
``out_channels`` from the pixel-shuffle head. ``conv_scale`` and ``img_range`` cannot be read
from a file (0.01 and 1 in every release).

The inferred model is built on the meta device and its keys and shapes compared with the file's;
anything else gives None. Files saved without the computed index buffers get them filled in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from srzoo_core.layers import relative_position_index
from srzoo_core.weights import layout_mismatch, model_layout
from srzoo_hat.hat import hat
from srzoo_hat.windows import overlap_attention_index

BLOCK = re.compile(r"^layers\.(\d+)\.residual_group\.blocks\.(\d+)\.norm1\.weight$")
INDEX_BUFFERS = ("relative_position_index_SA", "relative_position_index_OCA")


def _shape(state: Mapping[str, Any], key: str) -> tuple[int, ...]:
    return tuple(state[key].shape)


def _square_root(count: int) -> int:
    root = math.isqrt(count)
    if root * root != count:
        raise ValueError(f"{count} is not a square")
    return root


def _ratio(width: int, dim: int) -> int:
    """The integer r with dim // r == width (the model computes widths that way)."""
    ratio = dim // width
    if dim // ratio != width:
        raise ValueError(f"no ratio gives width {width} from {dim}")
    return ratio


def _fraction(part: int, whole: int) -> float:
    """A float r with int(whole · r) == part, as the model computes widths from ratios."""
    ratio = part / whole
    return ratio if int(whole * ratio) == part else (part + 0.5) / whole


def infer_options(state: Mapping[str, Any]) -> dict[str, Any]:
    """Factory options from keys and shapes; raises KeyError/ValueError when they do not fit."""
    embed_dim, in_channels = _shape(state, "conv_first.weight")[:2]
    blocks: dict[int, int] = {}
    for key in state:
        if match := BLOCK.match(key):
            blocks[int(match[1])] = max(blocks.get(int(match[1]), 0), int(match[2]) + 1)
    if not blocks or sorted(blocks) != list(range(len(blocks))):
        raise ValueError("no consecutive layers of hybrid attention blocks")
    depths = tuple(blocks[i] for i in range(len(blocks)))
    first = "layers.0.residual_group."
    tables = [_shape(state, f"layers.{i}.residual_group.blocks.0.attn.relative_position_bias_table") for i in range(len(depths))]
    side = _square_root(tables[0][0])
    if side % 2 == 0:
        raise ValueError("the self-attention table is not (2·window − 1)²")
    window = (side + 1) // 2
    overlap_window = _square_root(_shape(state, first + "overlap_attn.relative_position_bias_table")[0]) - window + 1
    num_feat = _shape(state, "conv_before_upsample.0.weight")[0]
    stages = sum(1 for k in state if re.fullmatch(r"upsample\.\d+\.weight", k))
    return {
        "in_channels": in_channels, "out_channels": _shape(state, "conv_last.weight")[0],
        "scale": 3 if stages == 1 and _shape(state, "upsample.0.weight")[0] == 9 * num_feat else 2 ** stages,
        "embed_dim": embed_dim, "depths": depths, "num_heads": tuple(t[1] for t in tables), "window_size": window,
        "compress_ratio": _ratio(_shape(state, first + "blocks.0.conv_block.cab.0.weight")[0], embed_dim),
        "squeeze_factor": _ratio(_shape(state, first + "blocks.0.conv_block.cab.3.attention.1.weight")[0], embed_dim),
        "overlap_ratio": _fraction(overlap_window - window, window),
        "mlp_ratio": _fraction(_shape(state, first + "blocks.0.mlp.fc1.weight")[0], embed_dim),
        "resi_connection": "1conv" if "layers.0.conv.weight" in state else "identity", "num_feat": num_feat,
    }


def detect_hat(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(options, state dict to load strictly) for HAT weights in the official layout, else None."""
    try:
        options = infer_options(state_dict)
        expected = model_layout(hat, options)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, RuntimeError, ZeroDivisionError):
        return None
    if layout_mismatch(expected, state_dict, optional=INDEX_BUFFERS) is not None:
        return None
    missing = expected.keys() - state_dict.keys()
    state = dict(state_dict)
    window, overlap = options["window_size"], options["overlap_ratio"]
    if INDEX_BUFFERS[0] in missing:
        state[INDEX_BUFFERS[0]] = relative_position_index(window)
    if INDEX_BUFFERS[1] in missing:
        state[INDEX_BUFFERS[1]] = overlap_attention_index(window, window + int(window * overlap))
    return options, state
