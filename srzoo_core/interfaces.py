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
    discriminator; ``constraint`` (:data:`GENERATOR_OUTPUT_SLOTS`: fits every generator, which
    need not declare it): ``factory(scale, **options)`` → module with ``forward(sr, lr) -> sr``,
    applied by the build layer around the generator: ``out = constraint(gen(lr), lr)``. With
    ``physical_units = True`` it is given de-normalised tensors (the build layer then needs the
    data's per-channel affine, ``build_generator(..., normaliser=)``), else normalised ones.

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
    absolute value and never used to pick the best checkpoint. Optional, read by the evaluator:

    * ``setup(context)`` — called once before scoring with a mapping of the run's context:
      ``channel_names`` (list[str]), ``units`` (per channel a str or None), ``scale`` (int),
      ``latitude``/``longitude`` (1-D HR-grid cell-centre degrees, or None). Unknown keys are to
      be ignored (more may come); a ``ValueError`` means the metric cannot score this run;
    * ``needs_lr: bool`` — called as ``metric(sr, hr, lr=lr)``, the LR in the same domain as sr/hr;
    * ``takes_mask: bool`` — for data with missing cells (NaN in the HR: a mask or missing values)
      called with ``mask=`` (bool, sr's shape, True where the HR has data; sr and hr hold finite
      stand-ins elsewhere) and scores only those cells; a metric without it cannot score such
      data (a clear error says which can);
    * ``value_units: str`` — the unit of the values: ``"data"`` for the scored channel's own
      unit (RMSE, bias, …), ``""`` for dimensionless, or a unit such as ``"dB"``; tables then
      print ``rmse t2m [K]``. Absent: not stated.

Degradations (kind ``deg``)
    ``factory(**options)`` → object with ``modalities: tuple[str, ...]`` (the modalities it
    makes sense for), ``output_size`` (``"same"``, ``"any"`` — changes the size at random — or
    ``"target"`` — ends at the LR size), ``needs_target: bool``, ``modality_error(name) -> str |
    None`` (the full refusal sentence for data it cannot degrade) and ``__call__(image, *, scale,
    generator, target_size=None) -> (image, params)``: ``image`` is one ``(C, H, W)`` float tensor
    (photos in [0, 1], grids in physical units), ``target_size`` the chain's final LR size, all
    randomness is drawn from the ``torch.Generator`` given (seeded per sample by the data layer
    from the run seed, the epoch and the sample index), and ``params`` (JSON-serialisable) records
    what was drawn. In a chain (``deg=blur+resize+noise+jpeg+resize(final=true)``) the last term
    whose ``output_size`` is not ``"same"`` must be a ``"target"`` term.

Data sources (kind ``datasource``)
    ``factory()`` → object with ``accepts(location: str) -> bool`` (cheap: a scheme, a suffix, a
    folder layout) and ``load(location: str, request: DataRequest) -> DataBundle``; optional
    ``example: str`` (shown in hints) and ``fixed_splits: bool`` (refuse ``lr=``/``val=``/``test=``).
    ``register(..., suffixes=(".nc",))`` names the file types it reads, so that an uninstalled
    plugin's file type gets a "read by srzoo-X, which is not installed" message. Optional file IO
    for ``srzoo upscale``, asked before the modalities' own readers: ``read_for_upscale(path: str,
    description) -> (array, context)`` — the checkpoint's channels (``description.channel_names``)
    in physical units, ``(C, H, W)`` or ``(N, C, H, W)``, finite; ``context`` is whatever the
    writer needs (coordinates, attributes, a mask) — and ``write_upscaled(path: str, array,
    context, description)``, which writes the ``×scale`` result; both raise ``ValueError`` for a
    file they cannot read or write. ``description`` is the checkpoint's run description
    (``scale``, ``spec``, ``channels``). ``accepts(path)`` decides which source is asked.

Loggers (kind ``logger``, ``--log``)
    ``factory(**options)`` → object with, called by the training loop in the main process only:

    * ``start(run_dir: Path, description: Mapping, resume_step: int | None)`` — once, after the
      run folder is written and before the first step. ``description`` is the run description as
      a JSON-like mapping (``RunDescription.to_dict()``: nested mappings, lists, ``None``).
      ``resume_step`` is ``None`` for a fresh run; for ``--resume`` it is the step of the
      checkpoint the run continues from (0 for a run restarted before its first checkpoint):
      whatever the interrupted run logged at later steps is the logger's to drop, so that no
      step is logged twice;
    * ``log_scalars(step: int, values: Mapping[str, float])`` — whenever a record goes to
      ``metrics.jsonl``, with its numeric values under the same keys (``loss/<term>``, ``lr``,
      ``it_per_s``, ``elapsed`` on training steps; ``val/<metric>`` and ``bicubic/<metric>`` at
      validation);
    * ``log_images(step: int, images: Mapping[str, ndarray])`` — at each validation, the sample
      panel (tag ``samples/val``); images are ``(H, W, C)`` ``uint8`` with C in 1, 3, 4, anything
      else is a ``ValueError``;
    * ``close()`` — once, however the run ends (finished, interrupted, failed).

    Steps count optimizer steps, from 1. A factory whose backend package is missing raises
    ``UsageError`` naming the extra to install (the run then never starts). An exception from
    ``log_*`` during training is reported and that logger is dropped; the run goes on. ``csv``
    is not a component: it names the run folder's own files, always written.
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
# Slots the build layer fills around every generator's output; a generator need not declare them.
GENERATOR_OUTPUT_SLOTS: tuple[str, ...] = ("constraint",)
DISCRIMINATOR_SLOTS: tuple[str, ...] = ("wrapper",)
ALL_SLOTS: tuple[str, ...] = GENERATOR_SLOTS + GENERATOR_OUTPUT_SLOTS + DISCRIMINATOR_SLOTS

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
    "block": {"physical_units": False},
    "metric": {"best_at_zero": False, "needs_lr": False, "takes_mask": False, "value_units": None},
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
