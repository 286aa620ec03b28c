"""HAT's three attentions: window self-attention with a relative position bias, the channel
attention block (CAB) beside it, and overlapping cross-attention (OCAB), whose query windows
attend to larger, overlapping key/value windows."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srzoo_core.layers import Mlp, window_partition, window_reverse


def _bias(table: torch.Tensor, index: torch.Tensor, queries: int, keys: int) -> torch.Tensor:
    """(1, heads, queries, keys) relative-position bias gathered from ``table``."""
    return table[index.view(-1)].view(queries, keys, -1).permute(2, 0, 1).contiguous().unsqueeze(0)


class WindowAttention(nn.Module):
    """Multi-head self-attention in each window plus a learned bias per head and offset; the
    index into the (2·window − 1)² table is the model's shared ``relative_position_index_SA``."""

    def __init__(self, dim: int, window: int, heads: int):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, index: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn + _bias(self.relative_position_bias_table, index, n, n)
        if mask is not None:
            windows = mask.shape[0]
            attn = attn.view(b // windows, windows, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, n, n)
        return self.proj((attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c))


class ChannelAttention(nn.Module):
    """RCAN's squeeze-and-excitation: x · sigmoid(conv(relu(conv(mean over H, W))))."""

    def __init__(self, dim: int, squeeze_factor: int):
        super().__init__()
        self.attention = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(dim, dim // squeeze_factor, 1), nn.ReLU(inplace=True),
                                       nn.Conv2d(dim // squeeze_factor, dim, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.attention(x)


class CAB(nn.Module):
    """Channel attention block: 3×3 conv to dim / compress_ratio, GELU, 3×3 conv back, channel attention."""

    def __init__(self, dim: int, compress_ratio: int, squeeze_factor: int):
        super().__init__()
        self.cab = nn.Sequential(nn.Conv2d(dim, dim // compress_ratio, 3, 1, 1), nn.GELU(),
                                 nn.Conv2d(dim // compress_ratio, dim, 3, 1, 1), ChannelAttention(dim, squeeze_factor))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cab(x)


class OCAB(nn.Module):
    """Overlapping cross-attention block: queries from each window, keys and values from the
    window enlarged by ``overlap_window − window`` pixels (zero-padded at the border), then an
    MLP; both with pre-LayerNorm and a skip."""

    def __init__(self, dim: int, window: int, overlap_window: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.window, self.overlap_window, self.heads = window, overlap_window, heads
        self.scale = (dim // heads) ** -0.5
        # built in the official order, so a seed gives the official initial weights
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, dim * 3)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((window + overlap_window - 1) ** 2, heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor, size: tuple[int, int], index: torch.Tensor) -> torch.Tensor:
        (h, w), (b, _, c) = size, x.shape
        ws, ows, heads, d = self.window, self.overlap_window, self.heads, c // self.heads
        shortcut = x
        qkv = self.qkv(self.norm1(x).view(b, h, w, c)).reshape(b, h, w, 3, c).permute(3, 0, 4, 1, 2)  # 3, B, C, H, W
        queries = window_partition(qkv[0].permute(0, 2, 3, 1), ws).view(-1, ws * ws, c)
        kv = F.unfold(torch.cat((qkv[1], qkv[2]), dim=1), (ows, ows), stride=ws, padding=(ows - ws) // 2)  # B, 2C·ows², windows
        kv = kv.view(b, 2, c, ows, ows, -1).permute(1, 0, 5, 3, 4, 2).reshape(2, -1, ows * ows, c).contiguous()
        n_windows = queries.shape[0]
        q = queries.reshape(n_windows, ws * ws, heads, d).permute(0, 2, 1, 3)
        k, v = (t.reshape(n_windows, ows * ows, heads, d).permute(0, 2, 1, 3) for t in kv)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn + _bias(self.relative_position_bias_table, index, ws * ws, ows * ows)
        out = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(n_windows, ws * ws, c)
        x = self.proj(window_reverse(out.view(-1, ws, ws, c), ws, h, w).view(b, h * w, c)) + shortcut
        return x + self.mlp(self.norm2(x))
