"""``blur`` (Real-ESRGAN's random blur kernels) and ``sinc`` (ringing and overshoot)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from srzoo_degradations import draw
from srzoo_degradations.base import Degradation, skipped
from srzoo_degradations.kernels import BLUR_KINDS, blur_kernel, filter2d, sinc_kernel

# Real-ESRGAN's kernel_prob for kernel_list (train_realesrgan_x4plus.yml)
REALESRGAN_KIND_WEIGHTS: dict[str, float] = {
    "iso": 0.45, "aniso": 0.25, "generalized_iso": 0.12, "generalized_aniso": 0.03, "plateau_iso": 0.12, "plateau_aniso": 0.03,
}
SIZES = (7, 21)   # Real-ESRGAN's kernel_range: the odd sizes 7, 9, …, 21
MAX_SIZE = 101
PI = math.pi


def kernel_from_params(params: dict[str, Any]) -> Tensor:
    """The float64 kernel a ``blur`` or ``sinc`` params dict describes (``applied`` true)."""
    if params["kernel"] == "sinc":
        return sinc_kernel(params["size"], params["omega"])
    return blur_kernel(params["kernel"], params["size"], params["sigma_x"], params.get("sigma_y"),
                       params.get("theta", 0.0), params.get("beta"))


def _odd_sizes(size: Any) -> tuple[int, int]:
    span = draw.as_range(size, "size", 1, MAX_SIZE, integer=True)
    if span[0] % 2 == 0 or span[1] % 2 == 0:
        raise ValueError(f"size must be odd (a kernel has a centre pixel), not {size!r}")
    return span


def _draw_beta(generator: torch.Generator, span: draw.Range) -> float:
    """Real-ESRGAN's beta for a range containing 1: half the time from [low, 1], else from
    [1, high] (so 1..2 gives beta = 1 half the time); uniform over any other range."""
    if not span[0] <= 1.0 <= span[1]:
        return draw.uniform(generator, span)
    if draw.coin(generator, 0.5):
        return draw.uniform(generator, (span[0], 1.0))
    return draw.uniform(generator, (1.0, span[1]))


class Blur(Degradation):
    """Convolve with a random kernel: one of ``kind`` (chosen by ``kind_weights``, Real-ESRGAN's
    by default), or with probability ``sinc_prob`` a sinc kernel. Reflect padding, as BasicSR."""

    name = "blur"
    refusal = "its kernels model a camera's optics, in photo pixels; a physical field is smoothed in grid cells by smooth"

    def __init__(self, kind: str | tuple[str, ...] = "|".join(BLUR_KINDS), kind_weights: str | tuple[float, ...] | None = None,
                 size: int | tuple[int, int] = SIZES, sigma: float | tuple[float, float] = (0.2, 3.0),
                 sigma_y: float | tuple[float, float] | None = None, rotation: float | tuple[float, float] = (-PI, PI),
                 betag: float | tuple[float, float] = (0.5, 4.0), betap: float | tuple[float, float] = (1.0, 2.0),
                 sinc_prob: float = 0.1, omega: float | tuple[float, float] | None = None, prob: float = 1.0):
        self.kinds = draw.as_choices(kind, "kind", BLUR_KINDS)
        if kind_weights is None:
            self.weights = tuple(REALESRGAN_KIND_WEIGHTS[k] for k in self.kinds)
        else:
            self.weights = draw.as_weights(kind_weights, f"kind_weights (one per kind: {', '.join(self.kinds)})",
                                           len(self.kinds))
        self.size = _odd_sizes(size)
        self.sigma = draw.as_range(sigma, "sigma", 1e-3, 100.0)
        self.sigma_y = self.sigma if sigma_y is None else draw.as_range(sigma_y, "sigma_y", 1e-3, 100.0)
        self.rotation = draw.as_range(rotation, "rotation", -2 * PI, 2 * PI)
        self.betag = draw.as_range(betag, "betag", 1e-2, 100.0)
        self.betap = draw.as_range(betap, "betap", 1e-2, 100.0)
        self.sinc_prob = draw.as_probability(sinc_prob, "sinc_prob")
        self.omega = None if omega is None else draw.as_range(omega, "omega", 1e-3, PI)
        self.prob = draw.as_probability(prob, "prob")

    def draw_params(self, generator: torch.Generator) -> dict[str, Any]:
        if not draw.coin(generator, self.prob):
            return skipped()
        size = draw.odd_size(generator, self.size)
        if draw.coin(generator, self.sinc_prob):
            # Real-ESRGAN: a lower cut-off only for the larger kernels, which can resolve it
            omega_span = self.omega or ((PI / 3, PI) if size < 13 else (PI / 5, PI))
            return {"applied": True, "kernel": "sinc", "size": size, "omega": draw.uniform(generator, omega_span)}
        kind = draw.choose(generator, self.kinds, self.weights)
        params: dict[str, Any] = {"applied": True, "kernel": kind, "size": size, "sigma_x": draw.uniform(generator, self.sigma)}
        if kind.endswith("aniso"):
            params["sigma_y"] = draw.uniform(generator, self.sigma_y)
            params["theta"] = draw.uniform(generator, self.rotation)
        if kind.startswith("generalized"):
            params["beta"] = _draw_beta(generator, self.betag)
        elif kind.startswith("plateau"):
            params["beta"] = _draw_beta(generator, self.betap)
        return params

    def apply(self, image, *, scale, target, generator):
        params = self.draw_params(generator)
        if not params["applied"]:
            return image, params
        return filter2d(image, kernel_from_params(params).to(image.device)), params


class Sinc(Degradation):
    """Low-pass with a sinc kernel of random size and cut-off ``omega`` (radians): the ringing and
    overshoot artefacts of Real-ESRGAN's final stage (applied with probability ``prob``)."""

    name = "sinc"
    refusal = "it imitates the ringing of photo resampling and compression; a physical field is smoothed by smooth"

    def __init__(self, size: int | tuple[int, int] = SIZES, omega: float | tuple[float, float] = (PI / 3, PI),
                 prob: float = 1.0):
        self.size = _odd_sizes(size)
        self.omega = draw.as_range(omega, "omega", 1e-3, PI)
        self.prob = draw.as_probability(prob, "prob")

    def draw_params(self, generator: torch.Generator) -> dict[str, Any]:
        if not draw.coin(generator, self.prob):
            return skipped()
        size = draw.odd_size(generator, self.size)
        return {"applied": True, "kernel": "sinc", "size": size, "omega": draw.uniform(generator, self.omega)}

    def apply(self, image, *, scale, target, generator):
        params = self.draw_params(generator)
        if not params["applied"]:
            return image, params
        return filter2d(image, kernel_from_params(params).to(image.device)), params
