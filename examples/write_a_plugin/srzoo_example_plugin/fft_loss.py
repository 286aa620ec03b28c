"""A Fourier-domain L1 loss: ``mean(|Re(F(sr) - F(hr))| + |Im(F(sr) - F(hr))|) / 2`` with ``F`` the
2-D FFT over H and W of every channel. Pixel losses are dominated by the large, smooth structures;
here an error in fine detail weighs as much as one in the large scales, which counters the blur
of L1/MSE-trained models."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn


class FFTL1Loss(nn.Module):
    role = "pixel"  # srzoo's loss roles: pixel (also used in pretraining), perceptual, adversarial

    def __init__(self, norm: Literal["ortho", "forward", "backward"] = "ortho"):
        super().__init__()
        self.norm = norm

    def extra_repr(self) -> str:
        return f"norm={self.norm!r}"

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        if sr.shape != hr.shape:
            raise ValueError(f"fft_l1: sr and hr must have the same shape, got {tuple(sr.shape)} and {tuple(hr.shape)}")
        # The FFT has no bfloat16 kernel, and the trainer runs under bf16 autocast on CPU: compute in float32.
        with torch.autocast(device_type=sr.device.type, enabled=False):
            diff = torch.fft.rfft2(sr.float(), norm=self.norm) - torch.fft.rfft2(hr.float(), norm=self.norm)
            return torch.view_as_real(diff).abs().mean()
