"""Pixel losses: L1, MSE and Charbonnier, each the mean over every element."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srzoo_losses._common import check_pair, float32_pair


class L1Loss(nn.Module):
    """mean(|sr - hr|)."""

    role = "pixel"

    @float32_pair
    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        check_pair(sr, hr, "l1")
        return F.l1_loss(sr, hr)


class MSELoss(nn.Module):
    """mean((sr - hr)^2)."""

    role = "pixel"

    @float32_pair
    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        check_pair(sr, hr, "mse")
        return F.mse_loss(sr, hr)


class CharbonnierLoss(nn.Module):
    """mean(sqrt((sr - hr)^2 + eps^2)) (Charbonnier et al. 1994; LapSRN). Behaves like L1 for
    differences much larger than ``eps`` and like a quadratic near zero, so its gradient is smooth.
    Its minimum is ``eps``, not zero (nothing is subtracted)."""

    role = "pixel"

    def __init__(self, eps: float = 1e-3):
        super().__init__()
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps}")
        self.eps = float(eps)

    def extra_repr(self) -> str:
        return f"eps={self.eps}"

    @float32_pair
    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        check_pair(sr, hr, "charbonnier")
        return torch.sqrt((sr - hr).square() + self.eps**2).mean()
