"""Blur kernels built from fixed parameters, and filtering with a per-sample kernel.

Kernels follow Real-ESRGAN's definitions (Wang et al., 2021, sec. 3.1): on a k×k grid centred at
zero, with ``x`` along columns and ``y`` along rows, the rotated quadratic form

    Q(x, y) = u² / σx² + v² / σy²,   u = x cos θ + y sin θ,   v = −x sin θ + y cos θ

gives the Gaussian ``exp(−Q/2)``, the generalised Gaussian ``exp(−Q^β / 2)`` and the plateau
``1 / (1 + Q^β)``; the isotropic kinds use σy = σx and θ = 0. The sinc (circular low-pass)
kernel is ``ω J1(ω r) / (2π r)`` with ``ω²/(4π)`` at the centre. Every kernel is normalised to
sum to one and computed in float64.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

BLUR_KINDS: tuple[str, ...] = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
Boundary = Literal["reflect", "circular", "replicate"]


def _centred_grid(size: int) -> tuple[Tensor, Tensor]:
    axis = torch.arange(size, dtype=torch.float64) - size // 2
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    return x, y


def blur_kernel(kind: str, size: int, sigma_x: float, sigma_y: float | None = None, theta: float = 0.0,
                beta: float | None = None) -> Tensor:
    """The normalised ``(size, size)`` float64 kernel of one of :data:`BLUR_KINDS`."""
    if kind not in BLUR_KINDS:
        raise ValueError(f"unknown blur kernel {kind!r}; kinds: {', '.join(BLUR_KINDS)}")
    if size < 1 or size % 2 == 0:
        raise ValueError(f"a blur kernel's size must be a positive odd number, not {size}")
    x, y = _centred_grid(size)
    if kind.endswith("_iso") or kind == "iso":
        q = (x * x + y * y) / (sigma_x * sigma_x)
    else:
        sy = sigma_x if sigma_y is None else sigma_y
        c, s = math.cos(theta), math.sin(theta)
        u, v = x * c + y * s, -x * s + y * c
        q = u * u / (sigma_x * sigma_x) + v * v / (sy * sy)
    if kind.startswith("generalized"):
        kernel = torch.exp(-0.5 * q.pow(beta))
    elif kind.startswith("plateau"):
        kernel = 1.0 / (q.pow(beta) + 1.0)
    else:
        kernel = torch.exp(-0.5 * q)
    return kernel / kernel.sum()


def bessel_j1(x: Tensor) -> Tensor:
    """Bessel function of the first kind, order 1, of float64 ``x``, to ~1e-15.

    ``torch.special.bessel_j1`` is off by up to 5e-7 for 5 < x < 10; instead use Bessel's integral
    J1(x) = 1/(2π) ∫ cos(τ − x sin τ) dτ over a full period, where the trapezoidal rule converges
    geometrically once it has more than ~|x| + 30 nodes."""
    nodes = 64 + math.ceil(float(x.abs().max())) if x.numel() else 1
    tau = torch.arange(nodes, dtype=torch.float64, device=x.device) * (2.0 * math.pi / nodes)
    return torch.cos(tau - x.unsqueeze(-1) * torch.sin(tau)).mean(-1)


def sinc_kernel(size: int, omega: float) -> Tensor:
    """The normalised circular low-pass (2-D sinc) kernel with cut-off ``omega`` radians."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"a sinc kernel's size must be a positive odd number, not {size}")
    x, y = _centred_grid(size)
    r = torch.sqrt(x * x + y * y)
    centre = r == 0
    safe_r = torch.where(centre, torch.ones_like(r), r)
    kernel = omega * bessel_j1(omega * safe_r) / (2.0 * math.pi * safe_r)
    kernel = torch.where(centre, torch.full_like(r, omega * omega / (4.0 * math.pi)), kernel)
    return kernel / kernel.sum()


def _pad_index(length: int, pad: int, boundary: Boundary) -> Tensor:
    index = torch.arange(-pad, length + pad)
    if boundary == "circular":
        return index.remainder(length)
    if boundary == "replicate":
        return index.clamp(0, length - 1)
    if length == 1:
        return torch.zeros_like(index)
    # mirror without repeating the edge (torch's "reflect"), folded as often as the pad needs
    period = 2 * (length - 1)
    index = index.remainder(period)
    return torch.where(index > length - 1, period - index, index)


def pad2d(image: Tensor, pad: int, boundary: Boundary = "reflect") -> Tensor:
    """Pad the last two axes by ``pad``; unlike ``F.pad`` this works for pads wider than the image
    and equals ``F.pad(mode="reflect")`` wherever that works."""
    rows = _pad_index(image.shape[-2], pad, boundary).to(image.device)
    cols = _pad_index(image.shape[-1], pad, boundary).to(image.device)
    return image.index_select(-2, rows).index_select(-1, cols)


def filter2d(image: Tensor, kernel: Tensor, boundary: Boundary = "reflect") -> Tensor:
    """Cross-correlate every channel of ``image`` (``(..., H, W)``) with the odd ``(k, k)`` kernel
    (what ``conv2d`` computes), after padding by ``k // 2``; same size and dtype out.

    Computed by FFT in float64: CPU ``conv2d`` in float64 is ~20× slower than this, and the result
    equals the direct sum to ~1e-15."""
    k = kernel.shape[-1]
    if kernel.ndim != 2 or kernel.shape[0] != k or k % 2 == 0:
        raise ValueError(f"filter2d needs a square odd kernel, got shape {tuple(kernel.shape)}")
    if k == 1:
        return image * kernel.reshape(()).to(image.dtype)
    padded = pad2d(image.to(torch.float64), k // 2, boundary)
    h, w = image.shape[-2:]
    # zeros past the padded image only reach outputs before index k - 1, which are cut off
    size = (_fast_length(padded.shape[-2]), _fast_length(padded.shape[-1]))
    spectrum = torch.fft.rfft2(padded, s=size) * torch.fft.rfft2(kernel.to(padded).flip(0, 1), s=size)
    full = torch.fft.irfft2(spectrum, s=size)
    return full[..., k - 1:k - 1 + h, k - 1:k - 1 + w].to(image.dtype).contiguous()


def _fast_length(n: int) -> int:
    """The smallest 2^a·3^b·5^c >= n: FFTs of such lengths are several times faster."""
    best = 1 << max(n - 1, 0).bit_length()
    p3 = 1
    while p3 < best:
        p35 = p3
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 5
        p3 *= 3
    return best
