"""Recognise published PLKSR and RealPLKSR weights from their keys and shapes.

RealPLKSR (neosr, traiNNer-redux, spandrel): ``feats.N.channel_mixer``; a ``layer_norm`` key
means layer norm, ``to_img.init_pos`` means DySample. ``norm_groups`` and ``dropout`` leave no
trace in a file: the published models use the defaults (4 groups). PLKSR (official):
``feats.N.channe_mixer`` (sic), the mixer type read from its two kernel sizes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from math import isqrt
from typing import Any

from srzoo_core.weights import fits_layout, shape_of
from srzoo_plksr.plksr import MIXER_KERNELS, plksr
from srzoo_plksr.realplksr import realplksr

Detected = tuple[dict[str, Any], dict[str, Any]]


def _blocks(state_dict: Mapping[str, Any], mixer: str) -> int:
    n = 0
    while f"feats.{n + 1}.{mixer}.0.weight" in state_dict:
        n += 1
    return n


def _common(state_dict: Mapping[str, Any], mixer: str, tail_index: Callable[[int], int]) -> dict[str, Any] | None:
    """Options both architectures show the same way, or None when the file is not of this family."""
    head, lk = shape_of(state_dict, "feats.0.weight"), shape_of(state_dict, "feats.1.lk.conv.weight")
    if head is None or lk is None or len(head) != 4 or len(lk) != 4 or shape_of(state_dict, "feats.1.refine.weight") is None:
        return None
    blocks = _blocks(state_dict, mixer)
    tail = shape_of(state_dict, f"feats.{tail_index(blocks)}.weight")
    dim, in_channels = head[0], head[1]
    end, skip = shape_of(state_dict, "to_img.end_conv.weight"), shape_of(state_dict, "skip.weight")
    out_channels = end[0] if end else skip[0] if skip else in_channels
    if tail is None or blocks < 1 or out_channels < 1 or tail[0] % out_channels:
        return None
    scale = isqrt(tail[0] // out_channels)
    partial = lk[0]
    ratio = partial / dim if int(dim * (partial / dim)) == partial else (partial + 0.5) / dim
    return {"in_channels": in_channels, "out_channels": out_channels, "scale": scale, "dim": dim, "n_blocks": blocks,
            "kernel_size": lk[2], "split_ratio": ratio, "use_ea": "feats.1.attn.f.0.weight" in state_dict}


def detect_realplksr(state_dict: Mapping[str, Any]) -> Detected | None:
    """(options, state dict) for a RealPLKSR file (neosr / traiNNer-redux layout), else None."""
    options = _common(state_dict, "channel_mixer", lambda blocks: blocks + 2)  # + 1 is the Dropout2d
    if options is None:
        return None
    options |= {"layer_norm": "feats.1.layer_norm.weight" in state_dict, "dysample": "to_img.init_pos" in state_dict}
    return (options, dict(state_dict)) if fits_layout(realplksr, options, state_dict) else None


def detect_plksr(state_dict: Mapping[str, Any]) -> Detected | None:
    """(options, state dict) for an official PLKSR file, else None."""
    options = _common(state_dict, "channe_mixer", lambda blocks: blocks + 1)
    first, second = shape_of(state_dict, "feats.1.channe_mixer.0.weight"), shape_of(state_dict, "feats.1.channe_mixer.2.weight")
    if options is None or second is None or len(first) != 4 or len(second) != 4:
        return None
    kinds = {kernels: name for name, kernels in MIXER_KERNELS.items()}
    if (first[2], second[2]) not in kinds:
        return None
    options |= {"ccm_type": kinds[(first[2], second[2])]}
    return (options, dict(state_dict)) if fits_layout(plksr, options, state_dict) else None
