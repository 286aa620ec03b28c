"""SwinIR's trunk: Swin transformer blocks (window attention, shifted every other block) grouped
into residual Swin transformer blocks (RSTB), each closed by a convolution and a skip."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from srzoo_core.layers import (
    DropPath,
    Mlp,
    shift_mask,
    window_partition,
    window_reverse,
)
from srzoo_swinir.windows import WindowAttention

BlockMaker = Callable[..., nn.Module] | None


class SwinBlock(nn.Module):
    """LayerNorm → (shifted) window attention → skip, LayerNorm → MLP → skip, on (B, H·W, C)
    tokens. A shifted block keeps the mask for the training size ``img_size`` as a persistent
    buffer ``attn_mask``, as the official code does (its files hold it)."""

    def __init__(self, dim: int, heads: int, window: int, shift: int, mlp_ratio: float, drop_path: float, img_size: int):
        super().__init__()
        self.window, self.shift = window, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window, heads)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.img_size = img_size
        self.register_buffer("attn_mask", shift_mask(img_size, img_size, window, shift) if shift else None)

    def forward(self, x: torch.Tensor, size: tuple[int, int], mask: torch.Tensor | None) -> torch.Tensor:
        h, w = size
        b, _, c = x.shape
        shortcut = x
        x = self.norm1(x).view(b, h, w, c)
        if self.shift:
            x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
            if size == (self.img_size, self.img_size):
                mask = self.attn_mask
        else:
            mask = None
        windows = window_partition(x, self.window).view(-1, self.window * self.window, c)
        x = window_reverse(self.attn(windows, mask).view(-1, self.window, self.window, c), self.window, h, w)
        if self.shift:
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
        x = shortcut + self.drop_path(x.view(b, h * w, c))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class SwinGroup(nn.Module):
    """The ``residual_group`` of an RSTB: its blocks, in official key order."""

    def __init__(self, blocks: list[SwinBlock]):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor, size: tuple[int, int], mask: torch.Tensor | None) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, size, mask)
        return x


def residual_conv(dim: int, kind: str) -> nn.Module:
    """The conv closing an RSTB and the trunk: one 3×3 conv (``1conv``), or SwinIR-L's cheaper
    3×3 → 1×1 → 3×3 through dim / 4 channels (``3conv``)."""
    if kind == "1conv":
        return nn.Conv2d(dim, dim, 3, 1, 1)
    quarter = dim // 4
    return nn.Sequential(nn.Conv2d(dim, quarter, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(quarter, quarter, 1),
                         nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(quarter, dim, 3, 1, 1))


class RSTB(nn.Module):
    """Residual Swin transformer block: tokens → blocks → image → conv (→ attention slot) →
    tokens, plus the input."""

    def __init__(self, group: SwinGroup, dim: int, resi_connection: str, attention: BlockMaker):
        super().__init__()
        self.residual_group = group
        self.conv = residual_conv(dim, resi_connection)
        self.attention = attention(dim) if attention else nn.Identity()

    def forward(self, x: torch.Tensor, size: tuple[int, int], mask: torch.Tensor | None) -> torch.Tensor:
        b, _, c = x.shape
        image = self.residual_group(x, size, mask).transpose(1, 2).view(b, c, *size)
        return self.attention(self.conv(image)).flatten(2).transpose(1, 2) + x
