"""Build layer: a resolved spec becomes modules, weighted loss terms and metrics.

Blocks reach their generator as *block makers* (the block's factory with its spec options bound),
passed through the generator factory's slot keyword arguments.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from srzoo_core.contracts import ComponentError, broken, check_logits, check_metric, check_upscaled, exception_text, real_probe  # noqa: F401
from srzoo_core.errors import SrzooError, UsageError
from srzoo_core.interfaces import KIND_NOUNS, LOSS_ROLES, OPTIONAL_ATTRIBUTES, optional_attribute
from srzoo_core.registry import PluginHost
from srzoo_core.spec.ast import Spec
from srzoo_core.spec.resolve import ResolvedSpec, ResolvedTerm, resolve


@dataclass
class LossTerm:
    name: str
    weight: float
    module: Any
    role: str

    @property
    def adversarial(self) -> bool:
        return self.role == "adversarial"


@dataclass
class DegradationTerm:
    """One term of ``deg=``: the built degradation, its name and its options (defaults filled)."""

    name: str
    options: dict[str, Any]
    degradation: Any

    @property
    def output_size(self) -> str:
        return self.degradation.output_size


@dataclass
class MetricTerm:
    name: str
    metric: Any

    @property
    def higher_is_better(self) -> bool:
        return bool(self.metric.higher_is_better)


def _resolved(spec: ResolvedSpec | Spec | str, host: PluginHost | None) -> ResolvedSpec:
    return spec if isinstance(spec, ResolvedSpec) else resolve(spec, host)


MODULE_KINDS = ("gen", "disc", "block")


def _maker(term: ResolvedTerm, options: dict[str, Any] | None = None) -> Callable[..., Any]:
    """The factory with the term's options bound (``options`` replaces some, for sizing). A
    module's maker names its own component in any error and checks it returns an nn.Module, so a
    block that fails inside its generator is named, not the generator."""
    made = functools.partial(term.info.resolve(), **{**term.params, **(options or {})})
    if term.info.kind not in MODULE_KINDS:
        return made

    def make(*args: Any, **context: Any) -> Any:
        module = _call(term, functools.partial(made, *args), **context)
        from torch import nn

        if not isinstance(module, nn.Module):
            raise broken(term, f"returned {type(module).__name__}, not a torch.nn.Module")
        return module

    return make


def _call(term: ResolvedTerm, make: Callable[..., Any] | None = None, **context: Any) -> Any:
    """Call a factory (or ``make``, a maker built around it); a ValueError from it means the
    configuration is unsupported, which is the user's to fix, so it becomes a UsageError. Any
    other exception, or sys.exit, is the plugin's bug: a ComponentError naming it (Ctrl-C passes)."""
    try:
        return (make or _maker(term))(**context)
    except SrzooError:
        raise
    except ValueError as exc:
        scales = term.info.scales
        hint = f"{term.name!r} supports scales {', '.join(map(str, scales))}" if scales and context.get("scale") not in scales else None
        raise UsageError(f"{KIND_NOUNS[term.info.kind]} {term.name!r} cannot be built: {exc}", hint=hint) from None
    except (Exception, SystemExit) as exc:
        raise broken(term, f"{exception_text(exc)} while being built") from None


def build_generator(spec: ResolvedSpec | Spec | str, *, in_channels: int = 3, out_channels: int | None = None,
                    scale: int = 4, host: PluginHost | None = None, normaliser: Any = None) -> Any:
    """The generator, wrapped by its ``constraint`` block if the spec has one. ``normaliser`` (the
    data's, with per-channel ``mean``/``std``) lets a constraint with ``physical_units`` see
    de-normalised tensors."""
    resolved = _resolved(spec, host)
    if resolved.gen is None:
        raise UsageError("the spec has no generator", hint='add gen=…, e.g. "gen=srresnet"')
    constraint = next((b for b in resolved.gen_blocks if b.info.slot == "constraint"), None)
    out_channels = out_channels or in_channels
    _, generator = _sized_generator(resolved, in_channels, out_channels, scale, real=True)
    return generator if constraint is None else _constrained(generator, constraint, scale, normaliser)


