"""SRResNet generator (Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network", CVPR 2017) with srzoo's slots."""

from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import nn
from torch.nn import functional as F

BlockMaker = Optional[Callable[..., nn.Module]]


class ResidualBlock(nn.Module):
    """conv-BN-PReLU-conv-BN with an identity skip; optional attention on the residual branch."""

    def __init__(self, channels: int, attention: BlockMaker = None):
        super().__init__()
        self.branch = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.PReLU(channels),
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels),
        )
        self.attention = attention(channels) if attention else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.attention(self.branch(x))


class PixelShuffleUpsampler(nn.Sequential):
    """log2(scale) stages of conv → PixelShuffle(2) → PReLU, as in SRGAN."""

    def __init__(self, channels: int, scale: int):
        stages = []
        for _ in range(scale.bit_length() - 1):
            stages += [nn.Conv2d(channels, channels * 4, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(channels)]
        super().__init__(*stages)


class SRResNet(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, scale: int, features: int, blocks: int,
                 body: BlockMaker, attention: BlockMaker, fusion: BlockMaker, upsampler: BlockMaker,
                 residual: bool = False):
        super().__init__()
        self.scale = scale
        self.residual = residual
        self.head = nn.Sequential(nn.Conv2d(in_channels, features, 9, padding=4), nn.PReLU(features))
        self.fusion = fusion(features) if fusion else nn.Identity()
        if body is not None:
            units = [nn.Sequential(body(features), attention(features)) if attention else body(features) for _ in range(blocks)]
        else:
            units = [ResidualBlock(features, attention) for _ in range(blocks)]
        self.trunk = nn.Sequential(*units)
        self.trunk_tail = nn.Sequential(nn.Conv2d(features, features, 3, padding=1), nn.BatchNorm2d(features))
        self.upsampler = upsampler(features, scale) if upsampler else PixelShuffleUpsampler(features, scale)
        self.tail = nn.Conv2d(features, out_channels, 9, padding=4)
        if residual:
            # Start as exactly bicubic; the network then only learns the detail bicubic misses.
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shallow = self.fusion(self.head(x))
        deep = self.trunk_tail(self.trunk(shallow)) + shallow
        out = self.tail(self.upsampler(deep))
        if self.residual:
            out = out + F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return out


def srresnet(in_channels: int = 3, out_channels: int = 3, scale: int = 4, features: int = 64, blocks: int = 16,
             body: BlockMaker = None, attention: BlockMaker = None, fusion: BlockMaker = None,
             upsampler: BlockMaker = None, residual: bool = False) -> SRResNet:
    """SRResNet; ``scale`` 2, 4 or 8 (×2 PixelShuffle stages). Output is linear: no tanh, so it
    can reach any value of standardised targets. ``residual`` adds a bicubic upsampling of the
    input to the output (global residual learning as in VDSR, Kim et al. 2016; off by default, as
    in the SRGAN paper), which makes short CPU trainings converge much faster. With a ``body`` block the trunk repeats it
    ``blocks`` times, followed by the ``attention`` block if one is given."""
    if scale not in (2, 4, 8) and upsampler is None:
        raise ValueError(f"srresnet upsamples by ×2 PixelShuffle stages: scale must be 2, 4 or 8, not {scale}")
    if blocks < 1 or features < 1:
        raise ValueError("blocks and features must be at least 1")
    if residual and in_channels != out_channels:
        raise ValueError(f"residual=true adds the upsampled input to the output: in_channels ({in_channels}) must equal out_channels ({out_channels})")
    return SRResNet(in_channels, out_channels, scale, features, blocks, body, attention, fusion, upsampler, residual)
