"""LR conditioning for any discriminator (the "c" of a conditional GAN).

``lrcond`` is a ``wrapper`` block: ``disc=patchgan+lrcond`` or ``disc=vggstyle+lrcond``. It builds
the wrapped discriminator with twice the channels, and its forward ``(x, lr)`` upsamples the
low-resolution input to ``x``'s size and concatenates it to ``x``, so the discriminator judges
whether ``x`` is a plausible high-resolution version *of this* LR input.
"""

from __future__ import annotations

from typing import Any, Callable, Literal

import torch
import torch.nn.functional as F
from torch import nn

Mode = Literal["bicubic", "bilinear", "nearest"]
MODES = ("bicubic", "bilinear", "nearest")


class LRConditioned(nn.Module):
    needs_lr = True

    def __init__(self, inner: nn.Module, in_channels: int, mode: str):
        super().__init__()
        self.inner = inner
        self.in_channels = in_channels
        self.mode = mode

    def forward(self, x: torch.Tensor, lr: torch.Tensor) -> Any:
        if lr.dim() != 4 or x.dim() != 4 or lr.shape[0] != x.shape[0] or lr.shape[1] != self.in_channels:
            raise ValueError(f"lrcond expects x and lr as (N, {self.in_channels}, H, W) batches of the same N, "
                             f"got {tuple(x.shape)} and {tuple(lr.shape)}")
        aligned = {} if self.mode == "nearest" else {"align_corners": False}
        up = F.interpolate(lr.to(x.dtype), size=tuple(x.shape[-2:]), mode=self.mode, **aligned)
        return self.inner(torch.cat([x, up], dim=1))


def lrcond(inner: Callable[..., nn.Module], in_channels: int, mode: Mode = "bicubic") -> LRConditioned:
    """Wrap ``inner(in_channels=2*in_channels)``; forward ``(x, lr)`` feeds ``cat(x, upsample(lr))``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if in_channels < 1:
        raise ValueError(f"in_channels must be at least 1, not {in_channels}")
    return LRConditioned(inner(in_channels=2 * in_channels), in_channels, mode)
