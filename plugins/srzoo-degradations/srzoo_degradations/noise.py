"""``noise``: additive Gaussian noise (any data, ``sigma`` in the data's units) and Real-ESRGAN's
Poisson (shot) noise for photographs, in colour or grey."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from srzoo_degradations import draw
from srzoo_degradations.base import Degradation, skipped

# ITU-R 601-2 luma, the weights of the grey image Real-ESRGAN's grey Poisson noise is drawn from
GREY_WEIGHTS = (0.2989, 0.587, 0.114)


def gaussian_noise(shape: tuple[int, int, int], sigma: float, grey: bool, generator: torch.Generator,
                   dtype: torch.dtype) -> Tensor:
    """``sigma`` × standard normal, one field per channel, or one field shared by all (``grey``)."""
    c, h, w = shape
    field = torch.randn((1 if grey else c, h, w), generator=generator, dtype=dtype, device=generator.device)
    return (field * sigma).expand(c, h, w)


def poisson_noise(image: Tensor, scale: float, grey: bool, generator: torch.Generator) -> tuple[Tensor, int]:
    """Real-ESRGAN's shot noise: the image rounded to 8 bits, ``levels`` = its number of distinct
    values rounded up to a power of two, noise = ``(Poisson(levels · x) / levels − x) · scale``.
    Grey noise is drawn once from the luma image and shared by all channels. Returns the noise
    (on the generator's device) and ``levels``."""
    x = image.to(generator.device)
    c = x.shape[0]
    if grey and c == 3:
        weights = torch.tensor(GREY_WEIGHTS, dtype=x.dtype, device=x.device).view(3, 1, 1)
        x = (x * weights).sum(0, keepdim=True)
    elif grey and c != 1:
        raise ValueError(f"grey Poisson noise needs 1 or 3 channels (a grey or RGB photo), got {c}")
    codes = torch.clamp(torch.round(x * 255.0), 0, 255)
    x = codes / 255.0
    distinct = int(torch.bincount(codes.flatten().long(), minlength=256).count_nonzero())   # O(n), unlike unique()
    levels = 2 ** math.ceil(math.log2(distinct))
    counts = torch.poisson(x * levels, generator=generator)
    return ((counts / levels - x) * scale).expand(c, *x.shape[-2:]), levels


class Noise(Degradation):
    """Add noise with probability ``prob``: Poisson with probability ``poisson_prob`` (scale drawn
    from ``poisson_scale``), else Gaussian (sigma drawn from ``sigma``, in the data's units: a
    photo in [0, 1] or the grid's physical unit); grey (shared by all channels) with probability
    ``gray_prob``; ``clip`` clamps the result to [0, 1] as Real-ESRGAN does."""

    name = "noise"
    refusal = ("Poisson noise and clipping to [0, 1] model 8-bit photographs; a physical field takes "
               "Gaussian noise only (poisson_prob=0, clip=false)")

    def __init__(self, sigma: float | tuple[float, float] = (1 / 255, 30 / 255), poisson_prob: float = 0.0,
                 poisson_scale: float | tuple[float, float] = (0.05, 3.0), gray_prob: float = 0.0, clip: bool = False,
                 prob: float = 1.0):
        self.sigma = draw.as_range(sigma, "sigma", 0.0)
        self.poisson_prob = draw.as_probability(poisson_prob, "poisson_prob")
        self.poisson_scale = draw.as_range(poisson_scale, "poisson_scale", 0.0, 100.0)
        self.gray_prob = draw.as_probability(gray_prob, "gray_prob")
        self.clip = bool(clip)
        self.prob = draw.as_probability(prob, "prob")
        self.modalities = ("photo", "grid") if self.poisson_prob == 0 and not self.clip else ("photo",)

    def apply(self, image, *, scale, target, generator):
        if not draw.coin(generator, self.prob):
            return image, skipped()
        poisson = draw.coin(generator, self.poisson_prob)
        grey = draw.coin(generator, self.gray_prob)
        params: dict[str, Any] = {"applied": True, "type": "poisson" if poisson else "gaussian", "gray": grey}
        if poisson:
            params["scale"] = draw.uniform(generator, self.poisson_scale)
            noise, params["levels"] = poisson_noise(image, params["scale"], grey, generator)
        else:
            params["sigma"] = draw.uniform(generator, self.sigma)
            noise = gaussian_noise(tuple(image.shape), params["sigma"], grey, generator, image.dtype)
        out = image + noise.to(image.device, image.dtype)
        return (out.clamp(0.0, 1.0) if self.clip else out), params
