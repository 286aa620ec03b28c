"""Multi-scale feature fusion as in seed 004's ablation: parallel 3×3, 5×5 and 7×7 convolutions,
concatenated and fused back to the input width by a 1×1 convolution, added to the input."""

from __future__ import annotations

import torch
from torch import nn


class MultiScaleFusion(nn.Module):
    def __init__(self, channels: int, kernels: tuple[int, ...], residual: bool):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(nn.Conv2d(channels, channels, k, padding=k // 2), nn.LeakyReLU(0.2, inplace=True)) for k in kernels
        )
        self.fuse = nn.Conv2d(channels * len(kernels), channels, 1)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fused = self.fuse(torch.cat([branch(x) for branch in self.branches], dim=1))
        return x + fused if self.residual else fused


def multiscale(channels: int, largest: int = 7, residual: bool = True) -> MultiScaleFusion:
    """Branches with odd kernels 3, 5, … up to ``largest``; ``residual`` adds the input back."""
    if largest < 3 or largest % 2 == 0:
        raise ValueError(f"largest must be an odd kernel size of at least 3, not {largest}")
    return MultiScaleFusion(channels, tuple(range(3, largest + 1, 2)), residual)
