"""``realesrgan``: Real-ESRGAN's second-order degradation with its published parameters
(xinntao/Real-ESRGAN, options/train_realesrgan_x4plus.yml; order of BasicSR's RealESRGANModel)."""

from __future__ import annotations

import math
from typing import Any

import torch

from srzoo_degradations import draw
from srzoo_degradations.base import Degradation
from srzoo_degradations.blur import Blur, Sinc
from srzoo_degradations.jpeg import Jpeg
from srzoo_degradations.noise import Noise
from srzoo_degradations.resize import Resize

# Noise ranges are 8-bit levels in the options file; here they are in [0, 1] photo units.
STAGES: dict[str, Degradation] = {
    "blur": Blur(sigma=(0.2, 3.0), betag=(0.5, 4.0), betap=(1.0, 2.0), sinc_prob=0.1),
    "resize": Resize(factor=(0.15, 1.5), up=0.2, down=0.7, keep=0.1),
    "noise": Noise(sigma=(1 / 255, 30 / 255), poisson_prob=0.5, poisson_scale=(0.05, 3.0), gray_prob=0.4, clip=True),
    "jpeg": Jpeg(quality=(30, 95)),
    "blur2": Blur(sigma=(0.2, 1.5), betag=(0.5, 4.0), betap=(1.0, 2.0), sinc_prob=0.1, prob=0.8),
    "resize2": Resize(factor=(0.3, 1.2), up=0.3, down=0.4, keep=0.3, relative_to="target"),
    "noise2": Noise(sigma=(1 / 255, 25 / 255), poisson_prob=0.5, poisson_scale=(0.05, 2.5), gray_prob=0.4, clip=True),
    "resize_final": Resize(final=True),
    "sinc": Sinc(omega=(math.pi / 3, math.pi), prob=0.8),
    "jpeg2": Jpeg(quality=(30, 95)),
}
SECOND_ORDER = ("blur", "resize", "noise", "jpeg", "blur2", "resize2", "noise2")


class RealESRGAN(Degradation):
    """blur → resize → noise → jpeg → blur2 (p 0.8) → resize2 (relative to the LR size) → noise2 →
    then, with equal chance, [resize to H/scale × W/scale + sinc (p 0.8)] → jpeg2, or jpeg2 →
    [resize + sinc]; finally clamped to [0, 1] and rounded to 8 bits (``quantise``)."""

    name = "realesrgan"
    output_size = "target"

    def __init__(self, quantise: bool = True):
        self.quantise = bool(quantise)

    def apply(self, image, *, scale, target, generator):
        params: dict[str, Any] = {}

        def run(stage: str, x: torch.Tensor) -> torch.Tensor:
            x, params[stage] = STAGES[stage].apply(x, scale=scale, target=target, generator=generator)
            return x

        out = image
        for stage in SECOND_ORDER:
            out = run(stage, out)
        resize_first = draw.coin(generator, 0.5)
        params["final_order"] = "resize_sinc_jpeg" if resize_first else "jpeg_resize_sinc"
        for stage in ("resize_final", "sinc", "jpeg2") if resize_first else ("jpeg2", "resize_final", "sinc"):
            out = run(stage, out)
        if self.quantise:
            out = torch.clamp(torch.round(out * 255.0), 0, 255) / 255.0
        params["quantised"] = self.quantise
        return out, params
