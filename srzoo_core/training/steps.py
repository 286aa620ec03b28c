"""One optimisation step, the same for every GAN flavour: the adversarial loss component decides
how logits become losses; the trainer only decides when the discriminator takes part.

A step is applied whole or not at all. Both losses (the generator's and, in the adversarial
phase, the discriminator's) are computed and their gradients taken before either optimizer
moves; a non-finite loss or gradient in either skips the step for both, so the generator never
moves on a step whose discriminator update is dropped, and the buffers the forward passes
updated (batch-norm running statistics, possibly with the very NaN that spoilt the step) are put
back as they were. (The discriminator's loss does not
depend on this step's generator update — it scores the detached output computed before it — so
the order changes no number; the price is that both graphs are alive at once.) With a gradient
scaler (fp16), non-finite gradients are the scaler's business: it skips and lowers its scale.

Gradient accumulation (``--accumulate K``): a step may be given K micro-batches. Each one's losses
(the generator's and the discriminator's), divided by K, are back-propagated into the same
gradients, which the optimizers then apply once — for a loss that is a mean over the batch, the
same update as one batch K times larger (batch-norm statistics aside). A non-finite loss in any
micro-batch skips the whole step. Under DistributedDataParallel the gradients are all-reduced
once, with the last micro-batch. The losses reported are the means over the micro-batches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from srzoo_core.build import LossTerm
from srzoo_core.data.datasets import hide_missing
from srzoo_core.interfaces import optional_attribute
from srzoo_core.training.device import Placement

PRETRAIN, GAN, PIXEL = "pretrain", "gan", "pixel"


def call_disc(disc: nn.Module, x: torch.Tensor, lr: torch.Tensor) -> torch.Tensor:
    inner = getattr(disc, "module", disc)  # DistributedDataParallel keeps the model in .module
    return disc(x, lr) if optional_attribute(inner, "disc", "needs_lr") else disc(x)


@dataclass
class StepResult:
    applied: bool
    losses: dict[str, torch.Tensor] = field(default_factory=dict)
    health: dict[str, torch.Tensor] = field(default_factory=dict)
    reason: str | None = None  # why a step was not applied


class StepRunner:
    def __init__(self, generator: nn.Module, disc: nn.Module | None, losses: list[LossTerm], opt_g: Any, opt_d: Any,
                 placement: Placement, grad_clip: float | None, agree: Callable[[bool], bool] = bool):
        self.generator = generator
        # Under DDP every process must take the same skip-or-apply decision, or one waits forever
        # in the gradient all-reduce of a backward pass the other skipped.
        self.agree = agree
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

    def _gradients_finite(self, optimizer: Any, scaler: Any, params: list[torch.Tensor]) -> bool:
        """Unscale and clip; False when a gradient is NaN or infinite (left to the scaler if enabled)."""
        if self.grad_clip:
            scaler.unscale_(optimizer)
            norm = torch.nn.utils.clip_grad_norm_(params, self.grad_clip)
        elif scaler.is_enabled():
            return True
        else:
            grads = [p.grad for p in params if p.grad is not None]
            norm = torch.nn.utils.get_total_norm(grads) if grads else torch.zeros(())
        return scaler.is_enabled() or bool(torch.isfinite(norm))

    def _buffers(self) -> list[torch.Tensor]:
        modules = [self.generator] + ([self.disc] if self.disc is not None else [])
        return [b for m in modules for b in m.buffers()]

    @torch.no_grad()
    def _discard(self, buffers: list[torch.Tensor]) -> None:
        """Undo a step: no gradients left behind, every buffer as it was before the forward passes."""
        self.opt_g.zero_grad(set_to_none=True)
        if self.opt_d is not None:
            self.opt_d.zero_grad(set_to_none=True)
        for buffer, saved in zip(self._buffers(), buffers):
            buffer.copy_(saved)

    def _no_sync(self, sync: bool) -> contextlib.ExitStack:
        """Under DDP, no gradient all-reduce in this backward pass unless ``sync``."""
        stack = contextlib.ExitStack()
        if not sync:
            for model in (self.generator, self.disc):
                if hasattr(model, "no_sync"):
                    stack.enter_context(model.no_sync())
        return stack

    def step(self, lr: torch.Tensor | Sequence[torch.Tensor], hr: torch.Tensor | Sequence[torch.Tensor], phase: str) -> StepResult:
        """One optimizer step on a batch, or on micro-batches (sequences of LR and HR tensors)."""
        lrs, hrs = ([lr], [hr]) if isinstance(lr, torch.Tensor) else (list(lr), list(hr))
        count = len(lrs)
        adversarial_phase = phase == GAN and self.disc is not None
        buffers = [b.detach().clone() for b in self._buffers()]  # small: running statistics
        self.opt_g.zero_grad(set_to_none=True)
        if self.opt_d is not None:
            self.opt_d.zero_grad(set_to_none=True)
        parts, totals = [], []
        for index, (micro_lr, micro_hr) in enumerate(zip(lrs, hrs)):
            with self._no_sync(sync=index == count - 1):
                part, total, d_loss = self._forward(micro_lr, micro_hr, phase, adversarial_phase)
                if not self.agree(bool(torch.isfinite(total)) and (d_loss is None or bool(torch.isfinite(d_loss)))):
                    self._discard(buffers)
                    return StepResult(applied=False, losses=part.losses, reason="non-finite loss")
                self.scaler_g.scale(total / count).backward()
                if d_loss is not None:
                    self.scaler_d.scale(d_loss / count).backward()
            parts.append(part)
            totals.append(total.detach())
        finite = self._gradients_finite(self.opt_g, self.scaler_g, list(self.generator.parameters()))
        if adversarial_phase:
            finite = self._gradients_finite(self.opt_d, self.scaler_d, list(self.disc.parameters())) and finite
        if not finite:
            self._discard(buffers)
            return StepResult(applied=False, losses=_mean([p.losses for p in parts]), reason="non-finite gradients")
        for optimizer, scaler in ((self.opt_g, self.scaler_g), *(((self.opt_d, self.scaler_d),) if adversarial_phase else ())):
            scaler.step(optimizer)
            scaler.update()
        losses = {**_mean([p.losses for p in parts]), "total": torch.stack(totals).mean()}
        return StepResult(applied=True, losses=losses, health=_mean([p.health for p in parts]))

    def _forward(self, lr: torch.Tensor, hr: torch.Tensor, phase: str,
                 adversarial_phase: bool) -> tuple[StepResult, torch.Tensor, torch.Tensor | None]:
        """One (micro-)batch's generator loss and, in the adversarial phase, discriminator loss."""
        result = StepResult(applied=True)
        if self.disc is not None:
            self.disc.requires_grad_(False)
        with self.placement.autocast():
            sr = self.generator(lr)
            sr, hr = hide_missing(sr, hr)  # cells without data (NaN in the HR) count for no loss
            total = sr.new_zeros((), dtype=torch.float32)
            real_logits = None
            for term in self.active(phase):
                if term.adversarial:
                    fake_logits = call_disc(self.disc, sr, lr)
                    if optional_attribute(term.module, "loss", "needs_real_logits") and real_logits is None:
                        real_logits = call_disc(self.disc, hr, lr).detach()
                    value = term.module.generator_loss(fake_logits, real_logits)
                else:
                    value = term.module(sr, hr)
                value = value.float()
                result.losses[term.name] = value.detach()
                total = total + term.weight * value
        d_loss = self._disc_loss(lr, hr, sr.detach(), result) if adversarial_phase else None
        return result, total, d_loss

    def _disc_loss(self, lr: torch.Tensor, hr: torch.Tensor, fake: torch.Tensor, result: StepResult) -> torch.Tensor:
        """The discriminator's loss on real and (detached) fake, and its health: mean logits and accuracy."""
        self.disc.requires_grad_(True)
        adversarial = [t for t in self.losses if t.adversarial]
        with self.placement.autocast():
            real_logits = call_disc(self.disc, hr, lr)
            fake_logits = call_disc(self.disc, fake, lr)
            loss = sum(t.module.discriminator_loss(real_logits, fake_logits).float() for t in adversarial) / len(adversarial)
        result.losses["disc"] = loss.detach()
        real, fake_l = real_logits.detach().float(), fake_logits.detach().float()
        result.health = {
            "d_real": real.mean(), "d_fake": fake_l.mean(),
            "d_acc": 0.5 * ((real > 0).float().mean() + (fake_l < 0).float().mean()),
        }
        return loss


def _mean(values: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Per key, the mean over the micro-batches (the value itself for one)."""
    if len(values) == 1:
        return values[0]
    return {key: torch.stack([v[key] for v in values]).mean() for key in values[0]}
