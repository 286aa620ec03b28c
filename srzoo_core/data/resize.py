"""Resampling: MATLAB-compatible ``imresize``, the named degradations and the baseline upsampler.

``imresize`` follows MATLAB's ``imresize`` (Image Processing Toolbox) exactly in floating point:

* kernels: ``cubic`` is Keys' cubic convolution with a = -0.5 (width 4); ``triangle`` is the linear
  kernel (width 2) that MATLAB calls ``bilinear``;
* output pixel ``x`` (1-based) samples input position ``u = x/scale + 0.5*(1 - 1/scale)``;
* when shrinking (scale < 1) with antialiasing the kernel is stretched by ``1/scale`` and scaled by
  ``scale``, so it low-pass filters while it interpolates;
* weights are normalised to sum to one for every output pixel, and taps falling outside the
  image are mirrored back in (symmetric padding, edge pixel repeated).

Each axis is one dense weight matrix, so a resize is ``W_h @ x @ W_w.T`` (separable, linear, and
the order of the two passes does not matter in floating point). Inputs stay floating point: no
rounding or clipping happens here; callers that want 8-bit images quantise afterwards.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from srzoo_core.data.errors import DataError

DEGRADATIONS: tuple[str, ...] = ("bicubic", "bilinear", "bilinear-noaa", "area")
DEFAULT_DEGRADATION = "bicubic"

DEGRADATION_DOC: dict[str, str] = {
    "bicubic": "MATLAB imresize bicubic (Keys cubic, a=-0.5), antialiased when downscaling, symmetric borders",
    "bilinear": "MATLAB imresize bilinear (triangle kernel), antialiased when downscaling, symmetric borders",
    "bilinear-noaa": "torch F.interpolate(mode='bilinear', align_corners=False, antialias=False): aliases",
    "area": "mean of each scale x scale block (box filter)",
}


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    near = (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1)
    far = (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2))
    return near + far


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.clip(1.0 - np.abs(x), 0.0, None)


KERNELS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float]] = {
    "cubic": (_cubic, 4.0),
    "triangle": (_triangle, 2.0),
}


@functools.lru_cache(maxsize=128)
def resize_matrix(in_len: int, out_len: int, scale: float, kernel: str = "cubic", antialias: bool = True) -> np.ndarray:
    """The (out_len, in_len) float64 matrix MATLAB's ``imresize`` applies along one axis."""
    func, width = KERNELS[kernel]
    if scale < 1 and antialias:
        def h(d: np.ndarray) -> np.ndarray:
            return scale * func(scale * d)
        width = width / scale
    else:
        h = func
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - width / 2.0)
    taps = int(math.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]            # 1-based input positions
    w = h(u[:, None] - idx)
    w = w / w.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])   # symmetric padding
    col = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    mat = np.zeros((out_len, in_len), dtype=np.float64)
    np.add.at(mat, (np.repeat(np.arange(out_len), taps), col.ravel()), w.ravel())
    return mat


