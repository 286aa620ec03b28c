"""Pieces shared by the family's networks."""

from __future__ import annotations

from torch import nn

NORMS = ("none", "batch", "instance")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """BatchNorm, affine InstanceNorm, or nothing."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()
