"""Pixel attention (Zhao et al., "Efficient Image Super-Resolution Using Pixel Attention", ECCVW
2020): a convolution and a sigmoid give one gate in (0, 1) per pixel and channel; the input is
multiplied by it. It fills srzoo's ``attention`` slot, so ``gen=srresnet+pixel_attention`` puts it
on the residual branch of every trunk unit."""

from __future__ import annotations

import torch
from torch import nn


class PixelAttention(nn.Module):
    def __init__(self, channels: int, kernel_size: int):
        super().__init__()
        self.gate = nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.gate(x))


def pixel_attention(channels: int, kernel_size: int = 1) -> PixelAttention:
    """The block factory of the ``attention`` slot: ``factory(channels, **options)``, a module that
    keeps ``(N, channels, H, W)``. ``channels`` comes from the host generator, ``kernel_size`` from
    the spec (``pixel_attention(kernel_size=3)``). A ``ValueError`` becomes a usage error."""
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and positive (the output keeps its size), not {kernel_size}")
    return PixelAttention(channels, kernel_size)
