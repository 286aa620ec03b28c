"""SwinIR's named presets (the configurations of the official releases) and how explicit options
override them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from srzoo_core.layers import int_sequence

Upsampling = Literal["pixelshuffle", "pixelshuffledirect", "nearest_conv"]
ResiConnection = Literal["1conv", "3conv"]
Preset = Literal["classical", "lightweight", "real", "real_large"]
IntSequence = tuple[int, ...] | int | str | None

SCALES: dict[str, tuple[int, ...]] = {
    "pixelshuffle": (2, 3, 4, 8),
    "pixelshuffledirect": (2, 3, 4, 8),
    "nearest_conv": (2, 4),
}


@dataclass(frozen=True)
class SwinIRConfig:
    embed_dim: int
    depths: tuple[int, ...]
    num_heads: tuple[int, ...]
    window_size: int = 8
    mlp_ratio: float = 2.0
    upsampling: str = "pixelshuffle"
    resi_connection: str = "1conv"
    img_size: int = 64


PRESETS: dict[str, SwinIRConfig] = {
    # SwinIR-M, 001_classicalSR_*_s64w8 (img_size=48 for the s48w8 DIV2K models)
    "classical": SwinIRConfig(180, (6,) * 6, (6,) * 6),
    # 002_lightweightSR_DIV2K_s64w8_SwinIR-S
    "lightweight": SwinIRConfig(60, (6,) * 4, (6,) * 4, upsampling="pixelshuffledirect"),
    # 003_realSR_BSRGAN_DFO_s64w8_SwinIR-M (GAN)
    "real": SwinIRConfig(180, (6,) * 6, (6,) * 6, upsampling="nearest_conv"),
    # 003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L (GAN)
    "real_large": SwinIRConfig(240, (6,) * 9, (8,) * 9, upsampling="nearest_conv", resi_connection="3conv"),
}


def resolve_config(preset: str, depths: IntSequence, num_heads: IntSequence, **explicit) -> SwinIRConfig:
    """The preset with every option that is not None replacing its value; one number of heads
    serves every group."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; presets: {', '.join(PRESETS)}")
    base = PRESETS[preset]
    groups = int_sequence("depths", depths) or base.depths
    heads = int_sequence("num_heads", num_heads, len(groups)) or (base.num_heads[0],) * len(groups)
    return replace(base, depths=groups, num_heads=heads, **{k: v for k, v in explicit.items() if v is not None})
