"""Checks of data sources (kind ``datasource``), against the contract in :mod:`srzoo_core.interfaces`.

Without data to load, the kit checks the parts every source has: the factory builds with no
arguments; ``accepts`` is callable, answers a bool and never raises, for a location that cannot
exist (answering False), for a missing file of each registered suffix, and for an existing folder
and file that are not its data; ``load`` is callable; ``example`` and ``fixed_splits``, where set,
are a str and a bool; the optional ``srzoo upscale`` file IO comes as a pair (``read_for_upscale``
with ``write_upscaled``). Loading real data is the plugin's own tests' business.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from srzoo_core.registry import ComponentInfo
from srzoo_core.testing._kit import Recorder, require

NOWHERE = "no-such-place-for-srzoo-conformance"


def _answers_bool(source: Any, location: str, what: str) -> bool:
    answer = source.accepts(location)
    require(isinstance(answer, bool), f"accepts({what}) returned {type(answer).__name__}, not a bool")
    return answer


def datasource(rec: Recorder, info: ComponentInfo, factory: Callable[..., Any], params: dict[str, Any]) -> None:
    source = None
    with rec.check("build"):
        source = factory(**params)
    if source is None:
        return
    with rec.check("interface"):
        for method in ("accepts", "load"):
            require(callable(getattr(source, method, None)), f"has no callable {method}()")
        example, fixed = getattr(source, "example", None), getattr(source, "fixed_splits", False)
        require(example is None or isinstance(example, str), f"example is {type(example).__name__}, not a str")
        require(isinstance(fixed, bool), f"fixed_splits is {type(fixed).__name__}, not a bool")
        io = [callable(getattr(source, m, None)) for m in ("read_for_upscale", "write_upscaled")]
        require(all(io) or not any(io), "read_for_upscale and write_upscaled come as a pair (srzoo upscale reads and writes)")
    with rec.check("accepts"), tempfile.TemporaryDirectory() as folder:
        require(not _answers_bool(source, NOWHERE, repr(NOWHERE)), f"accepts({NOWHERE!r}) is True for a location that does not exist")
        for suffix in info.suffixes:
            _answers_bool(source, str(Path(folder) / f"missing{suffix}"), f"a missing {suffix} file")
        stray = Path(folder) / "notes.txt"
        stray.write_text("not data\n")
        _answers_bool(source, folder, "an empty folder")
        _answers_bool(source, str(stray), "a text file")
