"""``--data`` locations for labelled arrays: ``PATH[:key=value[:key=value…]]``.

``PATH`` is a file (``.nc``, ``.nc4``, ``.zarr``, ``.grib``…) or a glob of several (``era5/*.nc``:
one data set, concatenated along its sample dimension). Options follow after ``:`` and are
separated by ``:`` or ``;``; a piece without ``=`` continues the previous value, so values may
hold colons (``split=time:2019-03-25T06:00``, ``vectors=u10:x,v10:y``). Quote the whole location in
a shell. Unknown keys are errors (a key that names a dimension of the data selects one value of
it, e.g. ``level=850``).
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

from srzoo_core.data import DataError

SUFFIXES: tuple[str, ...] = (".nc", ".nc4", ".cdf", ".zarr", ".grib", ".grib2", ".grb", ".grb2")
GRIB_SUFFIXES: tuple[str, ...] = (".grib", ".grib2", ".grb", ".grb2")
WRITABLE_SUFFIXES: tuple[str, ...] = (".nc", ".nc4", ".zarr", ".npy")  # .npy: the bare array, NaN where no data

OPTIONS: dict[str, str] = {
    "vars": "variables in channel order, e.g. vars=t2m,u10 (default: every data variable on the grid)",
    "split": "held-out samples: split=time:DATE (validation from DATE on), split=time:DATE1,DATE2 (validation "
             "from DATE1, test from DATE2), or fractions split=0.8,0.1 (train, validation; the rest is test)",
    "mask": "cells to keep: mask=VAR keeps cells where VAR >= 0.5 (or true), mask=~VAR where VAR < 0.5",
    "vectors": "wind components for flips: vectors=u10:x,v10:y (x: eastward, y: northward)",
    "lat": "name of the latitude coordinate (default: found by name, units or standard_name)",
    "lon": "name of the longitude coordinate (default: found likewise)",
    "engine": "xarray backend (default: by file type: h5netcdf/scipy for netCDF, zarr, cfgrib)",
}


@dataclass
class Location:
    text: str                      # as given
    pattern: str                   # the path or glob
    paths: list[Path]
    options: dict[str, str] = field(default_factory=dict)

    @property
    def suffix(self) -> str:
        return _suffix(self.pattern)


def _suffix(path: str) -> str:
    return Path(path.rstrip("/")).suffix.lower()


def _matches(pattern: str) -> list[Path]:
    if glob.has_magic(pattern):
        return sorted(Path(p) for p in glob.glob(pattern) if _suffix(p) in SUFFIXES)
    return [Path(pattern)] if Path(pattern).exists() else []


def _path_end(text: str) -> int:
    """Where the path ends: at the first ``:`` after a known suffix or an existing path (else the end)."""
    for match in re.finditer(":", text):
        head = text[:match.start()]
        if _suffix(head) in SUFFIXES or Path(head).exists():
            return match.start()
    return len(text)


def split_location(text: str) -> tuple[str, str]:
    end = _path_end(text)
    return text[:end], text[end + 1:]


def parse_options(text: str, where: str) -> dict[str, str]:
    options: dict[str, str] = {}
    key = None
    for piece in re.split(r"[:;]", text) if text else []:
        if "=" in piece:
            key, _, value = piece.partition("=")
            key = key.strip().lower()
            if not key:
                raise DataError(f"{where}: an option without a name in {piece!r}", hint="write key=value, e.g. vars=t2m,u10")
            if key in options:
                raise DataError(f"{where}: option {key!r} given twice")
            options[key] = value.strip()
        elif key is None:
            raise DataError(f"{where}: expected key=value after the path, got {piece!r}",
                            hint="options look like file.nc:vars=t2m,u10:split=time:2019-03-25")
        else:
            options[key] += ":" + piece.strip()
    return options


def accepts(text: str) -> bool:
    pattern, _ = split_location(text)
    return _suffix(pattern) in SUFFIXES and bool(_matches(pattern))


def parse_location(text: str) -> Location:
    pattern, rest = split_location(text)
    if _suffix(pattern) not in SUFFIXES:
        raise DataError(f"{pattern} is not a netCDF, zarr or GRIB file", hint=f"srzoo-xarray reads {', '.join(SUFFIXES)}")
    paths = _matches(pattern)
    if not paths:
        raise DataError(f"no file matches {pattern}" if glob.has_magic(pattern) else f"data file not found: {pattern}")
    return Location(text, pattern, paths, parse_options(rest, pattern))


def check_options(location: Location, dimensions: set[str]) -> dict[str, str]:
    """The options that select a value of a dimension (``level=850``); any other unknown key is an error."""
    selections = {k: v for k, v in location.options.items() if k not in OPTIONS}
    unknown = sorted(set(selections) - dimensions)
    if unknown:
        dims = f"; dimensions to select from: {', '.join(sorted(dimensions))}" if dimensions else ""
        raise DataError(f"{location.pattern}: unknown option {unknown[0]!r}",
                        hint=f"options: {', '.join(OPTIONS)}{dims}")
    return selections


def parse_vectors(text: str | None, variables: list[str]) -> dict[str, str]:
    """``u10:x,v10:y`` -> {"u10": "x", "v10": "y"}, every name a chosen variable."""
    if not text:
        return {}
    out: dict[str, str] = {}
    for item in text.split(","):
        name, _, axis = item.strip().partition(":")
        if axis not in ("x", "y") or not name:
            raise DataError(f"vectors={text}: each item is VARIABLE:x or VARIABLE:y (x eastward, y northward), not {item!r}")
        if name not in variables:
            raise DataError(f"vectors={text}: {name!r} is not one of the variables ({', '.join(variables)})")
        out[name] = axis
    return out
