"""Squeeze-and-excitation (Hu et al., CVPR 2018): rescale channels by a gate computed from their
global average."""

from __future__ import annotations

import torch
from torch import nn


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, reduction: int):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1), nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


def se(channels: int, reduction: int = 16) -> SqueezeExcitation:
    if reduction < 1:
        raise ValueError(f"reduction must be at least 1, not {reduction}")
    return SqueezeExcitation(channels, reduction)
