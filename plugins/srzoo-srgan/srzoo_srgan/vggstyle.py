"""SRGAN's discriminator (Ledig et al. 2017): a VGG-style classifier returning one logit."""

from __future__ import annotations

import torch
from torch import nn


class VGGStyleDiscriminator(nn.Module):
    def __init__(self, in_channels: int, features: int, dense: int):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, features, 3, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        channels = features
        # (out_channels, stride) for the seven conv-BN-LeakyReLU layers after the first conv
        plan = [(features, 2), (features * 2, 1), (features * 2, 2), (features * 4, 1), (features * 4, 2), (features * 8, 1), (features * 8, 2)]
        for out, stride in plan:
            layers += [nn.Conv2d(channels, out, 3, stride=stride, padding=1), nn.BatchNorm2d(out), nn.LeakyReLU(0.2, inplace=True)]
            channels = out
        self.features = nn.Sequential(*layers)
        # Adaptive pooling replaces the paper's fixed 96×96 input so any patch size works.
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(channels, dense), nn.LeakyReLU(0.2, inplace=True), nn.Linear(dense, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


def vggstyle(in_channels: int = 3, features: int = 64, dense: int = 1024) -> VGGStyleDiscriminator:
    """Returns logits of shape (N, 1); train it with a loss that takes logits (no sigmoid here)."""
    if features < 1 or dense < 1:
        raise ValueError("features and dense must be at least 1")
    return VGGStyleDiscriminator(in_channels, features, dense)
