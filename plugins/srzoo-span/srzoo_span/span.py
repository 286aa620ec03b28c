"""SPAN, the Swift Parameter-free Attention Network (Wan et al., "Swift Parameter-free Attention
Network for Efficient Super-Resolution", CVPR workshops 2024; first in the NTIRE 2024 efficient-SR
challenge), with the state-dict keys of the official code (github.com/hongyuanyu/SPAN,
``basicsr/archs/span_arch.py``) and of traiNNer-redux's variant (``blocks``, ``no_norm``).

``conv_1`` → ``block_1`` … ``block_<blocks>`` → ``conv_2``; ``conv_cat`` (1×1) fuses
[conv_1's output, conv_2's output, block_1's output, the last block's first activation];
``upsampler.0`` (3×3 to ``out·scale²`` channels) + PixelShuffle. Each block (SPAB) is three
Conv3XC with SiLU between them and the parameter-free attention ``(h + x)·(sigmoid(h) − 0.5)``.

Every 3×3 conv is a Conv3XC: it trains as 1×1 → 3×3 (twice the width) → 1×1 plus a 1×1 skip
(``conv.0``, ``conv.1``, ``conv.2``, ``sk``) and runs in eval mode as the one 3×3 conv they
compose to, ``eval_conv``. Published files hold both; as in the official code, the branches are
the truth: ``eval_conv`` is recomputed from them at every eval-mode forward and never trained.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Literal, Optional

import torch
import torch.nn.functional as F
from torch import nn

BlockMaker = Optional[Callable[..., nn.Module]]
RGB_MEAN = (0.4488, 0.4371, 0.4040)  # DIV2K's, as in the official code; used for 3-channel inputs only
PRESETS = {"ch48": 48, "ch52": 52}
SCALES = (2, 3, 4)
_autocast_available = getattr(torch.amp, "is_autocast_available", lambda device: device in ("cpu", "cuda"))  # torch < 2.4


class Conv3XC(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, gain: int = 2):
        super().__init__()
        self.sk = nn.Conv2d(in_channels, out_channels, 1)
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, in_channels * gain, 1),
            nn.Conv2d(in_channels * gain, out_channels * gain, 3),
            nn.Conv2d(out_channels * gain, out_channels, 1),
        )
        self.eval_conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.eval_conv.requires_grad_(False)
        self.fuse()

    @torch.no_grad()
    def fuse(self) -> None:
        """Write into ``eval_conv`` the 3×3 conv equal to the branches (exact: the input is
        zero-padded before the first 1×1, whose bias therefore reaches all nine taps)."""
        first, middle, last = self.conv
        device = self.sk.weight.device.type
        full_precision = torch.autocast(device, enabled=False) if _autocast_available(device) else nullcontext()
        with full_precision:
            w_first, w_last = first.weight[:, :, 0, 0], last.weight[:, :, 0, 0]
            weight = torch.einsum("om,mnhw,ni->oihw", w_last, middle.weight, w_first)
            bias = w_last @ (middle.weight.sum((2, 3)) @ first.bias + middle.bias) + last.bias
            self.eval_conv.weight.copy_(weight + F.pad(self.sk.weight, (1, 1, 1, 1)))
            self.eval_conv.bias.copy_(bias + self.sk.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return self.conv(F.pad(x, (1, 1, 1, 1))) + self.sk(x)
        self.fuse()
        return self.eval_conv(x)


class SPAB(nn.Module):
    """Swift parameter-free attention block. An ``attention`` block acts on the third conv's
    output, before it feeds both the residual sum and the parameter-free gate."""

    def __init__(self, features: int, attention: BlockMaker = None):
        super().__init__()
        self.c1_r = Conv3XC(features, features)
        self.c2_r = Conv3XC(features, features)
        self.c3_r = Conv3XC(features, features)
        self.attention = attention(features) if attention else nn.Identity()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # the official block applies SiLU in place, so its second output is the *activated* c1_r
        first = F.silu(self.c1_r(x))
        branch = self.attention(self.c3_r(F.silu(self.c2_r(first))))
        return (branch + x) * (torch.sigmoid(branch) - 0.5), first


class SPAN(nn.Module):
    size_multiple = 1

    def __init__(self, in_channels: int, out_channels: int, scale: int, features: int, blocks: int, norm: bool,
                 img_range: float, attention: BlockMaker, fusion: BlockMaker, upsampler: BlockMaker):
        super().__init__()
        self.blocks, self.img_range = blocks, img_range
        mean = RGB_MEAN if in_channels == 3 else (0.0,) * in_channels
        self.register_buffer("mean", torch.tensor(mean).view(1, in_channels, 1, 1), persistent=False)
        if not norm:  # traiNNer-redux marks its un-normalised variant with this (persistent) buffer
            self.register_buffer("no_norm", torch.zeros(1))
        self.conv_1 = Conv3XC(in_channels, features)
        self.fusion = fusion(features) if fusion else nn.Identity()
        for i in range(1, blocks + 1):
            setattr(self, f"block_{i}", SPAB(features, attention))
        self.conv_cat = nn.Conv2d(features * 4, features, 1)
        self.conv_2 = Conv3XC(features, features)
        if upsampler is not None:
            self.upsampler = nn.Sequential(upsampler(features, scale), nn.Conv2d(features, out_channels, 3, padding=1))
        else:
            self.upsampler = nn.Sequential(nn.Conv2d(features, out_channels * scale ** 2, 3, padding=1), nn.PixelShuffle(scale))
        self.receptive_field = 6 * blocks + 7  # 3×3 convs: conv_1, three per block, conv_2, upsampler.0

    @property
    def normalised(self) -> bool:
        return not hasattr(self, "no_norm")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.normalised:
            x = (x - self.mean.to(x.dtype)) * self.img_range
        head = self.fusion(self.conv_1(x))
        out, mid = self.block_1(head)
        after_first = out
        for i in range(2, self.blocks + 1):
            out, mid = getattr(self, f"block_{i}")(out)
        out = self.conv_cat(torch.cat([head, self.conv_2(out), after_first, mid], 1))
        return self.upsampler(out)


def span(in_channels: int = 3, out_channels: int = 3, scale: int = 4, preset: Literal["ch48", "ch52"] = "ch48",
         features: int | None = None, blocks: int = 6, norm: bool = True, img_range: float = 255.0,
         attention: BlockMaker = None, fusion: BlockMaker = None, upsampler: BlockMaker = None) -> SPAN:
    """SPAN (Wan et al. 2024), scales 2, 3, 4; linear output (no tanh).

    Presets: ``ch48`` (default; the official spanx2/x3/x4_ch48 models, traiNNer-redux's span_s) and
    ``ch52`` (52 features: spanx4_ch52, traiNNer-redux's span); ``features`` overrides the preset.
    ``blocks`` SPABs (6 published). ``norm``: the official input normalisation
    ``(x − mean)·img_range`` (mean = DIV2K's RGB mean for 3 channels, zero otherwise); ``norm=false``
    feeds the input as it is (traiNNer-redux's default, marked by a ``no_norm`` key).
    Slots: ``fusion`` after conv_1; ``attention`` on each block's third conv, before the
    parameter-free gate; ``upsampler`` replaces upsampler.0 + PixelShuffle (then a 3×3 conv to the output)."""
    if upsampler is None and scale not in SCALES:
        raise ValueError(f"span supports scales {', '.join(map(str, SCALES))}, not {scale}")
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    features = PRESETS[preset] if features is None else features
    if features < 1 or blocks < 1:
        raise ValueError(f"features and blocks must be at least 1, not {features} and {blocks}")
    return SPAN(in_channels, out_channels, scale, features, blocks, norm, img_range, attention, fusion, upsampler)
