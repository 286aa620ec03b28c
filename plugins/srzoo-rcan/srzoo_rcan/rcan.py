"""RCAN (Zhang et al., "Image Super-Resolution Using Very Deep Residual Channel Attention
Networks", ECCV 2018) with BasicSR's state-dict keys: ``conv_first``,
``body.G.residual_group.B.rcab.{0,2}`` (convs) and ``rcab.3.attention.{1,3}`` (channel attention),
``body.G.conv``, ``conv_after_body``, ``upsample.K``, ``conv_last``. The mean shift is a constant."""

from __future__ import annotations

from typing import Callable, Literal, Optional

import torch
from torch import nn

from srzoo_core.layers import PixelShuffleUpsample, mean_shift

BlockMaker = Optional[Callable[..., nn.Module]]
SCALES = (2, 3, 4)


class ChannelAttention(nn.Module):
    """Squeeze (global average) and excite (1×1 down, ReLU, 1×1 up, sigmoid) the channels."""

    def __init__(self, features: int, reduction: int):
        super().__init__()
        hidden = max(1, features // reduction)
        self.attention = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(features, hidden, 1), nn.ReLU(inplace=True),
                                       nn.Conv2d(hidden, features, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.attention(x)


class RCAB(nn.Module):
    """Residual channel attention block: conv-ReLU-conv, then the attention (channel attention, or
    the ``attention`` block in its place), scaled by ``res_scale`` and added to the input."""

    def __init__(self, features: int, reduction: int, res_scale: float, attention: BlockMaker):
        super().__init__()
        self.res_scale = res_scale
        self.rcab = nn.Sequential(nn.Conv2d(features, features, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(features, features, 3, padding=1),
                                  attention(features) if attention else ChannelAttention(features, reduction))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rcab(x) * self.res_scale + x


class ResidualGroup(nn.Module):
    def __init__(self, units: list[nn.Module], features: int):
        super().__init__()
        self.residual_group = nn.Sequential(*units)
        self.conv = nn.Conv2d(features, features, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.residual_group(x)) + x


class RCAN(nn.Module):
    size_multiple = 1

    def __init__(self, in_channels: int, out_channels: int, scale: int, features: int, groups: int, blocks: int,
                 reduction: int, res_scale: float, img_range: float, rgb_mean: str, body: BlockMaker,
                 attention: BlockMaker, fusion: BlockMaker, upsampler: BlockMaker):
        super().__init__()
        self.img_range = img_range
        # constants, kept out of the state dict as in BasicSR, but moved with the module
        self.register_buffer("mean_in", mean_shift(in_channels, rgb_mean), persistent=False)
        self.register_buffer("mean_out", mean_shift(out_channels, rgb_mean), persistent=False)
        self.conv_first = nn.Conv2d(in_channels, features, 3, padding=1)
        self.fusion = fusion(features) if fusion else nn.Identity()

        def unit() -> nn.Module:
            if body is None:
                return RCAB(features, reduction, res_scale, attention)
            return nn.Sequential(body(features), attention(features)) if attention else body(features)

        self.body = nn.Sequential(*(ResidualGroup([unit() for _ in range(blocks)], features) for _ in range(groups)))
        self.conv_after_body = nn.Conv2d(features, features, 3, padding=1)
        self.upsample = upsampler(features, scale) if upsampler else PixelShuffleUpsample(features, scale)
        self.conv_last = nn.Conv2d(features, out_channels, 3, padding=1)
        # LR pixels seen by one output pixel: the 3×3 convs before the upsampler, plus a margin
        self.receptive_field = 2 * (groups * (2 * blocks + 1) + 3) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean_in) * self.img_range
        x = self.fusion(self.conv_first(x))
        res = self.conv_after_body(self.body(x)) + x
        return self.conv_last(self.upsample(res)) / self.img_range + self.mean_out


def rcan(in_channels: int = 3, out_channels: int = 3, scale: int = 4, features: int = 64, groups: int = 10,
         blocks: int = 20, reduction: int = 16, res_scale: float = 1.0, img_range: float = 255.0,
         rgb_mean: Literal["div2k", "none"] = "div2k", body: BlockMaker = None, attention: BlockMaker = None,
         fusion: BlockMaker = None, upsampler: BlockMaker = None) -> RCAN:
    """RCAN, scales 2, 3 and 4 (any scale a custom ``upsampler`` supports); linear output. The
    defaults are the paper's and the published models': 10 residual groups of 20 RCABs, 64
    features, channel-attention reduction 16. As in BasicSR the input is shifted by ``rgb_mean``
    (DIV2K's mean for 3 channels; ``none`` or other channel counts shift by zero) and multiplied
    by ``img_range``; the output undoes both.

    Slots: ``attention`` REPLACES the channel attention inside every RCAB (``rcan+se`` is RCAB
    with squeeze-excitation as its attention, ``rcan+cbam`` with CBAM), so the block still sits on
    the residual branch after the second conv; ``fusion`` follows ``conv_first``; ``body``
    replaces the RCAB inside the residual groups (each group keeps its closing conv and skip);
    ``upsampler`` replaces ``upsample``."""
    if scale not in SCALES and upsampler is None:
        raise ValueError(f"rcan upsamples with pixel shuffle: scale must be 2, 3 or 4, not {scale}")
    small = [f"{n}={v}" for n, v in (("features", features), ("groups", groups), ("blocks", blocks), ("reduction", reduction)) if v < 1]
    if small:
        raise ValueError(f"{', '.join(small)}: must be at least 1")
    if rgb_mean not in ("div2k", "none"):
        raise ValueError(f"rgb_mean must be div2k or none, not {rgb_mean!r}")
    if img_range <= 0:
        raise ValueError(f"img_range must be positive, not {img_range}")
    return RCAN(in_channels, out_channels, scale, features, groups, blocks, reduction, res_scale, img_range, rgb_mean,
                body, attention, fusion, upsampler)
