"""The contracts every component honours. Pure Python: importing this module never imports torch.

A component is registered as a *factory*: a callable (or a lazy ``"module:attr"`` reference to
one) whose keyword parameters are the component's options. The build layer supplies the
*context* parameters listed below (channels, scale) from the data; everything else comes from
the spec string.

Generators
    ``factory(in_channels, out_channels, scale, **options, **slots) -> nn.Module`` mapping
    ``(N, in_channels, H, W)`` to ``(N, out_channels, scale*H, scale*W)``. Slots are keyword
    arguments named after :data:`GENERATOR_SLOTS`; each receives ``None`` or a *block maker*
    (see Blocks) and the generator declares which slots it supports.

Discriminators
    ``factory(in_channels, **options) -> nn.Module`` returning raw logits (never a sigmoid), of
    shape ``(N, 1)`` or a patch map ``(N, 1, h, w)``. A discriminator that also wants the
    low-resolution input sets ``needs_lr = True`` and is called as ``disc(x, lr)``.

Blocks
    A block declares the one slot it fills. Its factory is called by the host component:
    ``attention``/``fusion``/``body``: ``factory(channels, **options)`` → module keeping
    ``(N, channels, H, W)``; ``upsampler``: ``factory(channels, scale, **options)`` → module
    mapping ``(N, channels, H, W)`` to ``(N, channels, scale*H, scale*W)``; ``wrapper``:
    ``factory(inner, in_channels, **options)`` where ``inner(in_channels)`` builds the wrapped
    discriminator.

Losses
    ``factory(**options) -> nn.Module`` with ``forward(sr, hr) -> scalar tensor`` and a class
    attribute ``role`` in :data:`LOSS_ROLES`. An adversarial loss (``role == "adversarial"``,
    registered with ``requires=("disc",)``) instead exposes ``generator_loss(fake_logits,
    real_logits)`` and ``discriminator_loss(real_logits, fake_logits)``, so one trainer serves
    every GAN flavour.

Metrics
    ``factory(**options)`` → object with ``higher_is_better: bool``, ``protocol() -> dict`` and
    ``__call__(sr, hr) -> Tensor`` of per-sample values ``(N,)`` or per-sample, per-channel
    values ``(N, C)``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

KINDS: tuple[str, ...] = ("gen", "disc", "block", "loss", "metric", "deg", "datasource", "logger")

KIND_NOUNS: dict[str, str] = {
    "gen": "generator",
    "disc": "discriminator",
    "block": "block",
    "loss": "loss",
    "metric": "metric",
    "deg": "degradation",
    "datasource": "data source",
    "logger": "logger",
}

GENERATOR_SLOTS: tuple[str, ...] = ("body", "attention", "fusion", "upsampler")
DISCRIMINATOR_SLOTS: tuple[str, ...] = ("wrapper",)
ALL_SLOTS: tuple[str, ...] = GENERATOR_SLOTS + DISCRIMINATOR_SLOTS

LOSS_ROLES: tuple[str, ...] = ("pixel", "perceptual", "adversarial")

# Parameters the build layer supplies from the data and the run; a spec may not set them.
CONTEXT_PARAMS: dict[str, tuple[str, ...]] = {
    "gen": ("in_channels", "out_channels", "scale"),
    "disc": ("in_channels",),
    "block": ("channels", "scale", "inner", "in_channels"),
    "loss": (),
    "metric": (),
    "deg": (),
    "datasource": (),
    "logger": (),
}


@runtime_checkable
class AdversarialLoss(Protocol):
    role: str

    def generator_loss(self, fake_logits: Any, real_logits: Any) -> Any: ...

    def discriminator_loss(self, real_logits: Any, fake_logits: Any) -> Any: ...


@runtime_checkable
class Metric(Protocol):
    higher_is_better: bool

    def protocol(self) -> dict: ...

    def __call__(self, sr: Any, hr: Any) -> Any: ...
