"""U-Net generator for super-resolution, *with* skip connections (seed 004's "cGAN UNet" had none).

Design: the encoder-decoder runs on the LR grid and a learned upsampler follows, as in
SRResNet/ESPCN, rather than upsampling first: every convolution then costs ``scale**2`` less,
which keeps it cheap on 16×16 inputs, and no interpolation artefacts enter the network.

    x ─ head 3×3 ─ [fusion] ─ enc0 ─────────────────────────── cat ─ dec0 ─ upsampler ─ tail 3×3 ─ y
                               └ down ─ enc1 ───────── cat ─ dec1 ┘ up
                                         └ down ─ bottleneck ┘ up

Each level is two 3×3 conv-[norm]-LeakyReLU layers (followed by the ``attention`` block if one is
given); level ``l`` has ``features * 2**l`` channels; downsampling is a stride-2 3×3 convolution,
upsampling a 2×2 transposed convolution, and each decoder level fuses the concatenated skip.
The upsampler is PixelShuffle stages (×2 and ×3) or the ``upsampler`` block. The output is linear
(no tanh), so standardised targets are reachable.

Any input size works: the input is replicate-padded on the bottom/right to a multiple of
``2**depth`` and the decoder's output is cropped back to the input's size before upsampling.
"""

from __future__ import annotations

from typing import Callable, Literal, Optional

import torch
import torch.nn.functional as F
from torch import nn

from srzoo_cgan._layers import NORMS, norm_layer

BlockMaker = Optional[Callable[..., nn.Module]]
Norm = Literal["none", "batch", "instance"]


class ConvBlock(nn.Sequential):
    """Two 3×3 conv-[norm]-LeakyReLU layers, then the optional attention block."""

    def __init__(self, in_channels: int, channels: int, norm: str, attention: BlockMaker):
        layers: list[nn.Module] = []
        for cin in (in_channels, channels):
            layers += [nn.Conv2d(cin, channels, 3, padding=1, bias=norm == "none"), norm_layer(norm, channels), nn.LeakyReLU(0.2, inplace=True)]
        if attention is not None:
            layers.append(attention(channels))
        super().__init__(*layers)


def _prime_factors(scale: int) -> list[int]:
    """``scale`` as a product of 2s and 3s (PixelShuffle stages), or ValueError."""
    factors, rest = [], scale
    for p in (2, 3):
        while rest % p == 0:
            factors.append(p)
            rest //= p
    if rest != 1 or scale < 1:
        raise ValueError(f"unet upsamples by PixelShuffle ×2/×3 stages: scale must be a product of 2s and 3s "
                         f"(e.g. 2, 3, 4, 8), not {scale}; or give an upsampler block")
    return factors


class PixelShuffleUpsampler(nn.Sequential):
    """One conv → PixelShuffle(r) → LeakyReLU stage per factor r of the scale."""

    def __init__(self, channels: int, scale: int):
        stages: list[nn.Module] = []
        for r in _prime_factors(scale):
            stages += [nn.Conv2d(channels, channels * r * r, 3, padding=1), nn.PixelShuffle(r), nn.LeakyReLU(0.2, inplace=True)]
        super().__init__(*stages)


class UNet(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, scale: int, features: int, depth: int, norm: str,
                 attention: BlockMaker, fusion: BlockMaker, upsampler: BlockMaker):
        super().__init__()
        widths = [features * 2 ** level for level in range(depth + 1)]
        self.multiple = 2 ** depth
        self.head = nn.Sequential(nn.Conv2d(in_channels, features, 3, padding=1), nn.LeakyReLU(0.2, inplace=True))
        self.fusion = fusion(features) if fusion else nn.Identity()
        self.encoders = nn.ModuleList(ConvBlock(widths[l], widths[l], norm, attention) for l in range(depth))
        self.downs = nn.ModuleList(nn.Conv2d(widths[l], widths[l + 1], 3, stride=2, padding=1) for l in range(depth))
        self.bottleneck = ConvBlock(widths[depth], widths[depth], norm, attention)
        self.ups = nn.ModuleList(nn.ConvTranspose2d(widths[l + 1], widths[l], 2, stride=2) for l in range(depth))
        self.decoders = nn.ModuleList(ConvBlock(2 * widths[l], widths[l], norm, attention) for l in range(depth))
        self.upsampler = upsampler(features, scale) if upsampler else PixelShuffleUpsampler(features, scale)
        self.tail = nn.Conv2d(features, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % self.multiple, -width % self.multiple
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        h = self.fusion(self.head(x))
        skips = []
        for encoder, down in zip(self.encoders, self.downs):
            h = encoder(h)
            skips.append(h)
            h = down(h)
        h = self.bottleneck(h)
        for level in reversed(range(len(self.decoders))):
            h = self.decoders[level](torch.cat([self.ups[level](h), skips[level]], dim=1))
        h = h[..., :height, :width]
        return self.tail(self.upsampler(h))


def unet(in_channels: int = 3, out_channels: int = 3, scale: int = 4, features: int = 64, depth: int = 2,
         norm: Norm = "none", attention: BlockMaker = None, fusion: BlockMaker = None,
         upsampler: BlockMaker = None) -> UNet:
    """U-Net with skips on the LR grid, then ×``scale`` upsampling; linear output.

    ``depth`` is the number of 2× downsamplings (level ``l`` has ``features * 2**l`` channels);
    any input size works (padded to a multiple of ``2**depth``, cropped back). Without an
    ``upsampler`` block, ``scale`` must be a product of 2s and 3s (2, 3, 4, 6, 8, …)."""
    if features < 1:
        raise ValueError(f"features must be at least 1, not {features}")
    if not 1 <= depth <= 6:
        raise ValueError(f"depth (number of 2x downsamplings) must be between 1 and 6, not {depth}")
    if norm not in NORMS:
        raise ValueError(f"norm must be none, batch or instance, not {norm!r}")
    if upsampler is None:
        _prime_factors(scale)
    return UNet(in_channels, out_channels, scale, features, depth, norm, attention, fusion, upsampler)
