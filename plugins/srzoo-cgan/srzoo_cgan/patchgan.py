"""PatchGAN discriminator (Isola et al., pix2pix, CVPR 2017): a fully convolutional classifier
whose output is a map of logits, one per overlapping input patch.

Layout for ``layers = n``: a 4×4 stride-2 conv (no norm), n-1 further 4×4 stride-2 conv-norm-
LeakyReLU layers, one 4×4 stride-1 conv-norm-LeakyReLU layer and a final 4×4 stride-1 conv to one
channel (widths ``features * min(2**i, 8)``). pix2pix's default is n = 3, a 70×70 receptive field,
which is more than a whole 64×64 target; srzoo's default is n = 2.

Receptive field of one output logit (``receptive_field(n)``): 16, 34, 70, 142 pixels for
n = 1, 2, 3, 4 (r ← r·stride + kernel − stride, from the last layer back).

No sigmoid: train it with a loss that takes logits.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from srzoo_cgan._layers import NORMS, norm_layer

Norm = Literal["batch", "instance", "none"]
KERNEL, PADDING = 4, 1


def _plan(layers: int) -> list[int]:
    """Strides of the convolutions, first to last."""
    return [2] * layers + [1, 1]


def receptive_field(layers: int) -> int:
    """Side, in input pixels, of the square seen by one output logit."""
    field = 1
    for stride in reversed(_plan(layers)):
        field = field * stride + KERNEL - stride
    return field


def output_size(size: int, layers: int) -> int:
    """Side of the logit map for an input side of ``size``."""
    for stride in _plan(layers):
        size = (size + 2 * PADDING - KERNEL) // stride + 1
    return size


class PatchGAN(nn.Module):
    def __init__(self, in_channels: int, features: int, layers: int, norm: str):
        super().__init__()
        self.layers = layers
        modules: list[nn.Module] = [nn.Conv2d(in_channels, features, KERNEL, 2, PADDING), nn.LeakyReLU(0.2, inplace=True)]
        channels = features
        for i, stride in enumerate(_plan(layers)[1:-1], start=1):
            out = features * min(2 ** i, 8)
            modules += [nn.Conv2d(channels, out, KERNEL, stride, PADDING, bias=norm == "none"), norm_layer(norm, out), nn.LeakyReLU(0.2, inplace=True)]
            channels = out
        modules.append(nn.Conv2d(channels, 1, KERNEL, 1, PADDING))
        self.net = nn.Sequential(*modules)

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if min(output_size(x.shape[-2], self.layers), output_size(x.shape[-1], self.layers)) < 1:
            raise ValueError(f"patchgan with layers={self.layers} needs a larger input than {x.shape[-2]}x{x.shape[-1]}")
        return self.net(x)


def patchgan(in_channels: int = 3, features: int = 64, layers: int = 2, norm: Norm = "batch") -> PatchGAN:
    """Map of logits (N, 1, h, w). ``layers`` stride-2 convolutions set the receptive field:
    16, 34 (default, fits a 64×64 target), 70 (pix2pix), 142 pixels for 1–4 layers."""
    if features < 1:
        raise ValueError(f"features must be at least 1, not {features}")
    if not 1 <= layers <= 6:
        raise ValueError(f"layers must be between 1 and 6, not {layers}")
    if norm not in NORMS:
        raise ValueError(f"norm must be batch, instance or none, not {norm!r}")
    return PatchGAN(in_channels, features, layers, norm)
