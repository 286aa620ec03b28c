"""RRDBNet, the ESRGAN generator (Wang et al., "ESRGAN: Enhanced Super-Resolution Generative
Adversarial Networks", ECCVW 2018), with BasicSR's state-dict keys, and the ``rrdb`` block.

Without blocks in its slots the module's keys are exactly BasicSR's ``RRDBNet``: ``conv_first``,
``body.N.rdb{1,2,3}.conv{1..5}``, ``conv_body``, ``conv_up1``, ``conv_up2``, ``conv_hr``,
``conv_last``. ×4 upsamples twice (nearest ×2 + conv + LeakyReLU); ×2 and ×1 follow BasicSR too:
the input is pixel-unshuffled by 2 (``in_channels * 4`` into ``conv_first``) or by 4
(``in_channels * 16``), then upsampled ×4.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn

BlockMaker = Optional[Callable[..., nn.Module]]
RESIDUAL_SCALE = 0.2
UNSHUFFLE = {1: 4, 2: 2, 4: 1}  # scale -> pixel-unshuffle factor applied to the input (BasicSR)


class ResidualDenseBlock(nn.Module):
    """Five 3×3 convs, each seeing the block input and every earlier output; no batch norm."""

    def __init__(self, features: int, growth: int):
        super().__init__()
        for i in range(1, 6):
            out = features if i == 5 else growth
            setattr(self, f"conv{i}", nn.Conv2d(features + (i - 1) * growth, out, 3, padding=1))
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)
        for i in range(1, 6):  # BasicSR's initialisation: Kaiming normal scaled by 0.1, zero bias
            conv = getattr(self, f"conv{i}")
            nn.init.kaiming_normal_(conv.weight)
            with torch.no_grad():
                conv.weight.mul_(0.1)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [x]
        for i in range(1, 5):
            outputs.append(self.lrelu(getattr(self, f"conv{i}")(torch.cat(outputs, 1))))
        return self.conv5(torch.cat(outputs, 1)) * RESIDUAL_SCALE + x


class RRDB(nn.Module):
    """Residual in residual dense block: three dense blocks, scaled by 0.2, added to the input.
    An ``attention`` block, if given, acts on the branch before the scaling."""

    def __init__(self, features: int, growth: int = 32, attention: BlockMaker = None):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(features, growth)
        self.rdb2 = ResidualDenseBlock(features, growth)
        self.rdb3 = ResidualDenseBlock(features, growth)
        self.attention = attention(features) if attention else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attention(self.rdb3(self.rdb2(self.rdb1(x)))) * RESIDUAL_SCALE + x


class RRDBNet(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, scale: int, features: int, blocks: int, growth: int,
                 body: BlockMaker, attention: BlockMaker, fusion: BlockMaker, upsampler: BlockMaker):
        super().__init__()
        self.scale = scale
        # BasicSR's ×2 and ×1: pixel-unshuffle by 2 or 4 first, then the ×4 network (not with a custom upsampler)
        self.unshuffle = UNSHUFFLE[scale] if upsampler is None else 1
        self.size_multiple = self.unshuffle  # the tiler pads tiles to it
        # LR pixels seen by one output pixel: 3×3 convs at the unshuffled resolution (15 per RRDB), times the unshuffle
        self.receptive_field = (2 * (15 * blocks + 2) + 1) * self.unshuffle
        self.conv_first = nn.Conv2d(in_channels * self.unshuffle ** 2, features, 3, padding=1)
        self.fusion = fusion(features) if fusion else nn.Identity()
        if body is not None:
            units = [nn.Sequential(body(features), attention(features)) if attention else body(features) for _ in range(blocks)]
        else:
            units = [RRDB(features, growth, attention) for _ in range(blocks)]
        self.body = nn.Sequential(*units)
        self.conv_body = nn.Conv2d(features, features, 3, padding=1)
        if upsampler is not None:
            self.upsampler = upsampler(features, scale)
        else:
            self.conv_up1 = nn.Conv2d(features, features, 3, padding=1)
            self.conv_up2 = nn.Conv2d(features, features, 3, padding=1)
        self.conv_hr = nn.Conv2d(features, features, 3, padding=1)
        self.conv_last = nn.Conv2d(features, out_channels, 3, padding=1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def upsample(self, feat: torch.Tensor) -> torch.Tensor:
        if hasattr(self, "upsampler"):
            return self.upsampler(feat)
        feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.unshuffle > 1:
            if x.shape[-2] % self.unshuffle or x.shape[-1] % self.unshuffle:
                rule = "even" if self.unshuffle == 2 else f"multiples of {self.unshuffle}"
                raise ValueError(f"rrdbnet ×{4 // self.unshuffle} pixel-unshuffles its input by {self.unshuffle}: "
                                 f"height and width must be {rule}, got {tuple(x.shape[-2:])}")
            x = F.pixel_unshuffle(x, self.unshuffle)
        feat = self.fusion(self.conv_first(x))
        feat = feat + self.conv_body(self.body(feat))
        return self.conv_last(self.lrelu(self.conv_hr(self.upsample(feat))))


def rrdbnet(in_channels: int = 3, out_channels: int = 3, scale: int = 4, features: int = 64, blocks: int = 23,
            growth: int = 32, weights: str | None = None, body: BlockMaker = None, attention: BlockMaker = None,
            fusion: BlockMaker = None, upsampler: BlockMaker = None) -> RRDBNet:
    """RRDBNet (ESRGAN); ``scale`` 1, 2 or 4 (1 and 2 pixel-unshuffle the input by 4 and 2 first,
    as BasicSR does, so height and width must be multiples of 4 and 2), any scale a custom
    ``upsampler`` block supports.
    Output is linear (no tanh). ``weights``: a ``.pth``/``.pt``/``.safetensors`` file in the
    BasicSR or original-ESRGAN layout, loaded strictly at build time. ``attention`` acts inside
    every RRDB; ``body`` replaces the RRDB trunk unit; ``fusion`` follows ``conv_first``."""
    if upsampler is None and scale not in UNSHUFFLE:
        raise ValueError(f"rrdbnet upsamples ×4 (×2 and ×1 after a pixel-unshuffle): scale must be 1, 2 or 4, not {scale}")
    if blocks < 1 or features < 1 or growth < 1:
        raise ValueError("blocks, features and growth must be at least 1")
    model = RRDBNet(in_channels, out_channels, scale, features, blocks, growth, body, attention, fusion, upsampler)
    if weights is not None:
        from srzoo_esrgan.weights import load_rrdbnet_weights

        load_rrdbnet_weights(model, weights)
    return model


def rrdb(channels: int, growth: int = 32) -> RRDB:
    """The RRDB as a ``body`` block: three dense blocks with ``growth`` channels, residual 0.2."""
    if growth < 1:
        raise ValueError(f"growth must be at least 1, not {growth}")
    return RRDB(channels, growth)
