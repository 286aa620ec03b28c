"""Consoles shared by the commands: wide enough when not a terminal that tables do not wrap."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

_width = None if sys.stdout.isatty() else 160
stdout = Console(width=_width, highlight=False)
stderr = Console(stderr=True, width=None if sys.stderr.isatty() else 160, highlight=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
