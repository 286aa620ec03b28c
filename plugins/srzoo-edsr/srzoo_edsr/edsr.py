"""EDSR (Lim et al., "Enhanced Deep Residual Networks for Single Image Super-Resolution", CVPRW
2017) with BasicSR's state-dict keys: ``conv_first``, ``body.N.conv1``/``conv2``,
``conv_after_body``, ``upsample.K``, ``conv_last``. The mean shift is a constant (not a weight)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from srzoo_core.layers import MeanChoice, PixelShuffleUpsample, mean_shift
from srzoo_edsr.layers import BlockMaker, ResidualBlockNoBN, check_sizes, make_trunk

PRESETS = {"baseline": (64, 16, 1.0), "large": (256, 32, 0.1)}  # features, blocks, res_scale
SCALES = (2, 3, 4)


class EDSR(nn.Module):
    size_multiple = 1

    def __init__(self, in_channels: int, out_channels: int, scale: int, features: int, blocks: int, res_scale: float,
                 img_range: float, rgb_mean: MeanChoice, body: BlockMaker, attention: BlockMaker, fusion: BlockMaker,
                 upsampler: BlockMaker):
        super().__init__()
        self.img_range = img_range
        # constants, kept out of the state dict as in BasicSR, but moved with the module
        self.register_buffer("mean_in", mean_shift(in_channels, rgb_mean), persistent=False)
        self.register_buffer("mean_out", mean_shift(out_channels, rgb_mean), persistent=False)
        self.conv_first = nn.Conv2d(in_channels, features, 3, padding=1)
        self.fusion = fusion(features) if fusion else nn.Identity()
        self.body = make_trunk(blocks, features, lambda: ResidualBlockNoBN(features, res_scale, attention), body, attention)
        self.conv_after_body = nn.Conv2d(features, features, 3, padding=1)
        self.upsample = upsampler(features, scale) if upsampler else PixelShuffleUpsample(features, scale)
        self.conv_last = nn.Conv2d(features, out_channels, 3, padding=1)
        # LR pixels seen by one output pixel: 3×3 convs before the upsampler, plus a margin for the rest
        self.receptive_field = 2 * (2 * blocks + 3) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean_in) * self.img_range
        x = self.fusion(self.conv_first(x))
        res = self.conv_after_body(self.body(x)) + x
        return self.conv_last(self.upsample(res)) / self.img_range + self.mean_out


def edsr(in_channels: int = 3, out_channels: int = 3, scale: int = 4, preset: Literal["baseline", "large"] = "baseline",
         features: int | None = None, blocks: int | None = None, res_scale: float | None = None, img_range: float = 255.0,
         rgb_mean: MeanChoice = "div2k", body: BlockMaker = None, attention: BlockMaker = None, fusion: BlockMaker = None,
         upsampler: BlockMaker = None) -> EDSR:
    """EDSR, scales 2, 3 and 4 (any scale a custom ``upsampler`` supports); linear output.

    Presets: ``baseline`` = 64 features, 16 blocks, res_scale 1 (EDSR-baseline, BasicSR's
    ``EDSR_M``); ``large`` = 256 features, 32 blocks, res_scale 0.1 (EDSR, BasicSR's ``EDSR_L``).
    ``features``, ``blocks`` and ``res_scale`` override the preset. As in BasicSR the input is
    shifted by ``rgb_mean`` (DIV2K's mean for 3 channels; ``none`` or other channel counts shift
    by zero) and multiplied by ``img_range``; the output undoes both.

    Slots: ``attention`` acts inside each residual block on the branch before ``res_scale``;
    ``fusion`` follows ``conv_first``; ``body`` replaces the residual block; ``upsampler``
    replaces ``upsample``."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    if scale not in SCALES and upsampler is None:
        raise ValueError(f"edsr upsamples with pixel shuffle: scale must be 2, 3 or 4, not {scale}")
    default_features, default_blocks, default_res_scale = PRESETS[preset]
    features = default_features if features is None else features
    blocks = default_blocks if blocks is None else blocks
    res_scale = default_res_scale if res_scale is None else res_scale
    check_sizes(features=features, blocks=blocks)
    if img_range <= 0:
        raise ValueError(f"img_range must be positive, not {img_range}")
    return EDSR(in_channels, out_channels, scale, features, blocks, res_scale, img_range, rgb_mean, body, attention,
                fusion, upsampler)
