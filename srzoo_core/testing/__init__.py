"""Test helpers for plugin authors: the conformance kit.

    from srzoo_core.testing import check_plugin
    check_plugin("myplugin")          # every component of an installed plugin
    check_plugin(my_module)           # hook implementations from source, in a fresh PluginHost

or, through the pytest plugin (entry point ``pytest11: srzoo``), the fixture
``srzoo_conformance``. See :mod:`srzoo_core.testing.conformance` for what is checked.

Importing this package stays light: torch loads on first use of a name below.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "check_plugin": "srzoo_core.testing.conformance",
    "check_component": "srzoo_core.testing.conformance",
    "run_checks": "srzoo_core.testing.conformance",
    "SMALL_SIZES": "srzoo_core.testing.conformance",
    "ConformanceError": "srzoo_core.testing._kit",
    "Failure": "srzoo_core.testing._kit",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
