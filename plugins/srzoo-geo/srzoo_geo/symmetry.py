"""Flips that respect vector fields: mirroring a wind field also reverses the mirrored component.

A west-east flip (axis ``x``, the last dimension) turns an eastward wind westward, so every
component declared along ``x`` (u) changes sign; a north-south flip (axis ``y``, rows) negates the
components along ``y`` (v). Scalars (temperature, pressure) are only mirrored. Declare the
components once per variable, e.g. ``{"u10": "x", "v10": "y", "u100": "x", "v100": "y"}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

AXES = {"x": -1, "y": -2}


def component_axes(channel_names: Sequence[str], declaration: Mapping[str, str]) -> tuple[str | None, ...]:
    """Per channel, the axis its vector component points along ("x", "y") or None for a scalar."""
    unknown = sorted(set(declaration) - set(channel_names))
    if unknown:
        raise ValueError(f"vector components {', '.join(unknown)} are not channels; the channels are {', '.join(channel_names)}")
    bad = {name: axis for name, axis in declaration.items() if axis not in AXES}
    if bad:
        raise ValueError(f"a vector component points along 'x' (west-east) or 'y' (south-north), not {bad}")
    return tuple(declaration.get(name) for name in channel_names)


def flip_vector_field(x: torch.Tensor, axis: str, components: Sequence[str | None]) -> torch.Tensor:
    """Mirror ``x`` (..., C, H, W) along ``axis`` ("x": west-east, "y": north-south) and negate the
    channels whose component (from :func:`component_axes`) points along that axis."""
    if axis not in AXES:
        raise ValueError(f"flip axis is 'x' (west-east) or 'y' (north-south), not {axis!r}")
    if x.dim() < 3 or x.shape[-3] != len(components):
        raise ValueError(f"{len(components)} component declarations for a field of shape {tuple(x.shape)} (..., C, H, W)")
    signs = torch.tensor([-1.0 if c == axis else 1.0 for c in components], dtype=x.dtype, device=x.device)
    return x.flip(AXES[axis]) * signs.view(-1, 1, 1)
