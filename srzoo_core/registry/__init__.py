"""Registry layer: component records, the registry table and the plugin host.

``get_host()`` loads the installed plugins once per process (honouring ``SRZOO_PLUGINS`` and
``SRZOO_DISABLED_PLUGINS``); ``reset()`` forgets it so tests can load another set.
"""

from __future__ import annotations

import os

from srzoo_core.registry.components import ComponentInfo, Param, Provider, normalise
from srzoo_core.registry.hookspecs import hookimpl, hookspec
from srzoo_core.registry.host import ENV_STRICT, PluginHost, PluginRecord
from srzoo_core.registry.table import DuplicateComponentError, Registry

_host: PluginHost | None = None


def get_host() -> PluginHost:
    global _host
    if _host is None:
        _host = PluginHost.from_environment()
        if strict_mode():
            _host.check_strict()
    return _host


def get_registry() -> Registry:
    return get_host().registry


def reset() -> None:
    global _host
    _host = None


def strict_mode() -> bool:
    return os.environ.get(ENV_STRICT, "").strip().lower() in {"1", "true", "yes", "on"}


__all__ = [
    "ComponentInfo", "DuplicateComponentError", "Param", "PluginHost", "PluginRecord", "Provider",
    "Registry", "get_host", "get_registry", "hookimpl", "hookspec", "normalise", "reset", "strict_mode",
]
