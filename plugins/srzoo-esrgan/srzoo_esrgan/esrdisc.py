"""The ESR discriminator of seed 004: a VGG-style stack of strided 3×3 convs with LeakyReLU 0.2 and
no batch norm, ending in a 3×3 conv to one channel. Returns logits, never a sigmoid."""

from __future__ import annotations

import torch
from torch import nn


class ESRDiscriminator(nn.Module):
    def __init__(self, in_channels: int, features: int, patch: bool):
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        # (out_channels, stride): pairs of a stride-1 and a stride-2 conv, widths ×1, ×2, ×4, ×8
        for width in (features, features * 2, features * 4, features * 8):
            for stride in (1, 2):
                layers += [nn.Conv2d(channels, width, 3, stride=stride, padding=1), nn.LeakyReLU(0.2, inplace=True)]
                channels = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(channels, 1, 3, padding=1)
        self.patch = patch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.head(self.features(x))  # (N, 1, ⌈H/16⌉, ⌈W/16⌉): one logit per patch
        return logits if self.patch else logits.mean(dim=(2, 3))


def esrdisc(in_channels: int = 3, features: int = 64, patch: bool = False) -> ESRDiscriminator:
    """Logits of shape (N, 1), the patch logits averaged, for any input size; ``patch=true``
    returns the patch map (N, 1, ⌈H/16⌉, ⌈W/16⌉) instead."""
    if features < 1:
        raise ValueError(f"features must be at least 1, not {features}")
    return ESRDiscriminator(in_channels, features, patch)
