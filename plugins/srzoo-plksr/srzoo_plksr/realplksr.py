"""RealPLKSR, PLKSR for real-world degradations (neosr; traiNNer-redux added layer norm and
DySample), with their state-dict keys: ``feats.0`` (3×3), ``feats.1`` … ``feats.<n_blocks>``
(blocks), ``feats.<n_blocks + 1>`` (Dropout2d, no weights), ``feats.<n_blocks + 2>`` (3×3 to
``out·scale²``), ``to_img`` (PixelShuffle, or DySample's ``end_conv``/``offset``/``scope``/``init_pos``).

A block: [``layer_norm``] → ``channel_mixer`` (3×3 to 2·dim, Mish, 3×3) → ``lk`` (k×k conv on
the first ``int(dim·split_ratio)`` channels) → [``attn``: element-wise attention] → ``refine``
(1×1) → [``norm``: GroupNorm, when there is no layer norm] → + input.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from srzoo_plksr._parts import (
    EA,
    BlockMaker,
    LargeKernelSR,
    PLKConv2d,
    check_options,
    resolve_preset,
    small_init,
    trunk_block,
)
from srzoo_plksr.dysample import DySample

PRESETS = {"base": (64, 28, 17, True), "tiny": (64, 12, 13, False), "large": (96, 28, 17, True)}


class LayerNorm(nn.Module):
    """Layer norm over the channels of an (N, C, H, W) tensor (traiNNer-redux's; eps 1e-6)."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        centred = x - x.mean(1, keepdim=True)
        x = centred / torch.sqrt(centred.pow(2).mean(1, keepdim=True) + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class PLKBlock(nn.Module):
    def __init__(self, dim: int, kernel_size: int, partial: int, use_ea: bool, norm_groups: int, layer_norm: bool,
                 attention: BlockMaker):
        super().__init__()
        self.layer_norm = LayerNorm(dim) if layer_norm else nn.Identity()
        self.channel_mixer = nn.Sequential(nn.Conv2d(dim, dim * 2, 3, 1, 1), nn.Mish(), small_init(nn.Conv2d(dim * 2, dim, 3, 1, 1)))
        self.lk = PLKConv2d(partial, kernel_size)
        self.attn = EA(dim) if use_ea else nn.Identity()
        self.refine = small_init(nn.Conv2d(dim, dim, 1, 1, 0))
        self.norm = nn.Identity() if layer_norm else nn.GroupNorm(norm_groups, dim)
        self.attention = attention(dim) if attention else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.attention(self.attn(self.lk(self.channel_mixer(self.layer_norm(x)))))
        return self.norm(self.refine(y)) + x


def realplksr(in_channels: int = 3, out_channels: int = 3, scale: int = 4, preset: Literal["base", "tiny", "large"] = "base",
              dim: int | None = None, n_blocks: int | None = None, kernel_size: int | None = None, split_ratio: float = 0.25,
              use_ea: bool | None = None, norm_groups: int = 4, layer_norm: bool = False, dropout: float = 0.0,
              dysample: bool = False, body: BlockMaker = None, attention: BlockMaker = None, fusion: BlockMaker = None) -> LargeKernelSR:
    """RealPLKSR, scales 2, 3, 4; linear output.

    Presets (dim, n_blocks, kernel_size, use_ea): ``base`` 64, 28, 17, on (neosr/traiNNer-redux
    ``realplksr``); ``tiny`` 64, 12, 13, off (``realplksr_tiny`` / neosr ``realplksr_s``);
    ``large`` 96, 28, 17, on (``realplksr_large`` / ``realplksr_l``); explicit options override.
    ``layer_norm``: a LayerNorm at the start of each block instead of the GroupNorm
    (``norm_groups`` groups) at its end — traiNNer-redux's default, off in neosr. ``dropout``:
    Dropout2d before the last conv (training only). ``dysample``: DySample instead of PixelShuffle.
    Slots: ``body`` replaces the block, ``attention`` follows the element-wise attention in each
    block, ``fusion`` follows ``feats.0``."""
    dim, n_blocks, kernel_size, use_ea = resolve_preset(PRESETS, preset, dim, n_blocks, kernel_size, use_ea)
    partial = check_options(scale, dim, n_blocks, kernel_size, split_ratio)
    if not layer_norm and (norm_groups < 1 or dim % norm_groups):
        raise ValueError(f"norm_groups must divide dim: {norm_groups} does not divide {dim}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), not {dropout}")

    def to_img() -> nn.Module:
        if dysample:
            return DySample(out_channels * scale ** 2, out_channels, scale, out_channels if scale % 2 else 4)
        return nn.PixelShuffle(scale)

    block = trunk_block(lambda: PLKBlock(dim, kernel_size, partial, use_ea, norm_groups, layer_norm, attention), body, attention, dim)
    radius = 2 + kernel_size // 2 + (1 if use_ea else 0)
    return LargeKernelSR(in_channels, out_channels, scale, dim, n_blocks, block, dropout, to_img, fusion, radius)
