"""Structural losses: 1 - SSIM, 1 - MS-SSIM (both through pytorch-msssim) and the gradient
difference loss. They have role ``pixel``: they are used in pixel pretraining.

Data range. SSIM's stabilising constants are C1 = (0.01 R)^2 and C2 = (0.03 R)^2 for a data range
R. The trainer feeds normalised tensors (images in [0, 1], scientific fields standardised per
channel), so R is a fixed option, never read from the batch: the default ``data_range=1.0`` is the
span of [0, 1] images and one standard deviation of a standardised field. A larger R (e.g. 8 for a
field spanning about ±4 standard deviations) makes the loss less sensitive in flat regions.

Precision. Inputs are cast to float32 and autocast is switched off inside: SSIM takes differences
of local second moments, which bf16 (8 mantissa bits) cannot resolve.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srzoo_losses._common import check_images, float32_pair

K = (0.01, 0.03)
SIGMA = 1.5
MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang, Simoncelli & Bovik 2003
MAX_SCALES, MIN_SCALES = 5, 3
MAX_WINDOW, MIN_WINDOW = 11, 7
MSSSIM_MIN_SIZE = (MIN_WINDOW - 1) * 2 ** (MIN_SCALES - 1) + 1  # 25
_FLOOR = 1e-6  # keeps x**w differentiable where the library would clamp cs/ssim to 0


def _check_range(data_range: float) -> float:
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    return float(data_range)


class SSIMLoss(nn.Module):
    """1 - SSIM (Wang et al. 2004) through ``pytorch_msssim.ssim``: Gaussian window of
    ``win_size`` pixels with sigma 1.5, valid (unpadded) filtering, mean over channels and batch.
    Any channel count; needs H, W >= win_size."""

    role = "pixel"

    def __init__(self, data_range: float = 1.0, win_size: int = 11):
        super().__init__()
        self.data_range = _check_range(data_range)
        if win_size < 3 or win_size % 2 == 0:
            raise ValueError(f"win_size must be an odd number >= 3, got {win_size}")
        self.win_size = int(win_size)

    def extra_repr(self) -> str:
        return f"data_range={self.data_range}, win_size={self.win_size}"

    @float32_pair
    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        from pytorch_msssim import ssim

        check_images(sr, hr, "ssim")
        height, width = sr.shape[-2:]
        if min(height, width) < self.win_size:
            raise ValueError(f"ssim: images of {height}x{width} pixels are smaller than the {self.win_size}-pixel window; "
                             f"use a smaller win_size (odd, >= 3)")
        return 1.0 - ssim(sr, hr, data_range=self.data_range, size_average=True, win_size=self.win_size, win_sigma=SIGMA, K=K)


def msssim_plan(size: int) -> tuple[int, int]:
    """(scales, window) for images whose smaller side is ``size``.

    scales = the largest L <= 5 with size > 6 * 2**(L-1), i.e. a 7-pixel window still fits the
    coarsest scale; window = the largest odd w <= 11 with size > (w-1) * 2**(L-1). So the coarsest
    scale, ceil(size / 2**(L-1)) pixels, is always at least the window: no scale is filtered with
    a window larger than itself. Fewer than 3 scales is not multi-scale: below 25 pixels it is an
    error. From 161 pixels up the plan is the standard 5 scales with an 11-pixel window.
    """
    scales = next((n for n in range(MAX_SCALES, 0, -1) if size > (MIN_WINDOW - 1) * 2 ** (n - 1)), 0)
    if scales < MIN_SCALES:
        raise ValueError(
            f"msssim needs images of at least {MSSSIM_MIN_SIZE}x{MSSSIM_MIN_SIZE} pixels "
            f"({MIN_SCALES} scales with a {MIN_WINDOW}-pixel window at the coarsest); the smaller side is {size}. "
            f"Use ssim for smaller images"
        )
    window = next(w for w in range(MAX_WINDOW, MIN_WINDOW - 1, -2) if size > (w - 1) * 2 ** (scales - 1))
    return scales, window


class MSSSIMLoss(nn.Module):
    """1 - MS-SSIM (Wang, Simoncelli & Bovik 2003), any channel count, with the number of scales
    and the window chosen from the image size at call time (see :func:`msssim_plan`).

    Why not ``pytorch_msssim.ms_ssim`` itself: in pytorch-msssim 1.0.0 it asserts
    ``min(H, W) > (win_size - 1) * 2**4`` whatever the number of weights (scales) passed, so it
    cannot run fewer scales on small images (64x64 would force a 3-pixel window). This loss runs
    the same per-scale computation with the library's own SSIM kernel (``pytorch_msssim.ssim._ssim``
    and its Gaussian window): contrast-structure terms at the finer scales, full SSIM at the
    coarsest, 2x2 average pooling between scales (padding odd sizes as the library does), the
    weights as powers. Where the library clamps a negative term to 0 this clamps it to 1e-6, so
    the gradient stays finite. On images of 161 pixels or more it equals the library's ``ms_ssim``
    (up to the 1e-4 renormalisation of the standard weights).
    """

    role = "pixel"

    def __init__(self, data_range: float = 1.0):
        super().__init__()
        self.data_range = _check_range(data_range)

    def extra_repr(self) -> str:
        return f"data_range={self.data_range}"

    @float32_pair
    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        try:
            from pytorch_msssim.ssim import _fspecial_gauss_1d, _ssim
        except ImportError as exc:  # pragma: no cover - guards a change in the library's internals
            raise ImportError(f"msssim needs pytorch-msssim's per-scale SSIM kernel (pytorch_msssim.ssim._ssim): {exc}; "
                              "install pytorch-msssim 1.0") from exc

        check_images(sr, hr, "msssim")
        scales, window = msssim_plan(min(sr.shape[-2:]))
        win = _fspecial_gauss_1d(window, SIGMA).repeat(sr.shape[1], 1, 1, 1)
        weights = sr.new_tensor(MSSSIM_WEIGHTS[:scales])
        weights = weights / weights.sum()
        x, y = sr, hr
        terms = []
        for level in range(scales):
            ssim_per_channel, cs = _ssim(x, y, data_range=self.data_range, win=win, size_average=False, K=K)
            if level < scales - 1:
                terms.append(cs.clamp_min(_FLOOR))
                padding = [s % 2 for s in x.shape[2:]]
                x = F.avg_pool2d(x, kernel_size=2, padding=padding)
                y = F.avg_pool2d(y, kernel_size=2, padding=padding)
        terms.append(ssim_per_channel.clamp_min(_FLOOR))
        value = torch.prod(torch.stack(terms) ** weights.view(-1, 1, 1), dim=0)  # (N, C)
        return 1.0 - value.mean()


class GradientDifferenceLoss(nn.Module):
    """Gradient difference loss (Mathieu, Couprie & LeCun 2016, eq. 5):
    mean ||hr[i,j] - hr[i-1,j]| - |sr[i,j] - sr[i-1,j]||^alpha
    + mean ||hr[i,j-1] - hr[i,j]| - |sr[i,j-1] - sr[i,j]||^alpha,
    a mean over pixels and channels (the paper sums) so its size does not depend on the image size.
    It penalises blurred or missing edges rather than pixel values. alpha >= 1 (the paper's
    integer exponent; below 1 the gradient is infinite where the two agree)."""

    role = "pixel"

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        if not alpha >= 1:
            raise ValueError(f"alpha must be >= 1, got {alpha}")
        self.alpha = float(alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"

    @staticmethod
    def _gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (x[..., 1:, :] - x[..., :-1, :]).abs(), (x[..., :, 1:] - x[..., :, :-1]).abs()

    @float32_pair
    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        check_images(sr, hr, "gdl")
        if min(sr.shape[-2:]) < 2:
            raise ValueError(f"gdl needs images of at least 2x2 pixels, got {tuple(sr.shape[-2:])}")
        total = sr.new_zeros(())
        for true, fake in zip(self._gradients(hr), self._gradients(sr)):
            total = total + (true - fake).abs().pow(self.alpha).mean()
        return total
