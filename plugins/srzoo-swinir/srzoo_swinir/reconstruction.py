"""SwinIR's reconstruction heads, under the official module names."""

from __future__ import annotations

import math

from torch import nn

from srzoo_core.layers import PixelShuffleUpsample
from srzoo_swinir.blocks import BlockMaker


def reconstruction(kind: str, dim: int, num_feat: int, out_channels: int, scale: int,
                   upsampler: BlockMaker) -> dict[str, nn.Module]:
    """The modules after the trunk, by attribute name, in the official registration order."""
    if upsampler is not None:
        return {"upsample": upsampler(dim, scale), "conv_last": nn.Conv2d(dim, out_channels, 3, 1, 1)}
    if kind == "pixelshuffledirect":
        return {"upsample": nn.Sequential(nn.Conv2d(dim, scale * scale * out_channels, 3, 1, 1), nn.PixelShuffle(scale))}
    # the official LeakyReLU here has PyTorch's default slope, 0.01
    modules: dict[str, nn.Module] = {"conv_before_upsample": nn.Sequential(nn.Conv2d(dim, num_feat, 3, 1, 1), nn.LeakyReLU(inplace=True))}
    if kind == "pixelshuffle":
        modules["upsample"] = PixelShuffleUpsample(num_feat, scale)
    else:  # nearest_conv: nearest ×2 + conv + LeakyReLU 0.2, once per factor 2
        for i in range(1, int(math.log2(scale)) + 1):
            modules[f"conv_up{i}"] = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        modules["conv_hr"] = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        modules["lrelu"] = nn.LeakyReLU(0.2, inplace=True)
    modules["conv_last"] = nn.Conv2d(num_feat, out_channels, 3, 1, 1)
    return modules
