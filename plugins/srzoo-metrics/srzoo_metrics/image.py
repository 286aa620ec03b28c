"""PSNR and SSIM with explicit protocols, numerically identical to scikit-image.

Spaces
    ``rgb``      all channels scored together: PSNR over the MSE of every channel, SSIM the mean
                 of the per-channel SSIMs (skimage's ``channel_axis``). Any channel count.
    ``y``        BT.601 luma exactly as MATLAB's ``rgb2ycbcr`` (the SR-literature protocol, e.g.
                 BasicSR's ``test_y_channel``): with R, G, B rescaled to [0, 1] by ``data_range``,
                 ``Y = 16 + 65.481 R + 128.553 G + 24.966 B``, which lies in [16, 235]; PSNR and SSIM
                 are then computed on Y with a data range of **255**. Needs 3 channels in RGB order.
                 Values are not rounded to integers (scores of float outputs).
    ``channel``  one value per channel: ``(N, C)``, ``per_channel = True``.

Data range
    ``data_range`` is the fixed, stated span of valid values (1.0 for images in [0, 1], 255 for
    8-bit values); it is never estimated from the batch.

Identical images
    PSNR is ``+inf`` where the MSE is exactly zero (as skimage, which returns inf). That is the
    best possible value, so "higher is better" comparisons stay correct; average with care.

SSIM borders
    skimage filters with ``mode='reflect'`` and then discards ``(win - 1) // 2 = 5`` pixels on every
    side before averaging; what remains depends only on pixels inside the image, so it equals a
    "valid" 11×11 convolution, which is what is computed here (images must be at least 11×11 after
    the crop).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F

from srzoo_metrics._common import check_crop, implementation, prepare

Space = Literal["rgb", "y", "channel"]
SPACES = ("rgb", "y", "channel")

# MATLAB rgb2ycbcr / ITU-R BT.601, studio swing, for R, G, B in [0, 1]: Y in [16, 235].
Y_WEIGHTS = (65.481, 128.553, 24.966)
Y_OFFSET = 16.0
Y_DATA_RANGE = 255.0
Y_FORMULA = "Y = 16 + 65.481*R + 128.553*G + 24.966*B with R,G,B = x/data_range (MATLAB rgb2ycbcr, BT.601); scored on 0-255, data range 255"

SSIM_SIGMA = 1.5
SSIM_WIN = 11  # 2 * int(3.5 * sigma + 0.5) + 1, as skimage with gaussian_weights=True
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def rgb_to_y(x: torch.Tensor, data_range: float) -> torch.Tensor:
    """(N, 3, H, W) RGB in [0, data_range] → (N, 1, H, W) luma on MATLAB's 0–255 scale [16, 235]."""
    if x.shape[1] != 3:
        raise ValueError(f"space='y' needs 3 channels (R, G, B), got {x.shape[1]}; use space='rgb' or space='channel'")
    w = torch.tensor(Y_WEIGHTS, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return Y_OFFSET + (x / data_range * w).sum(dim=1, keepdim=True)


def _check_options(space: str, data_range: float, crop: int) -> None:
    if space not in SPACES:
        raise ValueError(f"space must be one of {', '.join(SPACES)}, not {space!r}")
    if isinstance(data_range, bool) or not isinstance(data_range, (int, float)) or not math.isfinite(data_range) or data_range <= 0:
        raise ValueError(f"data_range must be a positive finite number (the span of valid values), not {data_range!r}")
    check_crop(crop)


class _ImageMetric:
    name = ""

    def __init__(self, space: str, crop: int, data_range: float):
        _check_options(space, data_range, crop)
        self.space = space
        self.crop = crop
        self.data_range = float(data_range)
        self.per_channel = space == "channel"

    def _inputs(self, sr: torch.Tensor, hr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float]:
        """float64 inputs in the scoring space and the data range they are scored with."""
        sr, hr = prepare(sr, hr, self.crop, self.name)
        if self.space == "y":
            return rgb_to_y(sr, self.data_range), rgb_to_y(hr, self.data_range), Y_DATA_RANGE
        return sr, hr, self.data_range

    def _base_protocol(self) -> dict:
        out = {"metric": self.name, "space": self.space, "crop": self.crop, "data_range": self.data_range,
               "implementation": implementation(self.name)}
        if self.space == "y":
            out["y_conversion"] = Y_FORMULA
            out["scored_data_range"] = Y_DATA_RANGE
        return out

    def __repr__(self) -> str:
        return f"{self.name}(space={self.space!r}, crop={self.crop}, data_range={self.data_range})"


class PSNR(_ImageMetric):
    name = "psnr"
    higher_is_better = True
    value_units = "dB"

    def protocol(self) -> dict:
        return {**self._base_protocol(), "formula": "10*log10(data_range**2 / MSE), MSE in float64 per sample"
                + (" and channel" if self.per_channel else " over all channels"), "identical": "inf"}

    def __call__(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        sr, hr, data_range = self._inputs(sr, hr)
        dims = (2, 3) if self.per_channel else (1, 2, 3)
        mse = (sr - hr).pow(2).mean(dim=dims)
        return 10.0 * torch.log10(data_range ** 2 / mse)  # mse == 0 → +inf


def _gaussian_window(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """scipy's gaussian_filter1d taps for sigma 1.5, truncate 3.5 (radius 5), normalised."""
    radius = SSIM_WIN // 2
    x = torch.arange(-radius, radius + 1, dtype=dtype, device=device)
    taps = torch.exp(-0.5 * (x / SSIM_SIGMA) ** 2)
    return taps / taps.sum()


def _filter_valid(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filter of every (N, C) plane, keeping only fully-covered pixels."""
    n, c, h, w = x.shape
    planes = x.reshape(n * c, 1, h, w)
    planes = F.conv2d(planes, taps.view(1, 1, 1, -1))
    planes = F.conv2d(planes, taps.view(1, 1, -1, 1))
    return planes.reshape(n, c, h - SSIM_WIN + 1, w - SSIM_WIN + 1)


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float) -> torch.Tensor:
    """The SSIM map (N, C, H-10, W-10) of two float tensors (population covariances)."""
    taps = _gaussian_window(x.dtype, x.device)
    ux, uy = _filter_valid(x, taps), _filter_valid(y, taps)
    uxx, uyy, uxy = _filter_valid(x * x, taps), _filter_valid(y * y, taps), _filter_valid(x * y, taps)
    vx, vy, vxy = uxx - ux * ux, uyy - uy * uy, uxy - ux * uy
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    return ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))


class SSIM(_ImageMetric):
    name = "ssim"
    higher_is_better = True
    value_units = ""

    def protocol(self) -> dict:
        return {**self._base_protocol(), "window": "gaussian", "sigma": SSIM_SIGMA, "win_size": SSIM_WIN,
                "K1": SSIM_K1, "K2": SSIM_K2, "covariance": "population",
                "border": "valid: (win_size-1)//2 pixels per side excluded from the mean, as skimage",
                "channels": "per channel" if self.per_channel else "mean of per-channel SSIM",
                "reference": "skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, "
                             "use_sample_covariance=False, data_range=...)"}

    def __call__(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        sr, hr, data_range = self._inputs(sr, hr)
        if min(sr.shape[-2:]) < SSIM_WIN:
            raise ValueError(f"ssim needs images of at least {SSIM_WIN}x{SSIM_WIN} after crop={self.crop}, "
                             f"got {sr.shape[-2]}x{sr.shape[-1]}")
        per_channel = ssim_map(sr, hr, data_range).mean(dim=(2, 3))
        return per_channel if self.per_channel else per_channel.mean(dim=1)


def psnr(space: Space = "rgb", crop: int = 0, data_range: float = 1.0) -> PSNR:
    """PSNR (dB) per sample, or per sample and channel with ``space='channel'``.

    ``crop`` removes that many border pixels on each side (SR convention: crop = scale);
    ``data_range`` is the fixed span of valid values of the inputs (1.0 for [0, 1] images)."""
    return PSNR(space, crop, data_range)


def ssim(space: Space = "rgb", crop: int = 0, data_range: float = 1.0) -> SSIM:
    """SSIM per sample (mean over channels for ``rgb``), or per channel with ``space='channel'``.

    Gaussian 11×11 window (sigma 1.5), K1 0.01, K2 0.03, population covariances (Wang et al.
    2004), averaged over the valid region exactly as skimage."""
    return SSIM(space, crop, data_range)
