"""One optimisation step, the same for every GAN flavour: the adversarial loss component decides
how logits become losses; the trainer only decides when the discriminator takes part."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from srzoo_core.build import LossTerm
from srzoo_core.training.device import Placement

PRETRAIN, GAN, PIXEL = "pretrain", "gan", "pixel"


def call_disc(disc: nn.Module, x: torch.Tensor, lr: torch.Tensor) -> torch.Tensor:
    inner = getattr(disc, "module", disc)  # DistributedDataParallel keeps the model in .module
    return disc(x, lr) if getattr(inner, "needs_lr", False) else disc(x)


@dataclass
class StepResult:
    applied: bool
    losses: dict[str, torch.Tensor] = field(default_factory=dict)
    health: dict[str, torch.Tensor] = field(default_factory=dict)


class StepRunner:
    def __init__(self, generator: nn.Module, disc: nn.Module | None, losses: list[LossTerm], opt_g: Any, opt_d: Any,
                 placement: Placement, grad_clip: float | None):
        self.generator = generator
        self.disc = disc
        self.losses = losses
        self.opt_g = opt_g
        self.opt_d = opt_d
        self.placement = placement
        self.grad_clip = grad_clip
        enabled = placement.needs_scaler
        self.scaler_g = torch.amp.GradScaler(placement.device.type, enabled=enabled)
        self.scaler_d = torch.amp.GradScaler(placement.device.type, enabled=enabled)

    def active(self, phase: str) -> list[LossTerm]:
        """Pretraining uses the pixel/structural losses only; afterwards every term."""
        if phase == PRETRAIN:
            pixel = [t for t in self.losses if t.role == "pixel"]
            return pixel or [t for t in self.losses if not t.adversarial]
        return self.losses

    def _apply(self, loss: torch.Tensor, optimizer: Any, scaler: Any, params: list[torch.Tensor]) -> None:
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if self.grad_clip:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, self.grad_clip)
        scaler.step(optimizer)
        scaler.update()

    def step(self, lr: torch.Tensor, hr: torch.Tensor, phase: str) -> StepResult:
        result = StepResult(applied=True)
        adversarial_phase = phase == GAN and self.disc is not None
        if self.disc is not None:
            self.disc.requires_grad_(False)
        with self.placement.autocast():
            sr = self.generator(lr)
            total = sr.new_zeros((), dtype=torch.float32)
            real_logits = None
            for term in self.active(phase):
                if term.adversarial:
                    fake_logits = call_disc(self.disc, sr, lr)
                    if term.module.needs_real_logits and real_logits is None:
                        real_logits = call_disc(self.disc, hr, lr).detach()
                    value = term.module.generator_loss(fake_logits, real_logits)
                else:
                    value = term.module(sr, hr)
                value = value.float()
                result.losses[term.name] = value.detach()
                total = total + term.weight * value
        if not bool(torch.isfinite(total)):
            self.opt_g.zero_grad(set_to_none=True)
            return StepResult(applied=False, losses=result.losses)
        self._apply(total, self.opt_g, self.scaler_g, list(self.generator.parameters()))
        result.losses["total"] = total.detach()
        if adversarial_phase:
            if not self._disc_step(lr, hr, sr.detach(), result):
                return StepResult(applied=False, losses=result.losses)
        return result

    def _disc_step(self, lr: torch.Tensor, hr: torch.Tensor, fake: torch.Tensor, result: StepResult) -> bool:
        self.disc.requires_grad_(True)
        adversarial = [t for t in self.losses if t.adversarial]
        with self.placement.autocast():
            real_logits = call_disc(self.disc, hr, lr)
            fake_logits = call_disc(self.disc, fake, lr)
            loss = sum(t.module.discriminator_loss(real_logits, fake_logits).float() for t in adversarial) / len(adversarial)
        if not bool(torch.isfinite(loss)):
            self.opt_d.zero_grad(set_to_none=True)
            return False
        self._apply(loss, self.opt_d, self.scaler_d, list(self.disc.parameters()))
        result.losses["disc"] = loss.detach()
        real, fake_l = real_logits.detach().float(), fake_logits.detach().float()
        result.health = {
            "d_real": real.mean(), "d_fake": fake_l.mean(),
            "d_acc": 0.5 * ((real > 0).float().mean() + (fake_l < 0).float().mean()),
        }
        return True
