"""Window machinery of the Swin transformer as SwinIR uses it: (shifted) window partitions, the
relative-position index, the shifted-window mask, window self-attention with a learned relative
position bias, the MLP, stochastic depth, and padding to a multiple of the window.

Operations run in the order of the official code so results agree with it to the last bit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# added to the attention logits of token pairs that the cyclic shift brought together from
# different image regions; the official value, not -inf, so it must stay -100
MASKED = -100.0


def window_partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """(B, H, W, C) → (B·windows, window, window, C), windows in row-major order per image."""
    b, h, w, c = x.shape
    x = x.view(b, h // window, window, w // window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window, window, c)


def window_reverse(windows: torch.Tensor, window: int, h: int, w: int) -> torch.Tensor:
    """The inverse of :func:`window_partition`: (B·windows, window, window, C) → (B, H, W, C)."""
    b = windows.shape[0] // ((h // window) * (w // window))
    x = windows.view(b, h // window, w // window, window, window, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(b, h, w, -1)


def relative_position_index(window: int) -> torch.Tensor:
    """(window², window²) row of the bias table for each query/key pair: the pair's offset
    (dy, dx), each shifted into [0, 2·window − 2], flattened row-major."""
    y, x = torch.meshgrid(torch.arange(window, device="cpu"), torch.arange(window, device="cpu"), indexing="ij")
    y, x = y.flatten(), x.flatten()
    dy = y[:, None] - y[None, :] + window - 1
    dx = x[:, None] - x[None, :] + window - 1
    return dy * (2 * window - 1) + dx


def shift_mask(h: int, w: int, window: int, shift: int) -> torch.Tensor:
    """(windows, window², window²) additive mask for the shifted windows of an h×w map: after the
    cyclic shift a window may hold pixels of up to four regions that were not neighbours; pairs
    from different regions get :data:`MASKED`, others 0."""
    def bands(length: int) -> torch.Tensor:
        band = torch.zeros(length, device="cpu")
        band[length - window:] = 1
        band[length - shift:] = 2
        return band

    regions = (bands(h)[:, None] * 3 + bands(w)[None, :]).view(1, h, w, 1)
    labels = window_partition(regions, window).view(-1, window * window)
    different = labels.unsqueeze(1) != labels.unsqueeze(2)
    return torch.zeros(different.shape, device="cpu").masked_fill(different, MASKED)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad bottom and right to a multiple of ``multiple``: reflected, as the official code does;
    replicated when the image is too small to reflect that far."""
    pad_h, pad_w = (-x.shape[-2]) % multiple, (-x.shape[-1]) % multiple
    if not (pad_h or pad_w):
        return x
    mode = "reflect" if pad_h < x.shape[-2] and pad_w < x.shape[-1] else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode)


class DropPath(nn.Module):
    """Stochastic depth: in training, drop the whole residual branch of a sample with probability
    ``rate`` and scale the kept ones by 1 / (1 − rate)."""

    def __init__(self, rate: float):
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = 1 - self.rate
        mask = (keep + torch.rand((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device)).floor_()
        return x.div(keep) * mask


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class WindowAttention(nn.Module):
    """Multi-head self-attention inside each window, plus a learned bias per head and relative
    offset (a table of (2·window − 1)² rows). The index into the table is a persistent buffer,
    as in the official code, so official files load with ``strict=True``."""

    def __init__(self, dim: int, window: int, heads: int):
        super().__init__()
        self.window, self.heads = window, heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        self.register_buffer("relative_position_index", relative_position_index(window))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1)
        attn = attn + bias.permute(2, 0, 1).contiguous().unsqueeze(0)
        if mask is not None:
            windows = mask.shape[0]
            attn = attn.view(b // windows, windows, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, n, n)
        return self.proj((attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c))
