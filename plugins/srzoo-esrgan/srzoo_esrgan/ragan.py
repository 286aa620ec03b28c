"""Relativistic average GAN loss (Jolicoeur-Martineau, 2018) as used by ESRGAN (Wang et al., 2018).

The relativistic average discriminator asks whether a real image is more realistic than the fakes
on average: D_Ra(x_r, x_f) = σ(C(x_r) − E[C(x_f)]), with C the raw logits. Both players' losses are
binary cross-entropies on those relative logits, each the mean of its two terms as in the ESRGAN
code (which is what its adversarial weight 0.005 was tuned with):

    L_D = ½ BCE(C(x_r) − E[C(x_f)], 1) + ½ BCE(C(x_f) − E[C(x_r)], 0)
    L_G = ½ BCE(C(x_r) − E[C(x_f)], 0) + ½ BCE(C(x_f) − E[C(x_r)], 1)

E[·] is the mean over the batch (and over patches, for patch logits).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


class RaGANLoss(nn.Module):
    role = "adversarial"
    needs_real_logits = True

    def generator_loss(self, fake_logits: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
        """Generator step. ``real_logits`` are detached: this loss trains the generator only."""
        real_logits = real_logits.detach()
        return 0.5 * (_bce(real_logits - fake_logits.mean(), 0.0) + _bce(fake_logits - real_logits.mean(), 1.0))

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """Discriminator step, on logits of real images and of (detached) generated ones."""
        return 0.5 * (_bce(real_logits - fake_logits.mean(), 1.0) + _bce(fake_logits - real_logits.mean(), 0.0))

    def forward(self, *args, **kwargs):
        raise TypeError("ragan is an adversarial loss: call generator_loss(fake_logits, real_logits) "
                        "or discriminator_loss(real_logits, fake_logits), not the module itself")


def ragan() -> RaGANLoss:
    return RaGANLoss()
