"""Mass violation: how far the SR field's ``scale x scale`` block means are from the LR field.

``mass = mean_blocks |B(sr) - lr|`` per sample and channel (Harder et al. 2022's "mass
violation", there averaged over samples in physical units); with ``relative=true`` (default)
divided by ``mean_blocks |lr|``, so variables of different magnitude compare. ``B`` averages
``scale x scale`` blocks. A constrained model (see ``conserve``) scores zero; it is the right
yardstick only when the LR is the block mean of the HR (area degradation, or coarse data made
that way): against a bicubic-made LR even the HR scores above zero.

The LR comes from the core as ``metric(sr, hr, lr=lr)`` (in the same units as sr and hr) because
the metric sets ``needs_lr``; ``reference=hr`` compares with the block means of the HR instead
and needs no LR.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from srzoo_geo._context import GeoMetric, check_mask, prepare


def block_means(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Means of ``scale x scale`` blocks: (..., H, W) -> (..., H/scale, W/scale)."""
    height, width = x.shape[-2:]
    if height % scale or width % scale:
        raise ValueError(f"a {height}x{width} field does not split into {scale}x{scale} blocks")
    return F.avg_pool2d(x.reshape(-1, 1, height, width), scale).reshape(*x.shape[:-2], height // scale, width // scale)


class MassViolation(GeoMetric):
    name = "mass"

    def __init__(self, reference: str, relative: bool, scale: int | None):
        super().__init__()
        if reference not in ("lr", "hr"):
            raise ValueError(f"mass: reference is lr or hr, not {reference!r}")
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int) or scale < 1):
            raise ValueError(f"mass: scale must be a whole number >= 1, not {scale!r}")
        self.reference, self.relative, self.scale = reference, bool(relative), scale
        self.needs_lr = reference == "lr"
        self.value_units = "" if self.relative else "data"
        target = "lr" if reference == "lr" else "B(hr)"
        self.formula = f"mean|B(sr) - {target}|" + (f" / mean|{target}|" if relative else "") + ", B: scale x scale block means"

    def options(self) -> dict[str, Any]:
        return {"reference": self.reference, "relative": self.relative, "scale": self.scale}

    def protocol(self) -> dict[str, Any]:
        units = "dimensionless (relative to mean |LR|)" if self.relative else "physical (de-normalise first)"
        return {**super().protocol(), "units": units, "block": self.block_size()}

    def block_size(self) -> int | None:
        return self.scale if self.scale is not None else self.context.scale

    def check_context(self) -> None:
        given = self.context.scale
        if given is None and self.scale is None:
            raise ValueError("mass needs the scale: the run gives it (setup's 'scale'), or set mass(scale=4)")
        if given is not None and self.scale is not None and given != self.scale:
            raise ValueError(f"mass: scale={self.scale} but the run is x{given}; drop the option")

    def __call__(self, sr: torch.Tensor, hr: torch.Tensor, lr: torch.Tensor | None = None,
                 mask: torch.Tensor | None = None) -> torch.Tensor:
        sr, hr = prepare(sr, hr, self.name)
        valid = None if mask is None else check_mask(mask, sr, self.name)
        self.check_context()
        scale = self.block_size()
        coarse = block_means(sr, scale)
        if self.reference == "hr":
            target = block_means(hr, scale)
        elif lr is None:
            raise ValueError("mass compares with the LR input, which was not given: the core passes it as "
                             "lr= to a metric with needs_lr; or use mass(reference=hr)")
        elif tuple(lr.shape) != tuple(coarse.shape):
            raise ValueError(f"mass: the LR is {tuple(lr.shape)}, but the x{scale} block means of SR are {tuple(coarse.shape)}")
        else:
            target = lr.detach().to(torch.float64)
        if valid is None:
            violation = (coarse - target).abs().mean(dim=(2, 3))
            return violation / target.abs().mean(dim=(2, 3)) if self.relative else violation
        whole = (block_means(valid.to(sr.dtype), scale) == 1).to(sr.dtype)  # blocks whose every HR cell has data
        violation = ((coarse - target).abs() * whole).sum(dim=(2, 3))
        return violation / (target.abs() * whole).sum(dim=(2, 3)) if self.relative else violation / whole.sum(dim=(2, 3))


def mass(reference: Literal["lr", "hr"] = "lr", relative: bool = True, scale: int | None = None) -> MassViolation:
    """Mass violation: mean |block means of SR - LR| per sample and channel, relative to mean |LR|
    unless relative=false; zero for a mass-conserving model."""
    return MassViolation(reference, relative, scale)