def size_generator(spec: ResolvedSpec | Spec | str, *, in_channels: int = 3, out_channels: int | None = None,
                   scale: int = 4, host: PluginHost | None = None) -> Any:
    """The generator's :class:`~srzoo_core.sizing.Estimate`, its contract checked, without
    allocating it where the meta device can build and run it (else it is built for real)."""
    resolved = _resolved(spec, host)
    if resolved.gen is None:
        raise UsageError("the spec has no generator", hint='add gen=…, e.g. "gen=srresnet"')
    return _sized_generator(resolved, in_channels, out_channels or in_channels, scale, real=False)[0]


def _sized_generator(resolved: ResolvedSpec, in_channels: int, out_channels: int, scale: int, real: bool) -> tuple[Any, Any]:
    """(estimate, generator or None): sized on the meta device first, refused if it cannot fit;
    its output shape checked on a small probe (on meta, else on the real module)."""
    from srzoo_core.sizing import estimate_model

    build, probe = _generator_parts(resolved, in_channels, out_channels, scale)
    estimate = estimate_model(resolved, [resolved.gen, *resolved.gen_blocks], build, None if real else probe)
    metered = estimate is not None and estimate.output is not None
    generator = build() if real or not metered else None
    if not metered:  # built for real (or the meta device could not run it): probe the real one
        estimate = real_probe(resolved.gen, generator, probe)
    check_upscaled(resolved.gen, estimate.output, estimate.probe_shape, out_channels, scale)
    return estimate, generator


def _generator_parts(resolved: ResolvedSpec, in_channels: int, out_channels: int, scale: int) -> tuple[Callable, Callable]:
    """``build(options)``: the generator, less its constraint (``options``: id of a term -> options
    that replace its own, for sizing); ``probe(module)``: (input shape, output) for a small zero input."""
    blocks = [b for b in resolved.gen_blocks if b.info.slot != "constraint"]

    def build(options: dict[int, dict[str, Any]] | None = None) -> Any:
        options = options or {}
        slots = {b.info.slot: _maker(b, options.get(id(b))) for b in blocks}
        head = _maker(resolved.gen, options.get(id(resolved.gen)))
        return _call(resolved.gen, head, in_channels=in_channels, out_channels=out_channels, scale=scale, **slots)

    def probe(module: Any) -> tuple[tuple[int, ...], Any]:
        import torch

        shape = (1, in_channels, *_probe_size(module))
        return shape, module(torch.zeros(shape))

    return build, probe


