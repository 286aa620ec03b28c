"""Opening labelled files lazily and finding their layout: variables (channels), the grid's
y/x dimensions with latitude/longitude where known, the one sample dimension (time), and the
values selected of any other dimension (``level=850``).

Files are opened with xarray's lazy backends (nothing is read until a sample is asked for,
``cache=False`` so nothing read stays behind); several files (a glob) are one data set whose
samples follow each other along the sample dimension, in the order of their first sample.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from srzoo_core.data import DataError
from srzoo_xarray.location import GRIB_SUFFIXES, Location, check_options

LATITUDE = ({"latitude", "lat", "nav_lat"}, {"degrees_north", "degree_north", "degrees_n", "degree_n"}, "latitude")
LONGITUDE = ({"longitude", "lon", "nav_lon"}, {"degrees_east", "degree_east", "degrees_e", "degree_e"}, "longitude")


@dataclass
class Layout:
    variables: list[str]
    sample: str | None          # the dimension samples run along (None: one field)
    y: str
    x: str
    lat: str | None             # coordinate names, where the data have them
    lon: str | None
    mask: str | None            # the mask variable, if any
    keep_below: bool            # mask=~VAR: keep cells where VAR < 0.5
    selections: dict[str, Any]


def engine_for(location: Location) -> str | None:
    if "engine" in location.options:
        return location.options["engine"]
    if location.suffix == ".zarr":
        return "zarr"
    if location.suffix in GRIB_SUFFIXES:
        if importlib.util.find_spec("cfgrib") is None:
            raise DataError(f"{location.pattern} is a GRIB file, which needs cfgrib", hint="pip install 'srzoo-xarray[grib]'")
        return "cfgrib"
    return None


def open_file(path: Path, engine: str | None) -> xr.Dataset:
    try:
        return xr.open_dataset(path, engine=engine, chunks=None, cache=False)
    except Exception as exc:  # noqa: BLE001 - corrupt files, wrong formats: one clear message
        raise DataError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None


def _find(ds: xr.Dataset, given: str | None, kind: tuple[set[str], set[str], str]) -> str | None:
    if given:
        if given not in ds.variables:
            raise DataError(f"no coordinate {given!r}; the data have {', '.join(map(str, ds.variables))}")
        return given
    names, units, standard = kind
    for name, var in ds.variables.items():
        if var.ndim == 1 and (str(name).lower() in names or str(var.attrs.get("units", "")).lower() in units
                              or var.attrs.get("standard_name") == standard):
            return str(name)
    return None


def _value(ds: xr.Dataset, dim: str, text: str) -> Any:
    if dim not in ds.coords:
        if not text.isdigit():
            raise DataError(f"{dim}={text}: {dim} has no coordinate values, so give an index (0, 1, ...)")
        return int(text)
    values = ds[dim].values
    try:
        wanted = np.datetime64(text) if np.issubdtype(values.dtype, np.datetime64) else \
            values.dtype.type(text) if np.issubdtype(values.dtype, np.number) else text
    except ValueError:
        raise DataError(f"{dim}={text}: not a value of {dim} ({values.dtype})") from None
    if not (values == wanted).any():
        shown = ", ".join(str(v) for v in values[:8]) + (", ..." if len(values) > 8 else "")
        raise DataError(f"{dim}={text}: no such {dim}; the data have {shown}")
    return wanted


def select(ds: xr.Dataset, selections: dict[str, str]) -> tuple[xr.Dataset, dict[str, Any]]:
    chosen = {dim: _value(ds, dim, text) for dim, text in selections.items()}
    by_label = {d: v for d, v in chosen.items() if d in ds.coords}
    by_index = {d: v for d, v in chosen.items() if d not in ds.coords}
    return ds.sel(by_label).isel(by_index), chosen


def _default_variables(ds: xr.Dataset, mask: str | None, coords: set[str]) -> list[str]:
    bounds = {str(v.attrs.get("bounds")) for v in ds.variables.values() if "bounds" in v.attrs}
    grids = [str(n) for n, v in ds.data_vars.items() if v.ndim >= 2 and n != mask and n not in bounds and n not in coords]
    if not grids:
        raise DataError("no variable on a 2-D grid in the data", hint="name them with vars=")
    first = set(ds[grids[0]].dims)
    return [n for n in grids if set(ds[n].dims) == first]


def layout(ds: xr.Dataset, location: Location) -> tuple[xr.Dataset, Layout]:
    """The selected data set and its layout; every problem is one DataError naming what to write."""
    selections = check_options(location, {str(d) for d in ds.dims})
    ds, chosen = select(ds, selections)
    where = location.pattern
    mask_text = location.options.get("mask")
    mask = mask_text.lstrip("~") if mask_text else None
    if mask is not None and mask not in ds.variables:
        raise DataError(f"{where}: mask={mask_text} names no variable; the data have {', '.join(map(str, ds.data_vars))}")
    lat, lon = _find(ds, location.options.get("lat"), LATITUDE), _find(ds, location.options.get("lon"), LONGITUDE)
    if "vars" in location.options:
        variables = [v.strip() for v in location.options["vars"].split(",") if v.strip()]
        missing = [v for v in variables if v not in ds.data_vars]
        if missing or not variables:
            raise DataError(f"{where}: no variable {missing[0] if missing else '(empty vars=)'!r}",
                            hint=f"the data have {', '.join(map(str, ds.data_vars))}")
        if len(set(variables)) != len(variables):
            raise DataError(f"{where}: vars={location.options['vars']} names a variable twice")
    else:
        variables = _default_variables(ds, mask, {n for n in (lat, lon) if n})
    dims = ds[variables[0]].dims
    for name in variables[1:]:
        if set(ds[name].dims) != set(dims):
            raise DataError(f"{where}: {variables[0]} has dimensions {dims} but {name} has {ds[name].dims}; "
                            "the variables of one run share a grid")
    if lat and lon and ds[lat].dims[0] in dims and ds[lon].dims[0] in dims:
        y, x = str(ds[lat].dims[0]), str(ds[lon].dims[0])
    else:
        if len(dims) < 2:
            raise DataError(f"{where}: {variables[0]} has dimensions {dims}; a grid needs two")
        lat = lon = None
        y, x = str(dims[-2]), str(dims[-1])
    rest = sorted((str(d) for d in dims if d not in (y, x)), key=lambda d: not _timelike(ds, d))
    if len(rest) > 1:
        raise DataError(f"{where}: {variables[0]} has dimensions {dims}: one of {', '.join(rest)} can run along the "
                        f"samples, the others need one value chosen", hint=f"e.g. {rest[1]}={_example(ds, rest[1])}")
    sample = rest[0] if rest else None
    if mask is not None and not set(ds[mask].dims) <= {y, x, *rest}:
        raise DataError(f"{where}: the mask {mask} has dimensions {ds[mask].dims}, not a part of {dims}")
    return ds, Layout(variables, sample, y, x, lat, lon, mask, bool(mask_text and mask_text.startswith("~")), chosen)


def _timelike(ds: xr.Dataset, dim: str) -> bool:
    return dim.lower() in ("time", "valid_time", "t") or (dim in ds.coords and np.issubdtype(ds[dim].dtype, np.datetime64))


def _example(ds: xr.Dataset, dim: str) -> str:
    return str(ds[dim].values[0]) if dim in ds.coords else "0"
