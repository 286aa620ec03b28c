"""Build layer: a resolved spec becomes modules, weighted loss terms and metrics.

Blocks reach their generator as *block makers* (the block's factory with its spec options bound),
passed through the generator factory's slot keyword arguments.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from srzoo_core.errors import UsageError
from srzoo_core.interfaces import KIND_NOUNS, LOSS_ROLES
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
class MetricTerm:
    name: str
    metric: Any

    @property
    def higher_is_better(self) -> bool:
        return bool(self.metric.higher_is_better)


def _resolved(spec: ResolvedSpec | Spec | str, host: PluginHost | None) -> ResolvedSpec:
    return spec if isinstance(spec, ResolvedSpec) else resolve(spec, host)


def _maker(term: ResolvedTerm) -> Callable[..., Any]:
    return functools.partial(term.info.resolve(), **term.params)


def _call(term: ResolvedTerm, make: Callable[..., Any] | None = None, **context: Any) -> Any:
    """Call a factory (or ``make``, a maker built around it); a ValueError from it means the
    configuration is unsupported, which is the user's to fix, so it becomes a UsageError."""
    try:
        return (make or _maker(term))(**context)
    except ValueError as exc:
        scales = term.info.scales
        hint = f"{term.name!r} supports scales {', '.join(map(str, scales))}" if scales and context.get("scale") not in scales else None
        raise UsageError(f"{KIND_NOUNS[term.info.kind]} {term.name!r} cannot be built: {exc}", hint=hint) from None


def build_generator(spec: ResolvedSpec | Spec | str, *, in_channels: int = 3, out_channels: int | None = None,
                    scale: int = 4, host: PluginHost | None = None) -> Any:
    resolved = _resolved(spec, host)
    if resolved.gen is None:
        raise UsageError("the spec has no generator", hint='add gen=…, e.g. "gen=srresnet"')
    slots = {block.info.slot: _maker(block) for block in resolved.gen_blocks}
    return _call(resolved.gen, in_channels=in_channels, out_channels=out_channels or in_channels, scale=scale, **slots)


def build_discriminator(spec: ResolvedSpec | Spec | str, *, in_channels: int = 3, host: PluginHost | None = None) -> Any:
    resolved = _resolved(spec, host)
    if resolved.disc is None:
        return None
    make: Callable[..., Any] = _maker(resolved.disc)
    for wrapper in resolved.disc_blocks:
        make = functools.partial(_maker(wrapper), make)
    return _call(resolved.disc, make, in_channels=in_channels)


def build_losses(spec: ResolvedSpec | Spec | str, host: PluginHost | None = None) -> list[LossTerm]:
    terms = []
    for term in _resolved(spec, host).losses:
        module = _call(term)
        role = getattr(module, "role", None)
        if role not in LOSS_ROLES:
            raise UsageError(f"loss {term.name!r} from {term.info.provider} declares role {role!r}; expected one of {', '.join(LOSS_ROLES)}")
        terms.append(LossTerm(term.name, term.weight, module, role))
    return terms


def build_metrics(spec: ResolvedSpec | Spec | str, host: PluginHost | None = None) -> list[MetricTerm]:
    return [MetricTerm(term.name, _call(term)) for term in _resolved(spec, host).metrics]


def count_parameters(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())
