"""Checks of what scores images: losses (reconstruction and adversarial) and metrics.

Rules, so an author knows what passes:

* A pixel or perceptual loss, for 1- and 3-channel (2, C, 64, 64) images in [0, 1], returns a
  finite scalar tensor, is differentiable w.r.t. ``sr``, and is minimal at ``sr == hr``:
  ``loss(x, x) <= loss(x, noisy)`` and ``loss(x, x) <= max(1e-3, loss(x, noisy) / 10)`` where
  ``noisy`` adds Gaussian noise of std 0.1 (clamped to [0, 1]).
* An adversarial loss takes logits ``(4, 1)`` or patch maps ``(4, 1, 3, 3)``; its two methods
  return finite, differentiable scalars; the discriminator loss is lower for (real high, fake low)
  than for the reverse; the generator loss is lower for high fake logits than for low ones.
* A metric gets (2, 3, 64, 64) images in [0, 1] and returns ``(2,)`` or ``(2, 3)`` values. The
  degraded inputs add ``t * (0.5 + noise)`` for t = 0.05 and 0.2 (clamped to [0, 1]); the positive
  mean makes signed errors (bias) grow too. Identical inputs must score at least as well as the
  mild degradation (an infinite best, as PSNR's, is fine), and the strong one strictly worse.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from srzoo_core.interfaces import LOSS_ROLES
from srzoo_core.registry import ComponentInfo
from srzoo_core.testing._kit import Recorder, check_declared_attributes, channels_word, require

LOSS_CHANNELS = (1, 3)
IMAGE = (64, 64)
LOSS_NOISE = 0.1
MINIMUM_ABS = 1e-3
LOGIT_SHAPES = ((4, 1), (4, 1, 3, 3))
METRIC_LEVELS = (0.05, 0.2)


def _images(channels: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """An HR batch in [0.1, 0.9] and its noisy copy (std LOSS_NOISE, clamped to [0, 1])."""
    g = torch.Generator().manual_seed(seed)
    hr = 0.1 + 0.8 * torch.rand(2, channels, *IMAGE, generator=g)
    return hr, (hr + LOSS_NOISE * torch.randn(hr.shape, generator=g)).clamp(0, 1)


def _scalar(value: Any, where: str) -> float:
    require(isinstance(value, torch.Tensor) and value.dim() == 0,
            f"{where}: returned {tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__}, expected a scalar tensor")
    require(torch.isfinite(value).all(), f"{where}: returned {value.item()}, not finite")
    return float(value.detach())


def _build(rec: Recorder, factory: Callable[..., Any], params: dict[str, Any]) -> Any:
    with rec.check("build"):
        return factory(**params)
    return None


def loss(rec: Recorder, info: ComponentInfo, factory: Callable[..., Any], params: dict[str, Any]) -> None:
    module = _build(rec, factory, params)
    if module is None:
        return
    role = getattr(module, "role", None)
    check_declared_attributes(rec, module, "loss")
    with rec.check("role"):
        require(role in LOSS_ROLES, f"role is {role!r}; expected one of {', '.join(LOSS_ROLES)}")
        require((role == "adversarial") == info.adversarial,
                "an adversarial loss (role 'adversarial') is registered with requires=('disc',), and only it, so a spec using it gets a discriminator")
    if role == "adversarial":
        _adversarial(rec, module)
    elif role in LOSS_ROLES:
        _reconstruction(rec, module)


def _reconstruction(rec: Recorder, module: Any) -> None:
    with rec.check("scalar"):
        for c in LOSS_CHANNELS:
            hr, noisy = _images(c)
            with torch.no_grad():
                _scalar(module(noisy, hr), channels_word(c))

    with rec.check("differentiable"):
        for c in LOSS_CHANNELS:
            hr, noisy = _images(c)
            sr = noisy.clone().requires_grad_()
            value = module(sr, hr)
            require(isinstance(value, torch.Tensor) and value.requires_grad,
                    f"{channels_word(c)}: the returned loss does not require grad: it is detached from sr "
                    "(or computed outside autograd), so it cannot train anything")
            value.sum().backward()
            require(sr.grad is not None and torch.isfinite(sr.grad).all() and sr.grad.abs().sum() > 0,
                    f"{channels_word(c)}: no finite, non-zero gradient reaches sr")

    with rec.check("minimum at sr == hr"):
        for c in LOSS_CHANNELS:
            hr, noisy = _images(c)
            with torch.no_grad():
                same = _scalar(module(hr.clone(), hr), f"{channels_word(c)}, identical")
                worse = _scalar(module(noisy, hr), f"{channels_word(c)}, noisy")
            require(same <= worse, f"{channels_word(c)}: loss(x, x) = {same:.4g} exceeds loss(x, x + noise) = {worse:.4g}")
            require(same <= max(MINIMUM_ABS, worse / 10),
                    f"{channels_word(c)}: loss(x, x) = {same:.4g} is not near its minimum "
                    f"(must be <= max({MINIMUM_ABS:g}, loss(x, x + noise) / 10) = {max(MINIMUM_ABS, worse / 10):.4g})")


def _logits(value: float, shape: tuple[int, ...], seed: int) -> torch.Tensor:
    noise = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    return (value + 0.1 * noise).requires_grad_()


def _adversarial(rec: Recorder, module: Any) -> None:
    missing = [m for m in ("generator_loss", "discriminator_loss") if not callable(getattr(module, m, None))]
    with rec.check("methods"):
        require(not missing, f"has no method {' or '.join(missing)}; an adversarial loss needs "
                "generator_loss(fake_logits, real_logits) and discriminator_loss(real_logits, fake_logits)")
    if missing:
        return

    with rec.check("differentiable"):
        for shape in LOGIT_SHAPES:
            fake, real = _logits(0.0, shape, 1), _logits(0.0, shape, 2)
            g = module.generator_loss(fake, real)
            _scalar(g, f"generator_loss on {shape} logits")
            require(g.requires_grad, f"generator_loss on {shape} logits is detached from the logits")
            g.backward()
            require(fake.grad is not None, f"generator_loss on {shape} logits: no gradient reaches fake_logits")
            fake, real = _logits(0.0, shape, 1), _logits(0.0, shape, 2)
            d = module.discriminator_loss(real, fake)
            _scalar(d, f"discriminator_loss on {shape} logits")
            require(d.requires_grad, f"discriminator_loss on {shape} logits is detached from the logits")
            d.backward()
            require(real.grad is not None and fake.grad is not None,
                    f"discriminator_loss on {shape} logits: no gradient reaches both real_logits and fake_logits")

    with rec.check("direction"):
        for shape in LOGIT_SHAPES:
            high, low, mid = _logits(3.0, shape, 3), _logits(-3.0, shape, 4), _logits(0.0, shape, 5)
            with torch.no_grad():
                right = float(module.discriminator_loss(high, low))
                wrong = float(module.discriminator_loss(low, high))
                require(right < wrong, f"discriminator_loss is {right:.4g} for real high/fake low but {wrong:.4g} "
                        "for the reverse: it must be lower when the discriminator is right")
                good = float(module.generator_loss(high, mid))
                bad = float(module.generator_loss(low, mid))
                require(good < bad, f"generator_loss is {good:.4g} for high fake logits but {bad:.4g} for low ones: "
                        "it must be lower when the fakes fool the discriminator")


def metric(rec: Recorder, info: ComponentInfo, factory: Callable[..., Any], params: dict[str, Any]) -> None:
    m = _build(rec, factory, params)
    if m is None:
        return
    check_declared_attributes(rec, m, "metric")
    with rec.check("protocol"):
        protocol = m.protocol()
        require(isinstance(protocol, dict), f"protocol() returned {type(protocol).__name__}; expected a dict")
    hib = getattr(m, "higher_is_better", None)
    with rec.check("higher_is_better"):
        require(isinstance(hib, bool), f"is {hib!r}; expected a bool")
    if not isinstance(hib, bool):
        return

    g = torch.Generator().manual_seed(0)
    hr = 0.1 + 0.8 * torch.rand(2, 3, *IMAGE, generator=g)
    shift = 0.5 + torch.randn(hr.shape, generator=g)
    inputs = [hr.clone()] + [(hr + t * shift).clamp(0, 1) for t in METRIC_LEVELS]
    values: list[torch.Tensor] = []
    with rec.check("output"):
        for sr, label in zip(inputs, ("identical", *(f"degraded t={t}" for t in METRIC_LEVELS))):
            with torch.no_grad():
                v = m(sr, hr)
            ok = isinstance(v, torch.Tensor) and tuple(v.shape) in ((2,), (2, 3))
            require(ok, f"{label}: returned {tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__}, "
                    "expected a tensor of per-sample (2,) or per-sample, per-channel (2, 3) values")
            finite = not torch.isnan(v).any() if label == "identical" else torch.isfinite(v).all()
            require(finite, f"{label}: values {v.tolist()} are not finite")
            values.append(v.double())
    if len(values) < 3:
        return

    with rec.check("direction"):
        sign = 1.0 if hib else -1.0
        same, mild, strong = (float(v.mean()) for v in values)
        word = "higher" if hib else "lower"
        require(sign * same >= sign * mild,
                f"higher_is_better={hib}, but identical inputs score {same:.4g} and degraded ones {mild:.4g}: "
                f"identical inputs must score best ({word})")
        require(sign * mild > sign * strong,
                f"higher_is_better={hib}, but mild degradation scores {mild:.4g} and strong {strong:.4g}: "
                f"more degradation must score worse ({'lower' if hib else 'higher'})")
