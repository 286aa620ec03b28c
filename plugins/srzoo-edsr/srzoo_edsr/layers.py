"""Pieces EDSR and MSRResNet share, laid out so their state-dict keys are BasicSR's: the residual
block without batch norm and the trunk builder (the mean shift and the pixel-shuffle upsampler
are :mod:`srzoo_core.layers`)."""

from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import nn

BlockMaker = Optional[Callable[..., nn.Module]]


@torch.no_grad()
def scaled_kaiming_(modules: list[nn.Module], scale: float) -> None:
    """BasicSR's ``default_init_weights``: Kaiming normal scaled down, zero bias (for residual nets
    whose blocks should start close to the identity)."""
    for module in modules:
        for conv in (m for m in module.modules() if isinstance(m, nn.Conv2d)):
            nn.init.kaiming_normal_(conv.weight)
            conv.weight.mul_(scale)
            if conv.bias is not None:
                conv.bias.zero_()


class ResidualBlockNoBN(nn.Module):
    """conv-ReLU-conv, scaled by ``res_scale`` and added to the input; an ``attention`` block, if
    given, acts on the branch before the scaling."""

    def __init__(self, features: int, res_scale: float = 1.0, attention: BlockMaker = None, init_scale: float | None = None):
        super().__init__()
        self.res_scale = res_scale
        self.conv1 = nn.Conv2d(features, features, 3, padding=1)
        self.conv2 = nn.Conv2d(features, features, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        if init_scale is not None:
            scaled_kaiming_([self.conv1, self.conv2], init_scale)
        self.attention = attention(features) if attention else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.attention(self.conv2(self.relu(self.conv1(x)))) * self.res_scale


def make_trunk(blocks: int, features: int, unit: Callable[[], nn.Module], body: BlockMaker, attention: BlockMaker) -> nn.Sequential:
    """``blocks`` trunk units: the architecture's own (``unit()``), or the ``body`` block followed by
    the ``attention`` block when one is given."""
    if body is None:
        return nn.Sequential(*(unit() for _ in range(blocks)))
    return nn.Sequential(*(nn.Sequential(body(features), attention(features)) if attention else body(features) for _ in range(blocks)))


def check_sizes(**sizes: int) -> None:
    small = [f"{name}={value}" for name, value in sizes.items() if value < 1]
    if small:
        raise ValueError(f"{', '.join(small)}: must be at least 1")
