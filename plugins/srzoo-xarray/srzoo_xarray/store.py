"""``FieldStore``: the chosen variables of one or more files as (N, C, H, W) samples in physical
units, read lazily — a block of samples at a time, never the whole file — with NaN wherever a
cell has no data (a missing value in the file, or outside the mask).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from srzoo_core.data import DataError
from srzoo_xarray.location import Location
from srzoo_xarray.opening import Layout, engine_for, layout, open_file

BLOCK_BYTES = 64 << 20  # what one read of the statistics pass holds, at most (float64)


class FieldStore:
    def __init__(self, parts: list[xr.Dataset], grid: Layout, where: str):
        self.parts, self.grid, self.where = parts, grid, where
        self._count()
        first = parts[0]
        self.height, self.width = int(first.sizes[grid.y]), int(first.sizes[grid.x])

    @classmethod
    def open(cls, location: Location) -> FieldStore:
        engine = engine_for(location)
        parts, grid = [], None
        for path in location.paths:
            ds, this = layout(open_file(path, engine), location)
            if grid is not None and (this.variables != grid.variables or (this.y, this.x) != (grid.y, grid.x)
                                     or ds.sizes[this.y] != parts[0].sizes[grid.y] or ds.sizes[this.x] != parts[0].sizes[grid.x]):
                raise DataError(f"{path} does not match {location.paths[0]}: files of one data set share variables and grid")
            parts.append(ds)
            grid = grid or this
        store = cls(parts, grid, location.pattern)
        store._order_parts()
        return store

    def _count(self) -> None:
        counts = [int(ds.sizes[self.grid.sample]) if self.grid.sample else 1 for ds in self.parts]
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(int)

    def _order_parts(self) -> None:
        """Files in the order of their first sample; overlapping files are an error."""
        if len(self.parts) < 2 or self.grid.sample not in self.parts[0].coords:
            return
        self.parts.sort(key=lambda ds: ds[self.grid.sample].values[0])
        self._count()
        values = self.sample_values()
        if not (values[1:] > values[:-1]).all():
            raise DataError(f"{self.where}: the files overlap or repeat {self.grid.sample} values")

    def __len__(self) -> int:
        return int(self.starts[-1])

    @property
    def channels(self) -> int:
        return len(self.grid.variables)

    def crop_to_multiple(self, scale: int) -> tuple[int, int] | None:
        """Drop the last rows / columns so the grid splits into scale x scale blocks; the (H, W) before, if cut."""
        before = (self.height, self.width)
        self.height, self.width = self.height - self.height % scale, self.width - self.width % scale
        return before if (self.height, self.width) != before else None

    def sample_values(self) -> np.ndarray | None:
        name = self.grid.sample
        if name is None or name not in self.parts[0].coords:
            return None
        return np.concatenate([ds[name].values for ds in self.parts])

    def coordinate(self, which: str) -> list[float] | None:
        name = self.grid.lat if which == "latitude" else self.grid.lon
        if name is None:
            return None
        values = np.asarray(self.parts[0][name].values, dtype=np.float64)
        return values[: self.height if which == "latitude" else self.width].tolist()

    def attribute(self, name: str) -> list[str | None]:
        return [_text(self.parts[0][v].attrs.get(name)) for v in self.grid.variables]

    def read(self, positions: Sequence[int]) -> np.ndarray:
        """Samples at ``positions`` (global indices) as (n, C, H, W) float64, NaN where there is no data."""
        positions = np.asarray(positions, dtype=int)
        out = np.empty((len(positions), self.channels, self.height, self.width))
        part_of = np.searchsorted(self.starts, positions, side="right") - 1
        done = 0
        for run in np.split(np.arange(len(positions)), np.flatnonzero(np.diff(part_of)) + 1):
            part = int(part_of[run[0]])
            local = positions[run] - self.starts[part]
            out[done:done + len(run)] = self._read_part(self.parts[part], local)
            done += len(run)
        return out

    def _read_part(self, ds: xr.Dataset, local: np.ndarray) -> np.ndarray:
        g = self.grid
        contiguous = len(local) > 0 and (np.diff(local) == 1).all()
        index: dict[str, Any] = {g.y: slice(0, self.height), g.x: slice(0, self.width)}
        if g.sample:
            index[g.sample] = slice(int(local[0]), int(local[-1]) + 1) if contiguous else local
        dims = (g.sample, g.y, g.x) if g.sample else (g.y, g.x)
        fields = [np.asarray(ds[v].isel(index).transpose(*dims).values, dtype=np.float64) for v in g.variables]
        data = np.stack(fields, axis=-3)
        if not g.sample:
            data = data[None]
        if g.mask:
            data = np.where(self._valid(ds, index, len(local))[:, None], data, np.nan)
        return data

    def _valid(self, ds: xr.Dataset, index: dict[str, Any], count: int) -> np.ndarray:
        g = self.grid
        mask = ds[g.mask].isel({k: v for k, v in index.items() if k in ds[g.mask].dims})
        mask = mask.transpose(*[d for d in (g.sample, g.y, g.x) if d in mask.dims]).values
        if mask.dtype == bool:
            valid = ~mask if g.keep_below else mask
        else:
            values = mask.astype(np.float64)
            valid = (values < 0.5) if g.keep_below else (values >= 0.5)  # NaN compares False: no data
        return np.broadcast_to(valid if valid.ndim == 3 else valid[None], (count, self.height, self.width))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def blocks(positions: Sequence[int], sample_bytes: int, budget: int | None = None):
    """``positions`` in consecutive blocks of at most ``budget`` bytes of samples (at least one each)."""
    size = max(1, (budget or BLOCK_BYTES) // max(sample_bytes, 1))
    for start in range(0, len(positions), size):
        yield positions[start:start + size]


def channel_statistics(store: FieldStore, positions: Sequence[int], names: list[str]) -> tuple[list[float], list[float], list[float]]:
    """Per channel: mean, population std and the fraction of cells with data, over the samples at
    ``positions``, NaN left out; streamed in blocks (shifted sums in float64, shift = the first block's mean)."""
    sums = squares = counts = shift = None
    cells = 0
    for block in blocks(positions, store.channels * store.height * store.width * 8 * 2):
        x = store.read(block)
        valid = np.isfinite(x)
        if shift is None:
            with np.errstate(invalid="ignore"):
                shift = np.nan_to_num(np.nanmean(x, axis=(0, 2, 3)), nan=0.0)
            sums, squares, counts = np.zeros(store.channels), np.zeros(store.channels), np.zeros(store.channels)
        x -= shift[None, :, None, None]  # in place: the block is the only large array
        x[~valid] = 0.0
        sums += x.sum(axis=(0, 2, 3))
        counts += valid.sum(axis=(0, 2, 3))
        cells += x.shape[0] * x.shape[2] * x.shape[3]
        x *= x
        squares += x.sum(axis=(0, 2, 3))
    for c, n in enumerate(counts):
        if n == 0:
            raise DataError(f"{store.where}: variable {names[c]} has no value in the training samples (all missing or masked)")
    mean = sums / counts
    std = np.sqrt(np.maximum(squares / counts - mean ** 2, 0.0))
    for c, s in enumerate(std):
        if not s > 0:
            raise DataError(f"{store.where}: variable {names[c]} is constant ({shift[c] + mean[c]:.6g}) in the training samples: "
                            "it cannot be z-scored", hint="leave it out of vars=")
    return (shift + mean).tolist(), std.tolist(), (counts / cells).tolist()