def _check_float(x: Tensor, what: str) -> None:
    if not isinstance(x, Tensor):
        raise DataError(f"{what} expects a torch tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise DataError(f"{what} expects a floating-point tensor, got {x.dtype}")
    if x.ndim < 2:
        raise DataError(f"{what} expects a tensor shaped (..., H, W), got shape {tuple(x.shape)}")


def _apply(x: Tensor, out_hw: tuple[int, int], scale_hw: tuple[float, float], kernel: str, antialias: bool) -> Tensor:
    h_in, w_in = x.shape[-2:]
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    wh = torch.from_numpy(resize_matrix(h_in, out_hw[0], scale_hw[0], kernel, antialias)).to(x.device, work, copy=True)
    ww = torch.from_numpy(resize_matrix(w_in, out_hw[1], scale_hw[1], kernel, antialias)).to(x.device, work, copy=True)
    y = torch.matmul(torch.matmul(wh, x.to(work)), ww.transpose(0, 1))
    return y.to(x.dtype)


def imresize(x: Tensor, scale: float, *, kernel: str = "cubic", antialias: bool = True) -> Tensor:
    """MATLAB ``imresize(x, scale)`` on the last two axes of a float tensor (any leading axes).

    The output size is ``ceil(scale * size)`` per axis, as in MATLAB. ``kernel`` is ``"cubic"``
    (MATLAB's default ``bicubic``) or ``"triangle"`` (MATLAB's ``bilinear``).
    """
    _check_float(x, "imresize")
    if kernel not in KERNELS:
        raise DataError(f"unknown resize kernel {kernel!r}; valid kernels: {', '.join(KERNELS)}")
    scale = float(scale)
    if not (scale > 0 and math.isfinite(scale)):
        raise DataError(f"imresize scale must be a positive number, got {scale}")
    h, w = x.shape[-2:]
    out = (max(1, math.ceil(scale * h - 1e-9)), max(1, math.ceil(scale * w - 1e-9)))
    return _apply(x, out, (scale, scale), kernel, antialias)


def check_degradation(method: str) -> str:
    if method not in DEGRADATIONS:
        raise DataError(f"unknown degradation {method!r}; valid degradations: {', '.join(DEGRADATIONS)}")
    return method


def _check_scale(scale: int) -> int:
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise DataError(f"scale must be a positive integer, got {scale!r}")
    return int(scale)


def _as4d(x: Tensor, what: str) -> tuple[Tensor, bool]:
    _check_float(x, what)
    if x.ndim == 3:
        return x.unsqueeze(0), True
    if x.ndim == 4:
        return x, False
    raise DataError(f"{what} expects (C, H, W) or (N, C, H, W), got shape {tuple(x.shape)}")


def degrade(hr: Tensor, scale: int, method: str = DEFAULT_DEGRADATION) -> Tensor:
    """Make the low-resolution input from ``hr`` (``(C,H,W)`` or ``(N,C,H,W)``, H and W divisible by scale)."""
    check_degradation(method)
    s = _check_scale(scale)
    x, squeeze = _as4d(hr, "degrade")
    h, w = x.shape[-2:]
    if h % s or w % s:
        raise DataError(f"cannot degrade a {h}x{w} field by scale {s}: height and width must be divisible by {s}")
    out_hw = (h // s, w // s)
    if method == "bicubic":
        y = _apply(x, out_hw, (1.0 / s, 1.0 / s), "cubic", True)
    elif method == "bilinear":
        y = _apply(x, out_hw, (1.0 / s, 1.0 / s), "triangle", True)
    elif method == "bilinear-noaa":
        y = F.interpolate(x, size=out_hw, mode="bilinear", align_corners=False, antialias=False)
    else:  # area
        y = F.avg_pool2d(x, kernel_size=s, stride=s)
    return y.squeeze(0) if squeeze else y


def upsample(lr: Tensor, scale: int, method: str = "bicubic") -> Tensor:
    """Interpolate ``lr`` up by ``scale``: the baseline every model is scored against.

    ``bicubic`` is MATLAB ``imresize`` bicubic (a=-0.5, symmetric borders; torch's bicubic uses
    a=-0.75 and differs). Upscaling needs no antialiasing, so ``bilinear`` and ``bilinear-noaa``
    give the same result; ``area`` replicates pixels (box kernel).
    """
    check_degradation(method)
    s = _check_scale(scale)
    x, squeeze = _as4d(lr, "upsample")
    out_hw = (x.shape[-2] * s, x.shape[-1] * s)
    if method == "bicubic":
        y = _apply(x, out_hw, (float(s), float(s)), "cubic", True)
    elif method == "bilinear":
        y = _apply(x, out_hw, (float(s), float(s)), "triangle", True)
    elif method == "bilinear-noaa":
        y = F.interpolate(x, size=out_hw, mode="bilinear", align_corners=False)
    else:  # area
        y = F.interpolate(x, size=out_hw, mode="nearest")
    return y.squeeze(0) if squeeze else y
