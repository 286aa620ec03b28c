"""The contracts every component honours. Pure Python: importing this module never imports torch.

A component is registered as a *factory*: a callable (or a lazy ``"module:attr"`` reference to
one) whose keyword parameters are the component's options. The build layer supplies the
*context* parameters listed below (channels, scale) from the data; everything else comes from
the spec string.

Generators
    ``factory(in_channels, out_channels, scale, **options, **slots) -> nn.Module`` mapping
    ``(N, in_channels, H, W)`` to ``(N, out_channels, scale*H, scale*W)``. Slots are keyword
    arguments named after :data:`GENERATOR_SLOTS`; each receives ``None`` or a *block maker*
    (see Blocks) and the generator declares which slots it supports (``register(..., slots=…)``)
    and which scales (``scales=…``). The module may carry (read by the tiler, ``upscale``, ``bench``):

    * ``size_multiple: int`` — H and W must be multiples of it; inputs are padded and outputs cropped;
    * ``receptive_field: int`` — LR pixels of context an output pixel depends on (sizes tile overlaps).

    ``register(..., detect_weights="module:attr")`` names ``detect(state_dict) -> (options,
    state_dict) | None``: given a published weights file's tensors (wrappers such as
    ``params_ema`` and a ``module.`` prefix already removed), it returns the factory options
    (``in_channels``, ``out_channels``, ``scale`` and the architecture's own) and the state dict to
    load strictly, or ``None`` when the keys are not this architecture's (``srzoo import``).

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
    attribute ``role`` in :data:`LOSS_ROLES`. An adversarial loss (``role == "adversarial"``, and
    registered with ``requires=("disc",)`` so that a spec using it must name a discriminator; the
    conformance kit checks the two agree) instead exposes ``generator_loss(fake_logits,
    real_logits)`` and ``discriminator_loss(real_logits, fake_logits)``, so one trainer serves
    every GAN flavour. ``needs_real_logits: bool`` (default True) — False lets the trainer skip
    the discriminator's pass on real images in the generator step.

Metrics
    ``factory(**options)`` → object with ``higher_is_better: bool``, ``protocol() -> dict`` and
    ``__call__(sr, hr) -> Tensor`` of per-sample values ``(N,)`` or per-sample, per-channel
    values ``(N, C)``. A ``data_range`` key in the protocol means the metric wants values scaled
    to a fixed range (grids get each channel min–max scaled by a range fixed on the validation
    HR). ``best_at_zero: bool`` (default False) — a signed error such as bias, ranked by its
    absolute value and never used to pick the best checkpoint.

Degradations (kind ``deg``)
    ``factory(**options)`` → object with ``modalities: tuple[str, ...]`` (the modalities it
    makes sense for) and ``__call__(image, *, scale, generator) -> (image, params)``: ``image``
    is one ``(C, H, W)`` float tensor, all randomness is drawn from the ``torch.Generator`` it is
    given (seeded per sample by the data layer), and ``params`` (JSON-serialisable) records what
    was drawn.

Data sources (kind ``datasource``)
    ``factory()`` → object with ``accepts(location: str) -> bool`` (cheap: a scheme, a suffix, a
    folder layout) and ``load(location: str, request: DataRequest) -> DataBundle``; optional
    ``example: str`` (shown in hints) and ``fixed_splits: bool`` (refuse ``lr=``/``val=``/``test=``).
    ``register(..., suffixes=(".nc",))`` names the file types it reads, so that an uninstalled
    plugin's file type gets a "read by srzoo-X, which is not installed" message.

Loggers (kind ``logger``)
    ``factory(**options)`` → object with ``start(run_dir, description, resume_step)``,
    ``log_scalars(step, values)``, ``log_images(step, images)`` (HWC uint8 arrays) and
    ``close()``; on resume nothing after ``resume_step`` is logged twice.
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


# Optional attributes the core reads from built components, with their defaults when absent.
OPTIONAL_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "gen": {"size_multiple": 1, "receptive_field": None},
    "disc": {"needs_lr": False},
    "loss": {"needs_real_logits": True},
    "metric": {"best_at_zero": False},
}


def optional_attribute(component: Any, kind: str, name: str) -> Any:
    """A declared optional attribute of a built component, or its declared default."""
    return getattr(component, name, OPTIONAL_ATTRIBUTES[kind][name])


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


@runtime_checkable
class Degradation(Protocol):
    modalities: tuple[str, ...]

    def __call__(self, image: Any, *, scale: int, generator: Any) -> tuple[Any, dict]: ...


@runtime_checkable
class DataSource(Protocol):
    def accepts(self, location: str) -> bool: ...

    def load(self, location: str, request: Any) -> Any: ...


@runtime_checkable
class Logger(Protocol):
    def start(self, run_dir: Any, description: Any, resume_step: int | None) -> None: ...

    def log_scalars(self, step: int, values: Any) -> None: ...

    def log_images(self, step: int, images: Any) -> None: ...

    def close(self) -> None: ...
