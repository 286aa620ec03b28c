"""Recognise published SPAN weights (official, traiNNer-redux, spandrel) from keys and shapes.

Every layout holds the Conv3XC training branches *and* the fused ``eval_conv``; the file loads as
it is. ``no_norm`` (traiNNer-redux) means ``norm=False``. ``img_range`` cannot be read from a file:
the published models use the default, 255.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from srzoo_core.weights import fits_layout
from srzoo_span.span import SCALES, span

_REQUIRED = ("conv_1.sk.weight", "conv_1.eval_conv.weight", "block_1.c1_r.sk.weight", "block_1.c3_r.eval_conv.weight",
             "conv_cat.weight", "conv_2.eval_conv.weight", "upsampler.0.weight")


def _scale_and_outputs(channels: int, in_channels: int) -> tuple[int, int] | None:
    """``out · scale²`` split apart, preferring as many outputs as inputs (the published models)."""
    for scale in SCALES:
        if channels == in_channels * scale * scale:
            return scale, in_channels
    for scale in sorted(SCALES, reverse=True):
        if channels % (scale * scale) == 0:
            return scale, channels // (scale * scale)
    return None


def detect_span(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(options, state dict) when ``state_dict`` is a SPAN in the published layout, else None."""
    if not all(k in state_dict and hasattr(state_dict[k], "shape") for k in _REQUIRED):
        return None
    head, up = state_dict["conv_1.sk.weight"].shape, state_dict["upsampler.0.weight"].shape
    if len(head) != 4 or len(up) != 4:
        return None
    found = _scale_and_outputs(up[0], head[1])
    if found is None:
        return None
    blocks = 0
    while f"block_{blocks + 1}.c1_r.sk.weight" in state_dict:
        blocks += 1
    options = {"in_channels": head[1], "out_channels": found[1], "scale": found[0], "features": head[0],
               "blocks": blocks, "norm": "no_norm" not in state_dict}
    return (options, dict(state_dict)) if fits_layout(span, options, state_dict) else None
