"""What the perceptual metrics share: their inputs, their frozen networks and their protocol.

Inputs are ``(N, 3, H, W)`` RGB batches in [0, 1] (any float dtype; the evaluator passes float64
8-bit-quantised images). One channel is a grey image, repeated to three; any other channel count
is refused: these networks were trained and calibrated on colour photographs, and no mapping of
weather variables to "red, green, blue" is one a paper would report. Values are computed in
float32 with autocast switched off, on the input's device (the networks follow it), and returned
as ``(N,)`` float32 per-sample values. ``crop`` pixels are removed on every side first, as for
``psnr(crop=…)``. Images are never resized.
"""

from __future__ import annotations

import contextlib
import itertools
from importlib import metadata

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INPUT = "RGB in [0, 1] (a 1-channel image is repeated to RGB; other channel counts are refused)"


def autocast_off(device_type: str):
    is_available = getattr(torch.amp, "is_autocast_available", None)
    if is_available is not None and not is_available(device_type):
        return contextlib.nullcontext()
    return torch.autocast(device_type=device_type, enabled=False)


def implementation(name: str) -> str:
    try:
        version = metadata.version("srzoo-perceptual")
    except metadata.PackageNotFoundError:
        version = "0+source"
    return f"srzoo-perceptual {version} {name}"


class PerceptualMetric(nn.Module):
    """A frozen network scoring ``(sr, hr)`` pairs; lower is better. Subclasses set ``name``,
    ``min_size`` and implement :meth:`distance` on float32 RGB batches in [0, 1]."""

    name = ""
    higher_is_better = False
    min_size = 1  # the smallest side (after the crop) the network can take

    def __init__(self, crop: int = 0) -> None:
        super().__init__()
        if isinstance(crop, bool) or not isinstance(crop, int) or crop < 0:
            raise ValueError(f"{self.name}: crop must be a whole number of pixels >= 0, not {crop!r}")
        self.crop = crop

    def freeze(self) -> None:
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> PerceptualMetric:
        return super().train(False)  # frozen: never in training mode (no dropout, ever)

    def base_protocol(self) -> dict:
        return {"metric": self.name, "implementation": implementation(self.name), "input": INPUT,
                "data_range": 1.0, "crop": self.crop, "resize": "none", "per": "sample"}

    def prepare(self, sr: torch.Tensor, hr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not (isinstance(sr, torch.Tensor) and isinstance(hr, torch.Tensor)):
            raise TypeError(f"{self.name}: sr and hr must be tensors, got {type(sr).__name__} and {type(hr).__name__}")
        if sr.dim() != 4 or sr.shape != hr.shape:
            raise ValueError(f"{self.name}: sr and hr must be (N, C, H, W) batches of one shape, got "
                             f"{tuple(sr.shape)} and {tuple(hr.shape)} (a prediction is never resized to fit)")
        channels = sr.shape[1]
        if channels not in (1, 3):
            raise ValueError(f"{self.name}: scores RGB images (3 channels) or grey ones (1 channel, repeated to RGB), "
                             f"got {channels} channels; it is not defined for other data")
        height, width = sr.shape[-2:]
        if min(height, width) - 2 * self.crop < self.min_size:
            raise ValueError(f"{self.name}: needs images of at least {self.min_size}x{self.min_size} pixels after "
                             f"crop={self.crop}, got {height}x{width}")
        c = self.crop
        sr, hr = (x[..., c:height - c, c:width - c].float().expand(-1, 3, -1, -1) for x in (sr, hr))
        return sr, hr

    def distance(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        sr, hr = self.prepare(sr, hr)
        tensor = next(itertools.chain(self.parameters(), self.buffers()), None)
        if tensor is not None and tensor.device != sr.device:
            self.to(sr.device)
        with autocast_off(sr.device.type):
            return self.distance(sr, hr)
