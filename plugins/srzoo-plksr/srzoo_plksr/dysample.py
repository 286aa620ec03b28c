"""DySample (Liu et al., "Learning to Upsample by Learning to Sample", ICCV 2023) as RealPLKSR's
optional upsampler, with the keys of the version in neosr / traiNNer-redux / spandrel
(``end_conv``, ``offset``, ``scope``, buffer ``init_pos``).

Every output pixel bilinearly samples the input at its own sub-pixel position plus a learned
offset, ``offset(x) · sigmoid(scope(x)) / 2`` (input pixels), shared within each channel group;
a 1×1 ``end_conv`` then maps the sampled channels to the output channels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class DySample(nn.Module):
    def __init__(self, channels: int, out_channels: int, scale: int, groups: int):
        super().__init__()
        if channels % groups:
            raise ValueError(f"dysample splits {channels} channels into {groups} groups: they must divide evenly")
        self.scale, self.groups = scale, groups
        self.end_conv = nn.Conv2d(channels, out_channels, 1)
        self.offset = nn.Conv2d(channels, 2 * groups * scale ** 2, 1)
        self.scope = nn.Conv2d(channels, 2 * groups * scale ** 2, 1, bias=False)
        nn.init.trunc_normal_(self.offset.weight, std=0.02)
        nn.init.zeros_(self.scope.weight)
        # where each of the scale×scale outputs of an input pixel sits, in input pixels from its centre:
        # channels are (x then y) × group × (row, column) of the sub-pixel
        step = (torch.arange(scale) - (scale - 1) / 2) / scale
        position = torch.stack([step.repeat(scale), step.repeat_interleave(scale)])
        self.register_buffer("init_pos", position.repeat(1, groups).reshape(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        s, g = self.scale, self.groups
        offset = (self.offset(x) * self.scope(x).sigmoid() * 0.5 + self.init_pos).view(n, 2, -1, h, w)
        rows, cols = torch.meshgrid(torch.arange(h, device=x.device) + 0.5, torch.arange(w, device=x.device) + 0.5, indexing="ij")
        centres = torch.stack([cols, rows]).to(x.dtype).view(1, 2, 1, h, w)
        size = torch.tensor([w, h], dtype=x.dtype, device=x.device).view(1, 2, 1, 1, 1)
        grid = 2 * (centres + offset) / size - 1  # grid_sample's [-1, 1] coordinates
        grid = F.pixel_shuffle(grid.reshape(n, -1, h, w), s).view(n, 2, g, s * h, s * w)
        grid = grid.permute(0, 2, 3, 4, 1).reshape(n * g, s * h, s * w, 2)
        sampled = F.grid_sample(x.reshape(n * g, c // g, h, w), grid.to(x.dtype), mode="bilinear",
                                padding_mode="border", align_corners=False)
        return self.end_conv(sampled.view(n, c, s * h, s * w))
