"""srzoo core: interfaces, the component registry, the plugin host, the spec language and builders.

Importing this package stays light (no torch), so ``srzoo list`` answers fast.

    >>> import srzoo_core as sz
    >>> sz.list_components("gen")                     # doctest: +SKIP
    >>> g = sz.build_generator("gen=srresnet+se", in_channels=2, scale=4)   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from srzoo_core.build import LossTerm, MetricTerm, build_discriminator, build_generator, build_losses, build_metrics, count_parameters
from srzoo_core.files import WriteError, atomic_output, atomic_path
from srzoo_core.errors import PluginError, RegistryError, SpecError, SrzooError, UnknownComponentError, UsageError
from srzoo_core.interfaces import CONTEXT_PARAMS, GENERATOR_SLOTS, KINDS, LOSS_ROLES
from srzoo_core.registry import (
    ComponentInfo, Param, PluginHost, PluginRecord, Provider, Registry, get_host, get_registry, hookimpl, normalise, reset,
)
from srzoo_core.registry.host import core_version
from srzoo_core.spec import parse, print_spec
from srzoo_core.spec.resolve import ResolvedSpec, ResolvedTerm, resolve

__version__ = core_version()


def create(kind: str, name: str, **params: Any) -> Any:
    """Build one component by kind and name (timm's ``create_model``)."""
    return get_registry().create(kind, name, **params)


def list_components(kind: str | None = None, pattern: str = "*") -> list[ComponentInfo]:
    """Registered components, optionally of one kind and matching a wildcard pattern."""
    return get_registry().list(kind, pattern)


def describe(name: str, kind: str | None = None) -> dict[str, Any]:
    """Parameters, slots and provenance of a component (``kind`` picks one where a name is shared)."""
    return get_registry().describe(name, kind)


def add_plugin(plugin: Any, name: str = "__main__") -> PluginRecord:
    """Load hook implementations from a script, notebook or module without packaging them."""
    return get_host().add_plugin(plugin, name=name)


def register(kind: str, name: str, factory: Any, **fields: Any) -> ComponentInfo:
    """Register a single component from a script or notebook."""
    return get_registry().register(kind, name, factory, **fields)


__all__ = [
    "CONTEXT_PARAMS", "ComponentInfo", "GENERATOR_SLOTS", "KINDS", "LOSS_ROLES", "LossTerm", "MetricTerm", "Param",
    "PluginError", "PluginHost", "PluginRecord", "Provider", "Registry", "RegistryError", "ResolvedSpec", "ResolvedTerm",
    "SpecError", "SrzooError", "UnknownComponentError", "UsageError", "WriteError", "add_plugin", "atomic_output", "atomic_path", "build_discriminator", "build_generator", "build_losses",
    "build_metrics", "count_parameters", "create", "describe", "get_host", "get_registry", "hookimpl", "list_components",
    "normalise", "parse", "print_spec", "register", "reset", "resolve",
]
