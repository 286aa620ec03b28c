"""The plugin is not installed in the project's environment: put its source on sys.path and load
its hooks into a fresh host (next to the installed plugins) for each test that asks for ``host``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

PLUGIN_ROOT = str(Path(__file__).resolve().parents[1])
if PLUGIN_ROOT not in sys.path:
    sys.path.insert(0, PLUGIN_ROOT)

import srzoo_esrgan  # noqa: E402
from srzoo_core.registry import PluginHost  # noqa: E402


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost()
    host.load_entry_points()
    record = host.records.get("esrgan")
    if record is None or record.status != "ok":  # not installed (the usual case here)
        host.records.pop("esrgan", None)
        host.add_plugin(srzoo_esrgan, name="esrgan")
    return host
