"""Window machinery shared by HAT's attention blocks: window partitions, relative-position
indices (square windows, and query windows against the larger overlapping key windows), the
shifted-window mask, stochastic depth, and padding to a multiple of the window.

Operations run in the order of the official code so results agree with it to the last bit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# added to the logits of token pairs the cyclic shift brought together from different regions;
# the official value, not -inf
MASKED = -100.0


def window_partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """(B, H, W, C) → (B·windows, window, window, C), windows in row-major order per image."""
    b, h, w, c = x.shape
    x = x.view(b, h // window, window, w // window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window, window, c)


def window_reverse(windows: torch.Tensor, window: int, h: int, w: int) -> torch.Tensor:
    """The inverse of :func:`window_partition`."""
    b = windows.shape[0] // ((h // window) * (w // window))
    x = windows.view(b, h // window, w // window, window, window, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(b, h, w, -1)


def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    y, x = torch.meshgrid(torch.arange(size, device="cpu"), torch.arange(size, device="cpu"), indexing="ij")
    return y.flatten(), x.flatten()


def self_attention_index(window: int) -> torch.Tensor:
    """(window², window²) row of the (2·window − 1)² bias table for each query/key offset."""
    y, x = _grid(window)
    dy = y[:, None] - y[None, :] + window - 1
    dx = x[:, None] - x[None, :] + window - 1
    return dy * (2 * window - 1) + dx


def overlap_attention_index(window: int, overlap_window: int) -> torch.Tensor:
    """(window², overlap_window²) rows of the (window + overlap_window − 1)² bias table for a query
    window against its overlapping key window. As in the official code the key-minus-query offset
    is shifted by window − overlap_window + 1, so some indices are negative and count from the
    table's end; pretrained tables were learned with exactly these indices."""
    qy, qx = _grid(window)
    ky, kx = _grid(overlap_window)
    shift = window - overlap_window + 1
    dy = ky[None, :] - qy[:, None] + shift
    dx = kx[None, :] - qx[:, None] + shift
    return dy * (window + overlap_window - 1) + dx


def shift_mask(h: int, w: int, window: int, shift: int) -> torch.Tensor:
    """(windows, window², window²) additive mask for shifted windows: pairs from regions that the
    cyclic shift made neighbours get :data:`MASKED`, others 0."""
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
    """Pad bottom and right to a multiple of ``multiple``, reflected as the official test code
    does; replicated when the image is too small to reflect that far."""
    pad_h, pad_w = (-x.shape[-2]) % multiple, (-x.shape[-1]) % multiple
    if not (pad_h or pad_w):
        return x
    mode = "reflect" if pad_h < x.shape[-2] and pad_w < x.shape[-1] else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode)


class DropPath(nn.Module):
    """Stochastic depth: in training, drop a sample's residual branch with probability ``rate``."""

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