def _probe_size(generator: Any) -> tuple[int, int]:
    """16×32 LR pixels (not square, so swapped axes show), rounded up to the generator's size multiple."""
    multiple = max(1, int(optional_attribute(generator, "gen", "size_multiple") or 1))
    return tuple(-(-side // multiple) * multiple for side in (16, 32))  # type: ignore[return-value]


def _constrained(generator: Any, term: ResolvedTerm, scale: int, normaliser: Any) -> Any:
    module = _call(term, scale=scale)
    affine = None
    if optional_attribute(module, "block", "physical_units"):
        if normaliser is None:
            raise UsageError(f"{term.canonical()} works in physical units, but the generator is being built without the "
                             "data's normalisation", hint="pass normaliser= (the data's) to build_generator, as srzoo train and "
                             "checkpoint loading do; mode=add works on normalised data")
        if getattr(normaliser, "kind", "zscore") != "unit":
            affine = (list(normaliser.mean), list(normaliser.std))
    return __getattr__("ConstrainedGenerator")(generator, module, affine)


@functools.cache
def _constrained_class() -> type:
    import torch
    from torch import nn

    class ConstrainedGenerator(nn.Module):
        """``constraint(generator(lr), lr)``: a ``constraint`` block around any generator; with
        ``affine`` (per-channel mean and std) the constraint sees physical units. The module
        answers the generator's optional attributes (size_multiple, receptive_field)."""

        def __init__(self, generator: nn.Module, constraint: nn.Module, affine: tuple[list, list] | None = None):
            super().__init__()
            self.generator, self.constraint = generator, constraint
            for name, default in OPTIONAL_ATTRIBUTES["gen"].items():
                setattr(self, name, getattr(generator, name, default))
            mean, std = (torch.tensor(v, dtype=torch.float32).view(1, -1, 1, 1) for v in affine) if affine else (None, None)
            self.register_buffer("mean", mean, persistent=False)  # from the data, not weights: never in checkpoints
            self.register_buffer("std", std, persistent=False)

        def forward(self, lr: torch.Tensor) -> torch.Tensor:
            sr = self.generator(lr)
            if self.mean is None:
                return self.constraint(sr, lr)
            out = self.constraint(sr * self.std + self.mean, lr * self.std + self.mean)
            return (out - self.mean) / self.std

    ConstrainedGenerator.__module__, ConstrainedGenerator.__qualname__ = __name__, "ConstrainedGenerator"
    return ConstrainedGenerator


def __getattr__(name: str) -> Any:
    # the wrapper's class is made on first use, so importing the build layer never imports torch
    if name == "ConstrainedGenerator":
        return _constrained_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_discriminator(spec: ResolvedSpec | Spec | str, *, in_channels: int = 3, host: PluginHost | None = None) -> Any:
    resolved = _resolved(spec, host)
    if resolved.disc is None:
        return None

    def build(options: dict[int, dict[str, Any]] | None = None) -> Any:
        options = options or {}
        make: Callable[..., Any] = _maker(resolved.disc, options.get(id(resolved.disc)))
        for wrapper in resolved.disc_blocks:
            make = functools.partial(_maker(wrapper, options.get(id(wrapper))), make)
        return _call(resolved.disc, make, in_channels=in_channels)

    def probe(disc: Any) -> tuple[tuple[int, ...], Any]:
        import torch

        x = torch.zeros(1, in_channels, 64, 64)
        return x.shape, disc(x, torch.zeros(1, in_channels, 16, 16)) if optional_attribute(disc, "disc", "needs_lr") else disc(x)

    from srzoo_core.sizing import estimate_model

    estimate_model(resolved, [resolved.disc, *resolved.disc_blocks], build, None)
    disc = build()
    probed = real_probe(resolved.disc, disc, probe, tolerant=True)
    if probed is not None:  # None: it does not take 64×64 images, which training will tell
        check_logits(resolved.disc, probed.output, probed.probe_shape)
    return disc


def build_losses(spec: ResolvedSpec | Spec | str, host: PluginHost | None = None) -> list[LossTerm]:
    terms = []
    for term in _resolved(spec, host).losses:
        module = _call(term)
        role = getattr(module, "role", None)
        if role not in LOSS_ROLES:
            raise broken(term, f"declares role {role!r}; expected one of {', '.join(LOSS_ROLES)}")
        if (role == "adversarial") != term.info.adversarial:
            raise broken(term, f"has role {role!r} but was registered {'with' if term.info.adversarial else 'without'} "
                               "requires=('disc',); an adversarial loss needs both, any other neither")
        terms.append(LossTerm(term.name, term.weight, module, role))
    return terms


def build_metrics(spec: ResolvedSpec | Spec | str, host: PluginHost | None = None) -> list[MetricTerm]:
    return [MetricTerm(term.name, check_metric(term, _call(term))) for term in _resolved(spec, host).metrics]


def build_degradations(spec: ResolvedSpec | Spec | str, host: PluginHost | None = None) -> list[DegradationTerm]:
    """The ``deg=`` terms, built, in the order they apply (empty when the spec has no ``deg=``).
    Resolution has already built each once and checked the chain ends at the LR size."""
    return [DegradationTerm(term.name, term.all_params(), _call(term)) for term in _resolved(spec, host).degradations]


def count_parameters(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


# -- sizing and probing before anything is allocated (see srzoo_core/sizing.py) -----------------
