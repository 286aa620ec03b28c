"""Shared checks for every metric: shapes, the border crop and float64 promotion."""

from __future__ import annotations

from importlib import metadata

import torch


def implementation(metric: str) -> str:
    """The implementation name a protocol records: distribution, version and metric."""
    try:
        version = metadata.version("srzoo-metrics")
    except metadata.PackageNotFoundError:
        version = "0+source"
    return f"srzoo-metrics {version} {metric}"


def check_crop(crop: int) -> int:
    if isinstance(crop, bool) or not isinstance(crop, int) or crop < 0:
        raise ValueError(f"crop must be a whole number of pixels >= 0, not {crop!r}")
    return crop


def prepare(sr: torch.Tensor, hr: torch.Tensor, crop: int, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Check two (N, C, H, W) batches of the same shape, crop ``crop`` pixels from every side
    and return both detached in float64.

    Sizes must match exactly: a prediction of the wrong size is an error, never re-interpolated.
    """
    if not (isinstance(sr, torch.Tensor) and isinstance(hr, torch.Tensor)):
        raise TypeError(f"{name}: sr and hr must be tensors, got {type(sr).__name__} and {type(hr).__name__}")
    if sr.dim() != 4 or hr.dim() != 4:
        raise ValueError(f"{name}: expects (N, C, H, W) batches, got shapes {tuple(sr.shape)} and {tuple(hr.shape)}")
    if sr.shape != hr.shape:
        raise ValueError(f"{name}: sr and hr differ in shape, {tuple(sr.shape)} vs {tuple(hr.shape)}; "
                         "a prediction of the wrong size is an error (it is never resized before scoring)")
    if sr.is_complex() or hr.is_complex():
        raise TypeError(f"{name}: complex tensors are not supported")
    height, width = sr.shape[-2:]
    if 2 * crop >= height or 2 * crop >= width:
        raise ValueError(f"{name}: crop={crop} removes the whole {height}x{width} image")
    if crop:
        sr = sr[..., crop:height - crop, crop:width - crop]
        hr = hr[..., crop:height - crop, crop:width - crop]
    return sr.detach().to(torch.float64), hr.detach().to(torch.float64)
