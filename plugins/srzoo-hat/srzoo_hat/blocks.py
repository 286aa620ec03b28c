"""HAT's trunk: hybrid attention blocks (HAB: window self-attention plus a scaled channel-attention
conv branch) followed by an OCAB in each residual hybrid attention group (RHAG)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from srzoo_core.layers import DropPath, Mlp, window_partition, window_reverse
from srzoo_hat.attention import CAB, OCAB, WindowAttention

BlockMaker = Callable[..., nn.Module] | None


class HAB(nn.Module):
    """x + attention(LN x) + conv_scale · CAB(LN x), then x + MLP(LN x); every other block shifts
    its windows by half a window."""

    def __init__(self, dim: int, heads: int, window: int, shift: int, compress_ratio: int, squeeze_factor: int,
                 conv_scale: float, mlp_ratio: float, drop_path: float):
        super().__init__()
        self.window, self.shift, self.conv_scale = window, shift, conv_scale
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window, heads)
        self.conv_block = CAB(dim, compress_ratio, squeeze_factor)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor, size: tuple[int, int], index: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        (h, w), (b, _, c), ws = size, x.shape, self.window
        shortcut = x
        x = self.norm1(x).view(b, h, w, c)
        conv_x = self.conv_block(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).contiguous().view(b, h * w, c)
        if self.shift:
            x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
        windows = window_partition(x, ws).view(-1, ws * ws, c)
        x = window_reverse(self.attn(windows, index, mask if self.shift else None).view(-1, ws, ws, c), ws, h, w)
        if self.shift:
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
        x = shortcut + self.drop_path(x.view(b, h * w, c)) + conv_x * self.conv_scale
        return x + self.drop_path(self.mlp(self.norm2(x)))


class AttentionBlocks(nn.Module):
    """The ``residual_group`` of an RHAG: its HABs, then the OCAB ``overlap_attn``."""

    def __init__(self, blocks: list[HAB], overlap_attn: OCAB):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.overlap_attn = overlap_attn

    def forward(self, x: torch.Tensor, size: tuple[int, int], indices: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, size, indices[0], mask)
        return self.overlap_attn(x, size, indices[1])


class RHAG(nn.Module):
    """Residual hybrid attention group: tokens → blocks → image → conv (→ attention slot) → tokens,
    plus the input."""

    def __init__(self, group: AttentionBlocks, dim: int, resi_connection: str, attention: BlockMaker):
        super().__init__()
        self.residual_group = group
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1) if resi_connection == "1conv" else nn.Identity()
        self.attention = attention(dim) if attention else nn.Identity()

    def forward(self, x: torch.Tensor, size: tuple[int, int], indices: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        b, _, c = x.shape
        image = self.residual_group(x, size, indices, mask).transpose(1, 2).contiguous().view(b, c, *size)
        return self.attention(self.conv(image)).flatten(2).transpose(1, 2) + x
