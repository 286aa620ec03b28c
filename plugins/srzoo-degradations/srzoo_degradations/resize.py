"""Size-changing terms: ``resize`` (Real-ESRGAN's random resize, or the final resize to the LR
size), ``bicubic`` (MATLAB imresize, srzoo's default) and ``coarsen`` (block mean)."""

from __future__ import annotations

from typing import Literal

import torch.nn.functional as F
from torch import Tensor

from srzoo_core.data import imresize
from srzoo_degradations import draw
from srzoo_degradations.base import Degradation, require_hr

MODES: tuple[str, ...] = ("area", "bilinear", "bicubic")
DIRECTIONS: tuple[str, ...] = ("up", "down", "keep")
_RANDOM_DEFAULTS = {"factor": (0.15, 1.5), "up": 0.2, "down": 0.7, "keep": 0.1, "relative_to": "input"}


def interpolate(image: Tensor, mode: str, *, size: tuple[int, int] | None = None, factor: float | None = None) -> Tensor:
    """``F.interpolate`` as Real-ESRGAN calls it: no antialiasing, ``align_corners=False``."""
    if size is not None and min(size) < 1 or factor is not None and min(image.shape[-2:]) * factor < 1:
        raise ValueError(f"resize would make an empty image from {tuple(image.shape[-2:])} (size {size}, factor {factor})")
    extra = {} if mode == "area" else {"align_corners": False}
    return F.interpolate(image.unsqueeze(0), size=size, scale_factor=factor, mode=mode, **extra).squeeze(0)


class Resize(Degradation):
    """Random resize (``final=false``): up, down or keep with probabilities ``up``/``down``/``keep``,
    the factor uniform over the part of ``factor`` above 1 (up) or below 1 (down), one of ``mode``
    at random; sizes are relative to the input (``F.interpolate(scale_factor=…)``) or, with
    ``relative_to=target``, to the chain's LR size (Real-ESRGAN's second stage).
    ``final=true``: resize to exactly the LR size ``H/scale × W/scale`` with one of ``mode``."""

    name = "resize"
    refusal = ("it is Real-ESRGAN's random resampling of photographs (random factors, no antialiasing); "
               "a physical field is shrunk by coarsen or bicubic")

    def __init__(self, factor: float | tuple[float, float] = (0.15, 1.5), up: float = 0.2, down: float = 0.7,
                 keep: float = 0.1, mode: str | tuple[str, ...] = "area|bilinear|bicubic",
                 relative_to: Literal["input", "target"] = "input", final: bool = False):
        self.modes = draw.as_choices(mode, "mode", MODES)
        self.final = bool(final)
        self.output_size = "target" if self.final else "any"
        given = {"factor": factor, "up": up, "down": down, "keep": keep, "relative_to": relative_to}
        if self.final:
            changed = [k for k, v in given.items() if (tuple(v) if isinstance(v, list) else v) != _RANDOM_DEFAULTS[k]]
            if changed:
                raise ValueError(f"resize(final=true) resizes to exactly H/scale × W/scale; remove {', '.join(changed)}: "
                                 "only a random resize (final=false) uses them")
        if relative_to not in ("input", "target"):
            raise ValueError(f"relative_to must be input or target, not {relative_to!r}")
        self.relative_to = relative_to
        self.needs_target = relative_to == "target"
        self.factor = draw.as_range(factor, "factor", 1e-3, 100.0)
        self.weights = tuple(draw.as_probability(p, n) for n, p in (("up", up), ("down", down), ("keep", keep)))
        if abs(sum(self.weights) - 1.0) > 1e-6:
            raise ValueError(f"up + down + keep must be 1, not {up} + {down} + {keep} = {sum(self.weights):g}")
        if self.weights[0] > 0 and self.factor[1] < 1 or self.weights[1] > 0 and self.factor[0] > 1:
            side = "above" if self.weights[0] > 0 and self.factor[1] < 1 else "below"
            raise ValueError(f"factor={self.factor[0]}..{self.factor[1]} has no part {side} 1, but "
                             f"{'up' if side == 'above' else 'down'} > 0")

    def apply(self, image, *, scale, target, generator):
        if self.final:
            mode = draw.choose(generator, self.modes)
            return interpolate(image, mode, size=target), {"mode": mode, "size": list(target)}
        direction = draw.choose(generator, DIRECTIONS, self.weights)
        if direction == "up":
            factor = draw.uniform(generator, (max(self.factor[0], 1.0), self.factor[1]))
        elif direction == "down":
            factor = draw.uniform(generator, (self.factor[0], min(self.factor[1], 1.0)))
        else:
            factor = 1.0
        mode = draw.choose(generator, self.modes)
        if self.relative_to == "input":
            out = interpolate(image, mode, factor=factor)
        else:
            out = interpolate(image, mode, size=(int(target[0] * factor), int(target[1] * factor)))
        return out, {"direction": direction, "factor": factor, "mode": mode, "size": list(out.shape[-2:])}


class Bicubic(Degradation):
    """MATLAB ``imresize`` bicubic of the HR by 1/scale (srzoo's default degradation)."""

    name = "bicubic"
    modalities = ("photo", "grid")
    output_size = "target"

    def __init__(self, antialias: bool = True):
        self.antialias = bool(antialias)

    def apply(self, image, *, scale, target, generator):
        require_hr(image, scale, target, self.name)
        return imresize(image, 1.0 / scale, kernel="cubic", antialias=self.antialias), {}


class Coarsen(Degradation):
    """Mean over each scale × scale block of the HR (area averaging: conserves the field's mean)."""

    name = "coarsen"
    modalities = ("photo", "grid")
    output_size = "target"

    def __init__(self) -> None:
        pass

    def apply(self, image, *, scale, target, generator):
        require_hr(image, scale, target, self.name)
        return F.avg_pool2d(image.unsqueeze(0), kernel_size=scale, stride=scale).squeeze(0), {}
