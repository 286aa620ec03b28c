"""``jpeg``: a real JPEG encode and decode with Pillow (libjpeg) at a random quality."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from srzoo_degradations import draw
from srzoo_degradations.base import Degradation, skipped


def jpeg_roundtrip(image: Tensor, quality: int) -> Tensor:
    """Encode ``image`` (``(C, H, W)``, C = 1 or 3, values in [0, 1], clamped and rounded to 8
    bits first) as a baseline JPEG with 4:2:0 chroma subsampling at ``quality``, decode it, and
    return it in the input's dtype and device, still on the 8-bit grid (multiples of 1/255)."""
    c = image.shape[0]
    if c not in (1, 3):
        raise ValueError(f"jpeg compresses grey (1 channel) or RGB (3 channel) photographs, not {c} channels")
    pixels = torch.round(image.detach().clamp(0.0, 1.0) * 255.0).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    picture = Image.fromarray(pixels[..., 0] if c == 1 else pixels)   # uint8: mode L or RGB
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=int(quality), subsampling=2, optimize=False)
    decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L" if c == 1 else "RGB"))
    out = torch.from_numpy(decoded.copy()).reshape(decoded.shape[0], decoded.shape[1], c).permute(2, 0, 1)
    return (out.to(image.dtype) / 255.0).to(image.device)


class Jpeg(Degradation):
    """JPEG compression at a quality drawn uniformly from the whole numbers of ``quality``
    (Real-ESRGAN: 30..95), applied with probability ``prob``."""

    name = "jpeg"
    refusal = "JPEG encodes 8-bit grey or RGB photographs; a physical field has neither"

    def __init__(self, quality: int | tuple[int, int] = (30, 95), prob: float = 1.0):
        self.quality = draw.as_range(quality, "quality", 1, 100, integer=True)
        self.prob = draw.as_probability(prob, "prob")

    def apply(self, image, *, scale, target, generator):
        if not draw.coin(generator, self.prob):
            return image, skipped()
        quality = draw.whole(generator, self.quality)
        return jpeg_roundtrip(image, quality), {"applied": True, "quality": quality}
