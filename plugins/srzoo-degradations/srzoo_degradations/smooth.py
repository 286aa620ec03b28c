"""``smooth``: Gaussian smoothing measured in grid cells, for physical fields (and photographs)."""

from __future__ import annotations

from typing import Literal

from srzoo_degradations import draw
from srzoo_degradations.base import Degradation, skipped
from srzoo_degradations.kernels import blur_kernel, filter2d


class Smooth(Degradation):
    """Smooth every channel with an isotropic Gaussian of standard deviation ``sigma`` grid cells
    (drawn from the range), truncated at ``truncate`` sigmas (radius ``round(truncate·sigma)``,
    as ``scipy.ndimage.gaussian_filter``), normalised to keep the field's mean. ``boundary``:
    ``reflect`` (mirror, edge not repeated), ``circular`` (periodic, e.g. around a latitude
    circle) or ``replicate``."""

    name = "smooth"
    modalities = ("photo", "grid")

    def __init__(self, sigma: float | tuple[float, float] = 1.0, truncate: float = 4.0,
                 boundary: Literal["reflect", "circular", "replicate"] = "reflect", prob: float = 1.0):
        self.sigma = draw.as_range(sigma, "sigma", 1e-3, 1000.0)
        self.truncate = draw.as_range(truncate, "truncate", 0.5, 20.0)[0]
        if boundary not in ("reflect", "circular", "replicate"):
            raise ValueError(f"boundary must be reflect, circular or replicate, not {boundary!r}")
        self.boundary = boundary
        self.prob = draw.as_probability(prob, "prob")

    def apply(self, image, *, scale, target, generator):
        if not draw.coin(generator, self.prob):
            return image, skipped()
        sigma = draw.uniform(generator, self.sigma)
        radius = int(self.truncate * sigma + 0.5)
        kernel = blur_kernel("iso", 2 * radius + 1, sigma).to(image.device)
        return filter2d(image, kernel, self.boundary), {"applied": True, "sigma": sigma, "size": 2 * radius + 1}
