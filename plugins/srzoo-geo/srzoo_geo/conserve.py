"""Hard mass conservation: the SR output's ``scale x scale`` block means equal the LR input.

Harder et al. 2022, "Hard-constrained deep learning for climate downscaling", constraint layers
applied to a generator's output ``y`` given the LR ``x`` (``B``: block mean, ``U``: repeat every LR
value over its block):

- ``add``:     ``y + U(x - B(y))``                      any sign;
- ``mult``:    ``y * U(x / B(y))``                      needs ``y > 0`` and ``x >= 0``;
- ``softmax``: ``exp(y) * U(x / B(exp(y)))``           needs ``x >= 0``; output >= 0.

Computed in float32 at least (float64 stays float64), outside autocast, so the block means hold
to float precision. The layer has no parameters and works around any generator: it only needs the
generator's output and its input.

Normalisation: ``B`` commutes with a per-channel affine map ``a + b z``, so an exact constraint on
z-scored tensors (LR and HR z-scored with the same statistics) also holds in physical units, in
every mode. But ``mult`` and ``softmax`` rest on positivity, which z-scoring destroys: apply them
to de-normalised tensors (physical units) and z-score the result for the loss.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

MODES = ("add", "mult", "softmax")


def spread(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Every value repeated over a ``scale x scale`` block: (..., h, w) -> (..., h*scale, w*scale)."""
    return x.repeat_interleave(scale, dim=-2).repeat_interleave(scale, dim=-1)


class ConserveBlockMeans(nn.Module):
    """``forward(sr, lr)``: sr (N, C, scale*h, scale*w) corrected so its block means equal lr (N, C, h, w)."""

    def __init__(self, scale: int, mode: str = "add"):
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
            raise ValueError(f"conserve: scale must be a whole number >= 1, not {scale!r}")
        if mode not in MODES:
            raise ValueError(f"conserve: mode is one of {', '.join(MODES)}, not {mode!r}")
        self.scale, self.mode = scale, mode
        # positivity is physical: the core then hands the constraint de-normalised tensors
        self.physical_units = mode != "add"

    def extra_repr(self) -> str:
        return f"scale={self.scale}, mode={self.mode!r}"

    def forward(self, sr: torch.Tensor, lr: torch.Tensor) -> torch.Tensor:
        s = self.scale
        if sr.dim() != 4 or lr.dim() != 4 or sr.shape[:2] != lr.shape[:2] or \
                (sr.shape[-2], sr.shape[-1]) != (s * lr.shape[-2], s * lr.shape[-1]):
            raise ValueError(f"conserve: sr {tuple(sr.shape)} must be the x{s} of lr {tuple(lr.shape)}, both (N, C, H, W)")
        dtype = torch.promote_types(torch.promote_types(sr.dtype, lr.dtype), torch.float32)
        with torch.autocast(sr.device.type, enabled=False):
            sr, lr = sr.to(dtype), lr.to(dtype)
            if self.mode == "add":
                return sr + spread(lr - F.avg_pool2d(sr, s), s)
            if (lr < 0).any():
                raise ValueError(f"conserve(mode={self.mode}) needs a non-negative LR (a positive quantity in "
                                 "physical units, not z-scored data); use mode=add for signed fields")
            if self.mode == "softmax":
                # exp(sr) made stable by the block maxima, which cancel in the ratio
                sr = torch.exp(sr - spread(F.max_pool2d(sr, s), s))
            elif (sr <= 0).any():
                raise ValueError("conserve(mode=mult) needs a positive sr (physical units, e.g. after a softplus); "
                                 "use mode=softmax or mode=add otherwise")
            return sr * spread(lr / F.avg_pool2d(sr, s), s)


def conserve(scale: int, mode: Literal["add", "mult", "softmax"] = "add") -> ConserveBlockMeans:
    """Output constraint: the SR's scale x scale block means equal the LR input (Harder et al.
    2022), by an additive, multiplicative or softmax correction."""
    return ConserveBlockMeans(scale, mode)
