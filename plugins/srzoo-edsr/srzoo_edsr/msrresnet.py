"""MSRResNet, BasicSR's "modified SRResNet" (Wang et al., ESRGAN, ECCVW 2018; the baseline of
BasicSR and the NTIRE 2022 efficient-SR challenge): SRResNet without batch norm, LeakyReLU 0.1,
pixel-shuffle upsampling and a bilinear global skip. Keys are BasicSR's: ``conv_first``,
``body.N.conv1``/``conv2``, ``upconv1`` (``upconv2`` for ×4), ``conv_hr``, ``conv_last``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srzoo_edsr.layers import BlockMaker, ResidualBlockNoBN, check_sizes, make_trunk, scaled_kaiming_

SCALES = (2, 3, 4)
INIT_SCALE = 0.1  # BasicSR's initialisation: Kaiming normal × 0.1, zero bias


class MSRResNet(nn.Module):
    size_multiple = 1

    def __init__(self, in_channels: int, out_channels: int, scale: int, features: int, blocks: int,
                 body: BlockMaker, attention: BlockMaker, fusion: BlockMaker, upsampler: BlockMaker):
        super().__init__()
        self.scale = scale
        self.conv_first = nn.Conv2d(in_channels, features, 3, padding=1)
        self.fusion = fusion(features) if fusion else nn.Identity()
        self.body = make_trunk(blocks, features, lambda: ResidualBlockNoBN(features, 1.0, attention, INIT_SCALE), body, attention)
        first_up = []
        if upsampler is not None:
            self.upsampler = upsampler(features, scale)
        else:
            # ×4 is two ×2 stages; ×2 and ×3 are one stage
            stage = 2 if scale == 4 else scale
            self.upconv1 = nn.Conv2d(features, features * stage * stage, 3, padding=1)
            if scale == 4:
                self.upconv2 = nn.Conv2d(features, features * 4, 3, padding=1)
            self.pixel_shuffle = nn.PixelShuffle(stage)
            first_up = [self.upconv1]
        self.conv_hr = nn.Conv2d(features, features, 3, padding=1)
        self.conv_last = nn.Conv2d(features, out_channels, 3, padding=1)
        self.lrelu = nn.LeakyReLU(0.1, inplace=True)
        scaled_kaiming_([self.conv_first, *first_up, self.conv_hr, self.conv_last], INIT_SCALE)
        if hasattr(self, "upconv2"):
            scaled_kaiming_([self.upconv2], INIT_SCALE)
        self.receptive_field = 2 * (2 * blocks + 3) + 1

    def upsample(self, feat: torch.Tensor) -> torch.Tensor:
        if hasattr(self, "upsampler"):
            return self.upsampler(feat)
        feat = self.lrelu(self.pixel_shuffle(self.upconv1(feat)))
        if hasattr(self, "upconv2"):
            feat = self.lrelu(self.pixel_shuffle(self.upconv2(feat)))
        return feat

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.fusion(self.lrelu(self.conv_first(x)))
        out = self.conv_last(self.lrelu(self.conv_hr(self.upsample(self.body(feat)))))
        return out + F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)


def msrresnet(in_channels: int = 3, out_channels: int = 3, scale: int = 4, features: int = 64, blocks: int = 16,
              body: BlockMaker = None, attention: BlockMaker = None, fusion: BlockMaker = None,
              upsampler: BlockMaker = None) -> MSRResNet:
    """MSRResNet, scales 2, 3 and 4 (any scale a custom ``upsampler`` supports); linear output plus
    the bilinearly upsampled input, so ``in_channels`` must equal ``out_channels``.

    Slots: ``attention`` acts inside each residual block on its branch; ``fusion`` follows
    ``conv_first`` and its LeakyReLU; ``body`` replaces the residual block; ``upsampler`` replaces
    ``upconv1``/``upconv2`` and the pixel shuffles."""
    if scale not in SCALES and upsampler is None:
        raise ValueError(f"msrresnet upsamples with pixel shuffle: scale must be 2, 3 or 4, not {scale}")
    if in_channels != out_channels:
        raise ValueError(f"msrresnet adds the bilinearly upsampled input to its output: in_channels ({in_channels}) "
                         f"must equal out_channels ({out_channels})")
    check_sizes(features=features, blocks=blocks)
    return MSRResNet(in_channels, out_channels, scale, features, blocks, body, attention, fusion, upsampler)
