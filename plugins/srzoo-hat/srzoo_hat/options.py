"""HAT's named presets (the official releases' configurations) and how explicit options override them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from srzoo_core.layers import int_sequence

Preset = Literal["hat_s", "hat", "hat_l"]
ResiConnection = Literal["1conv", "identity"]
IntSequence = tuple[int, ...] | int | str | None
SCALES = (2, 3, 4, 8)


@dataclass(frozen=True)
class HATConfig:
    embed_dim: int
    depths: tuple[int, ...]
    num_heads: tuple[int, ...]
    compress_ratio: int
    squeeze_factor: int
    window_size: int = 16
    overlap_ratio: float = 0.5
    mlp_ratio: float = 2.0
    resi_connection: str = "1conv"


PRESETS: dict[str, HATConfig] = {
    "hat_s": HATConfig(144, (6,) * 6, (6,) * 6, compress_ratio=24, squeeze_factor=24),   # HAT-S_SRx*.pth
    "hat": HATConfig(180, (6,) * 6, (6,) * 6, compress_ratio=3, squeeze_factor=30),      # HAT_SRx*.pth, Real_HAT_GAN_SRx4.pth
    "hat_l": HATConfig(180, (6,) * 12, (6,) * 12, compress_ratio=3, squeeze_factor=30),  # HAT-L_SRx*_ImageNet-pretrain.pth
}


def resolve_config(preset: str, depths: IntSequence, num_heads: IntSequence, **explicit) -> HATConfig:
    """The preset with every option that is not None replacing its value; one number of heads
    serves every group."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; presets: {', '.join(PRESETS)}")
    base = PRESETS[preset]
    groups = int_sequence("depths", depths) or base.depths
    heads = int_sequence("num_heads", num_heads, len(groups)) or (base.num_heads[0],) * len(groups)
    return replace(base, depths=groups, num_heads=heads, **{k: v for k, v in explicit.items() if v is not None})
