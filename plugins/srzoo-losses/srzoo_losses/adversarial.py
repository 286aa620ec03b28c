"""The adversarial loss ``gan``: one module for the vanilla, least-squares and hinge flavours, so
one trainer serves them all. It works on discriminator *logits* (never probabilities); logits of
any shape (``(N, 1)`` or a patch map) are averaged over every element.

    kind     discriminator loss                             generator loss
    vanilla  BCE(real, 1) + BCE(fake, 0)                    BCE(fake, 1)  (non-saturating)
    lsgan    0.5 mean((real - 1)^2) + 0.5 mean(fake^2)      0.5 mean((fake - 1)^2)
    hinge    mean(relu(1 - real)) + mean(relu(1 + fake))    -mean(fake)

BCE is ``binary_cross_entropy_with_logits`` (log-sum-exp form: numerically stable, no sigmoid in
the model). lsgan uses Mao et al.'s (2017) ½ factors with targets a=0, b=c=1; hinge is the form of
Lim & Ye (2017) used by SAGAN/BigGAN. None of the generator terms uses the real logits, so
``needs_real_logits`` is False and the trainer may skip that discriminator pass.
"""

from __future__ import annotations

from typing import Literal, Optional

import torch
import torch.nn.functional as F
from torch import nn

from srzoo_losses._common import at_least_float32, autocast_off

KINDS = ("vanilla", "lsgan", "hinge")


class GANLoss(nn.Module):
    role = "adversarial"
    needs_real_logits = False

    def __init__(self, kind: Literal["vanilla", "lsgan", "hinge"] = "vanilla"):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        self.kind = kind

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}"

    def generator_loss(self, fake_logits: torch.Tensor, real_logits: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The generator's term from the discriminator's logits on generated images.
        ``real_logits`` is accepted for the common signature and not used (see ``needs_real_logits``)."""
        with autocast_off(fake_logits.device.type):
            fake = at_least_float32(fake_logits)
            if self.kind == "vanilla":
                return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
            if self.kind == "lsgan":
                return 0.5 * (fake - 1.0).square().mean()
            return -fake.mean()

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """The discriminator's loss; pass ``fake_logits`` computed on detached generator output."""
        with autocast_off(real_logits.device.type):
            real, fake = at_least_float32(real_logits), at_least_float32(fake_logits)
            if self.kind == "vanilla":
                return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                        + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
            if self.kind == "lsgan":
                return 0.5 * (real - 1.0).square().mean() + 0.5 * fake.square().mean()
            return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def forward(self, *args, **kwargs):
        raise TypeError(
            "the adversarial loss 'gan' is not called as loss(sr, hr): use "
            "generator_loss(fake_logits, real_logits) and discriminator_loss(real_logits, fake_logits) "
            "with the discriminator's logits"
        )
