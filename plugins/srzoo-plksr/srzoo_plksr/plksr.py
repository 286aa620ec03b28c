"""PLKSR (Lee, Yun & Ro, "Partial Large Kernel CNNs for Efficient Super-Resolution", 2024), with the
official code's keys (github.com/dslisleedh/PLKSR, ``plksr/archs/plksr_arch.py``): ``feats.0``
(3×3), ``feats.1`` … ``feats.<n_blocks>`` (blocks), ``feats.<n_blocks + 1>`` (3×3 to
``out·scale²``), then PixelShuffle. The block's mixer keeps the official spelling ``channe_mixer``.

A block: ``channe_mixer`` (CCM: 3×3 to 2·dim, GELU, 1×1; ICCM: 1×1, GELU, 3×3; DCCM: 3×3, GELU,
3×3) → ``lk`` (k×k conv on the first ``int(dim·split_ratio)`` channels) → [``attn``: element-wise
attention] → ``refine`` (1×1) → + input. Only the paper's PLK large-kernel conv is provided (not
the SparsePLK / RectSparsePLK ablations), without the training-time identity (``with_idt``).
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

PRESETS = {"base": (64, 28, 17, True), "tiny": (64, 12, 13, False)}
MIXER_KERNELS = {"CCM": (3, 1), "ICCM": (1, 3), "DCCM": (3, 3)}


class PLKBlock(nn.Module):
    def __init__(self, dim: int, mixer: str, kernel_size: int, partial: int, use_ea: bool, attention: BlockMaker):
        super().__init__()
        first, second = MIXER_KERNELS[mixer]
        self.channe_mixer = nn.Sequential(nn.Conv2d(dim, dim * 2, first, 1, first // 2), nn.GELU(),
                                          small_init(nn.Conv2d(dim * 2, dim, second, 1, second // 2)))
        self.lk = PLKConv2d(partial, kernel_size)
        self.attn = EA(dim) if use_ea else nn.Identity()
        self.refine = small_init(nn.Conv2d(dim, dim, 1, 1, 0))
        self.attention = attention(dim) if attention else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.refine(self.attention(self.attn(self.lk(self.channe_mixer(x))))) + x


def plksr(in_channels: int = 3, out_channels: int = 3, scale: int = 4, preset: Literal["base", "tiny"] = "base",
          dim: int | None = None, n_blocks: int | None = None, kernel_size: int | None = None, split_ratio: float = 0.25,
          use_ea: bool | None = None, ccm_type: Literal["CCM", "ICCM", "DCCM"] = "DCCM",
          body: BlockMaker = None, attention: BlockMaker = None, fusion: BlockMaker = None) -> LargeKernelSR:
    """PLKSR, scales 2, 3, 4; linear output.

    Presets (dim, n_blocks, kernel_size, use_ea): ``base`` 64, 28, 17, on (PLKSR_X*_DIV2K);
    ``tiny`` 64, 12, 13, off (PLKSR_tiny_X4_DIV2K); explicit options override. ``ccm_type``: the
    channel mixer (DCCM published). Slots: ``body`` replaces the block, ``attention`` follows the
    element-wise attention in each block, ``fusion`` follows ``feats.0``."""
    dim, n_blocks, kernel_size, use_ea = resolve_preset(PRESETS, preset, dim, n_blocks, kernel_size, use_ea)
    partial = check_options(scale, dim, n_blocks, kernel_size, split_ratio)
    if ccm_type not in MIXER_KERNELS:
        raise ValueError(f"ccm_type must be one of {', '.join(MIXER_KERNELS)}, not {ccm_type!r}")
    block = trunk_block(lambda: PLKBlock(dim, ccm_type, kernel_size, partial, use_ea, attention), body, attention, dim)
    radius = sum(k // 2 for k in MIXER_KERNELS[ccm_type]) + kernel_size // 2 + (1 if use_ea else 0)
    return LargeKernelSR(in_channels, out_channels, scale, dim, n_blocks, block, None, lambda: nn.PixelShuffle(scale), fusion, radius)
