"""``srzoo upscale CKPT in.nc out.nc``: read the checkpoint's variables, write them ×scale with
coordinates (CF-style netCDF, or zarr).

The HR grid refines every input cell into ``scale × scale`` equal cells: each cell is bounded
halfway to its neighbours (the outer cells as far out as they reach in), and its ``scale`` new
centres divide it evenly — on a regular grid that is spacing ``d/scale`` and centres offset by
``±d/(2·scale)`` from the old edges; latitudes stay within ±90°. Time, any selected scalar
coordinate (``level``), the variables' attributes (units, long_name, …) and the file's global
attributes are kept; ``history`` gets a line first, and ``srzoo_*`` attributes record the model.
Cells without data in the input (NaN or outside ``mask=``) are filled with the training mean for
the model and are NaN again in the output, over their ``scale × scale`` cells.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from srzoo_core import atomic_path
from srzoo_core.data import DataError
from srzoo_xarray import location as loc
from srzoo_xarray.store import FieldStore


@dataclass
class Upscaling:
    store: FieldStore
    missing: np.ndarray | None   # (N, C, H, W) input cells without data
    source: str


def refine(centres: Any, scale: int, limit: float | None = None) -> np.ndarray:
    """The centres of ``scale`` equal sub-cells of every cell; cells reach halfway to their neighbours."""
    c = np.asarray(centres, dtype=np.float64)
    if len(c) < 2:
        raise ValueError(f"a coordinate of {len(c)} value cannot be refined: its spacing is unknown")
    middle = (c[1:] + c[:-1]) / 2
    edges = np.concatenate([[2 * c[0] - middle[0]], middle, [2 * c[-1] - middle[-1]]])
    if limit is not None:
        edges = np.clip(edges, -limit, limit)
    fractions = (np.arange(scale) + 0.5) / scale
    return (edges[:-1, None] + np.diff(edges)[:, None] * fractions[None, :]).ravel()


def read_for_upscale(path: str, description: Any) -> tuple[np.ndarray, Upscaling]:
    where = loc.parse_location(path)
    names = list(description.channel_names)
    where.options.setdefault("vars", ",".join(names))
    try:
        store = FieldStore.open(where)
    except DataError as exc:
        raise DataError(f"{exc.message} (the model was trained on {', '.join(names)})", hint=exc.hint) from None
    if len(store.grid.variables) != len(names):
        raise ValueError(f"vars= names {len(store.grid.variables)} variables; the model takes {len(names)}: {', '.join(names)}")
    data = store.read(np.arange(len(store)))
    missing = ~np.isfinite(data)
    if missing.any():
        mean = np.asarray((description.normaliser or {}).get("mean") or [0.0] * len(names)).reshape(1, -1, 1, 1)
        data = np.where(missing, mean, data)
    array = data.astype(np.float32)
    return (array if store.grid.sample else array[0]), Upscaling(store, missing if missing.any() else None, path)


def _masked(array: np.ndarray, context: Upscaling, scale: int) -> np.ndarray:
    """NaN over the ``scale x scale`` cells of every input cell without data."""
    if context.missing is None:
        return array
    hidden = context.missing.repeat(scale, axis=-2).repeat(scale, axis=-1)
    return np.where(hidden.reshape(array.shape), np.float32(np.nan), array)


def upscaled_dataset(array: np.ndarray, context: Upscaling, description: Any) -> xr.Dataset:
    store, grid, scale = context.store, context.store.grid, int(description.scale)
    batch = _masked(np.asarray(array, dtype=np.float32), context, scale)
    batch = batch if batch.ndim == 4 else batch[None]
    first = store.parts[0]
    coords: dict[str, Any] = {str(n): first[n] for n in first.coords if first[n].ndim == 0}
    values = store.sample_values()
    if values is not None:
        coords[grid.sample] = xr.Variable(grid.sample, values, dict(first[grid.sample].attrs),
                                          {k: v for k, v in first[grid.sample].encoding.items() if k in ("units", "calendar")})
    for name, dim, limit in ((grid.lat, grid.y, 90.0), (grid.lon, grid.x, None)):
        if name is not None:
            centres = store.coordinate("latitude" if dim == grid.y else "longitude")
            coords[name] = xr.Variable(dim, refine(centres, scale, limit), {**first[name].attrs, "srzoo_refined": f"x{scale} from cell centres"})
    dims = (grid.sample, grid.y, grid.x) if grid.sample else (grid.y, grid.x)
    data_vars = {v: xr.Variable(dims, batch[:, c] if grid.sample else batch[0, c], dict(first[v].attrs))
                 for c, v in enumerate(grid.variables)}
    out = xr.Dataset(data_vars, coords, attrs=dict(first.attrs))
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"{stamp}: srzoo upscale x{scale} of {context.source} with {description.spec}"
    out.attrs["history"] = line + (f"\n{first.attrs['history']}" if first.attrs.get("history") else "")
    out.attrs.update(srzoo_spec=description.spec, srzoo_scale=scale, srzoo_source=context.source,
                     srzoo_version=str((description.environment or {}).get("srzoo", "")))
    return out


def write_upscaled(path: str, array: np.ndarray, context: Upscaling, description: Any) -> None:
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in loc.WRITABLE_SUFFIXES:
        raise ValueError(f"srzoo-xarray writes {', '.join(loc.WRITABLE_SUFFIXES)}, not {suffix or 'a file without a suffix'}")
    folder = target.parent if str(target.parent) else Path(".")
    if suffix == ".npy":
        with atomic_path(target) as name:
            np.save(name, _masked(np.asarray(array, dtype=np.float32), context, int(description.scale)))
        return
    dataset = upscaled_dataset(array, context, description)
    if suffix == ".zarr":
        temporary = Path(tempfile.mkdtemp(prefix=f".{target.stem}.", suffix=".tmp.zarr", dir=folder))
        try:
            dataset.to_zarr(temporary, mode="w", zarr_format=2)
            _replace_folder(temporary, target)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        return
    with atomic_path(target) as name:
        dataset.to_netcdf(name, engine="h5netcdf")


def _replace_folder(new: Path, target: Path) -> None:
    """``new`` takes ``target``'s place; an old store is moved aside first and removed after."""
    old = target.with_name(f".{target.name}.old") if target.exists() else None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
