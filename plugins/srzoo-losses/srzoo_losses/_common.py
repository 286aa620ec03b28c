"""Shared checks and the float32 guard used by every loss in this plugin."""

from __future__ import annotations

import contextlib
import functools
from typing import Callable

import torch


def at_least_float32(x: torch.Tensor) -> torch.Tensor:
    """bf16/fp16 (and integer) tensors become float32; float32 and float64 stay as they are."""
    if x.dtype in (torch.float32, torch.float64):
        return x
    return x.float()


def autocast_off(device_type: str) -> contextlib.AbstractContextManager:
    """Disable autocast for ``device_type``: under bf16 autocast a conv would run in bf16 again
    even on float32 inputs, which is what the float32 cast is meant to avoid."""
    is_available = getattr(torch.amp, "is_autocast_available", None)
    if is_available is not None and not is_available(device_type):
        return contextlib.nullcontext()
    return torch.autocast(device_type=device_type, enabled=False)


def check_pair(sr: torch.Tensor, hr: torch.Tensor, name: str) -> None:
    if sr.shape != hr.shape:
        raise ValueError(f"{name}: sr and hr must have the same shape, got {tuple(sr.shape)} and {tuple(hr.shape)}")


def check_images(sr: torch.Tensor, hr: torch.Tensor, name: str) -> None:
    check_pair(sr, hr, name)
    if sr.dim() != 4:
        raise ValueError(f"{name}: expects (N, C, H, W) tensors, got shape {tuple(sr.shape)}")


def float32_pair(forward: Callable) -> Callable:
    """Wrap ``forward(self, sr, hr)``: cast both to at least float32 and switch autocast off."""

    @functools.wraps(forward)
    def wrapper(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        with autocast_off(sr.device.type):
            return forward(self, at_least_float32(sr), at_least_float32(hr))

    return wrapper
