"""Pieces EDSR and MSRResNet share, laid out so their state-dict keys are BasicSR's: the residual
block without batch norm, the pixel-shuffle upsampler, the trunk builder, the mean shift."""

from __future__ import annotations

from typing import Callable, Literal, Optional

import torch
from torch import nn

BlockMaker = Optional[Callable[..., nn.Module]]
MeanChoice = Literal["div2k", "none"]
DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)  # BasicSR's default, measured on DIV2K


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


class PixelShuffleUpsample(nn.Sequential):
    """×2ⁿ as n stages of conv (4× the channels) + PixelShuffle(2); ×3 as one conv + PixelShuffle(3)."""

    def __init__(self, features: int, scale: int):
        stages: list[nn.Module] = []
        if scale == 3:
            stages += [nn.Conv2d(features, 9 * features, 3, padding=1), nn.PixelShuffle(3)]
        else:
            for _ in range(scale.bit_length() - 1):
                stages += [nn.Conv2d(features, 4 * features, 3, padding=1), nn.PixelShuffle(2)]
        super().__init__(*stages)


def make_trunk(blocks: int, features: int, unit: Callable[[], nn.Module], body: BlockMaker, attention: BlockMaker) -> nn.Sequential:
    """``blocks`` trunk units: the architecture's own (``unit()``), or the ``body`` block followed by
    the ``attention`` block when one is given."""
    if body is None:
        return nn.Sequential(*(unit() for _ in range(blocks)))
    return nn.Sequential(*(nn.Sequential(body(features), attention(features)) if attention else body(features) for _ in range(blocks)))


def mean_shift(channels: int, choice: MeanChoice) -> torch.Tensor:
    """The (1, C, 1, 1) mean to subtract from the input (add to the output): DIV2K's RGB mean for
    3 channels when asked for, zeros otherwise (grids and other channel counts)."""
    if choice not in ("div2k", "none"):
        raise ValueError(f"rgb_mean must be div2k or none, not {choice!r}")
    mean = DIV2K_RGB_MEAN if choice == "div2k" and channels == 3 else (0.0,) * channels
    return torch.tensor(mean, dtype=torch.float32).view(1, channels, 1, 1)


def check_sizes(**sizes: int) -> None:
    small = [f"{name}={value}" for name, value in sizes.items() if value < 1]
    if small:
        raise ValueError(f"{', '.join(small)}: must be at least 1")
