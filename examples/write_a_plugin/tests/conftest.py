"""Run the tests from a source checkout too: put the plugin folder on ``sys.path`` when the
distribution is not installed (when it is, the installed copy is used)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("srzoo_example_plugin") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
