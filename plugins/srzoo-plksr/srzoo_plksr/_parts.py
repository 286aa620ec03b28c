"""What PLKSR (Lee, Yun & Ro, "Partial Large Kernel CNNs for Efficient Super-Resolution", 2024) and its
RealPLKSR descendant share: the partial large-kernel conv, element-wise attention and the network
around the trunk.

The network is ``feats`` — a 3×3 conv, ``n_blocks`` trunk blocks, (RealPLKSR: a Dropout2d), a 3×3
conv to ``out·scale²`` channels — plus the input repeated ``scale²`` times along channels (after
the pixel shuffle: its nearest-neighbour upscaling), then ``to_img``. The published models have
as many outputs as inputs; for other channel counts a bias-free 1×1 conv ``skip`` maps the input
to the output channels first (a key the published files do not have, as they cannot need it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

import torch
from torch import nn
from torch.nn.init import trunc_normal_

BlockMaker = Optional[Callable[..., nn.Module]]
SCALES = (2, 3, 4)


def small_init(conv: nn.Conv2d) -> nn.Conv2d:
    """The published initialisation of the convs that feed a residual sum: truncated normal, std 0.02."""
    trunc_normal_(conv.weight, std=0.02)
    return conv


class PLKConv2d(nn.Module):
    """A k×k conv over the first ``channels`` channels of its input; the rest pass through."""

    def __init__(self, channels: int, kernel_size: int):
        super().__init__()
        self.conv = small_init(nn.Conv2d(channels, channels, kernel_size, 1, kernel_size // 2))
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.conv(x[:, : self.channels]), x[:, self.channels:]], 1)


class EA(nn.Module):
    """Element-wise attention: x · sigmoid(conv3×3(x))."""

    def __init__(self, dim: int):
        super().__init__()
        self.f = nn.Sequential(small_init(nn.Conv2d(dim, dim, 3, 1, 1)), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.f(x)


class LargeKernelSR(nn.Module):
    size_multiple = 1

    def __init__(self, in_channels: int, out_channels: int, scale: int, dim: int, n_blocks: int,
                 make_block: Callable[[], nn.Module], dropout: float | None, make_to_img: Callable[[], nn.Module],
                 fusion: BlockMaker, block_radius: int):
        super().__init__()
        self.scale = scale
        dropouts = [] if dropout is None else [nn.Dropout2d(dropout)]
        self.feats = nn.Sequential(nn.Conv2d(in_channels, dim, 3, 1, 1), *[make_block() for _ in range(n_blocks)],
                                   *dropouts, nn.Conv2d(dim, out_channels * scale ** 2, 3, 1, 1))
        small_init(self.feats[0])
        small_init(self.feats[-1])
        self.to_img = make_to_img()
        self.fusion = fusion(dim) if fusion else nn.Identity()
        if in_channels != out_channels:
            self.skip = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.receptive_field = 2 * (n_blocks * block_radius + 2) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.skip(x) if hasattr(self, "skip") else x
        features = self.feats[1:](self.fusion(self.feats[0](x)))
        return self.to_img(features + torch.repeat_interleave(shortcut, self.scale ** 2, dim=1))


def trunk_block(make: Callable[[], nn.Module], body: BlockMaker, attention: BlockMaker, dim: int) -> Callable[[], nn.Module]:
    """The trunk unit: the published block, or a ``body`` block (followed by ``attention`` if given)."""
    if body is None:
        return make
    return lambda: nn.Sequential(body(dim), attention(dim)) if attention else body(dim)


def resolve_preset(presets: dict[str, tuple], preset: str, *explicit: object) -> tuple:
    """The preset's (dim, n_blocks, kernel_size, use_ea), each replaced by an explicit option that is not None."""
    if preset not in presets:
        raise ValueError(f"preset must be one of {', '.join(presets)}, not {preset!r}")
    return tuple(given if given is not None else default for given, default in zip(explicit, presets[preset]))


def check_options(scale: int, dim: int, n_blocks: int, kernel_size: int, split_ratio: float) -> int:
    """The large-kernel conv's channel count, ``int(dim · split_ratio)``, after validating the options."""
    if scale not in SCALES:
        raise ValueError(f"supported scales are {', '.join(map(str, SCALES))}, not {scale}")
    if dim < 1 or n_blocks < 1:
        raise ValueError(f"dim and n_blocks must be at least 1, not {dim} and {n_blocks}")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and positive, not {kernel_size}")
    partial = int(dim * split_ratio)
    if not 1 <= partial <= dim:
        raise ValueError(f"split_ratio {split_ratio} gives {partial} of {dim} channels to the large kernel; it needs 1 to {dim}")
    return partial
