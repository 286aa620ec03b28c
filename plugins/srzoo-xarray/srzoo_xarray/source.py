"""The ``xarray`` data source: netCDF, zarr and GRIB files with named variables, units and
coordinates, read lazily, split by time, with masks.

Protocol, as for the core's ``.npy`` grids: the HR is the file's grid (cropped to a multiple of
the scale: the last rows / columns go, and the record says so); the LR is made from each whole
HR field by the run's degradation in physical units, float64; both are z-scored per channel with
statistics of the training split (cells without data left out). Cells without data (NaN in the
file — a missing value — or outside ``mask=``) stay NaN in the HR: the trainer gives them no loss
and the evaluator no score; in the LR they hold the channel mean. Training items are whole fields
(or random aligned ``--patch`` crops) with flips only when asked (``vectors=`` negates wind
components); validation and test items are every sample of their split, whole fields.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srzoo_core.data import GRID, CropDataset, DataBundle, DataError, Normaliser
from srzoo_xarray import location as loc
from srzoo_xarray import splits
from srzoo_xarray.lazy import LazyFields, LazyPairs, SplitSamples
from srzoo_xarray.store import FieldStore, channel_statistics


def _times(values: np.ndarray | None, positions: np.ndarray) -> list[Any] | None:
    if values is None:
        return None
    chosen = values[positions]
    if np.issubdtype(chosen.dtype, np.datetime64):
        return [str(t) for t in np.datetime_as_string(chosen, unit="s")]
    return [v.isoformat() if hasattr(v, "isoformat") else v.item() if hasattr(v, "item") else str(v) for v in chosen]


class XarraySource:
    """``file.nc[:key=value…]`` (also ``.nc4``, ``.zarr``, ``.grib``, globs of several files)."""

    example = "era5.nc:vars=t2m,u10,v10:split=time:2019-03-25"

    def accepts(self, location: str) -> bool:
        return loc.accepts(location)

    # -- training data -----------------------------------------------------------------------

    def load(self, location: str, request: Any) -> DataBundle:
        where = loc.parse_location(location)
        if request.lr is not None:
            raise DataError(f"{where.pattern}: a paired LR file (lr=) is not read by srzoo-xarray yet",
                            hint="let --degradation make the LR from the HR")
        store = FieldStore.open(where)
        names = list(store.grid.variables)
        cropped = store.crop_to_multiple(request.scale)
        if min(store.height, store.width) < request.scale:
            raise DataError(f"{where.pattern}: a {store.height}x{store.width} grid is too small for scale {request.scale}")
        stores, positions, notes = self._splits(store, where, request)
        if request.samples:
            positions["train"] = positions["train"][: request.samples]
        normaliser = request.normaliser
        fraction = None
        if normaliser is None:
            mean, std, fraction = channel_statistics(store, positions["train"], names)
            normaliser = Normaliser("zscore", mean, std)
        elif normaliser.kind != "zscore" or normaliser.channels != len(names):
            raise DataError(f"the given normalisation ({normaliser.kind}, {normaliser.channels} channels) does not fit "
                            f"{where.pattern} ({len(names)} variables: {', '.join(names)})")
        vectors = loc.parse_vectors(where.options.get("vectors"), names)
        augment = GRID.default_augment(request.augment)
        height, width = store.height, store.width
        patch = (min(height, width) if request.patch is None else min(request.patch, height, width)) // request.scale * request.scale
        samples = {s: SplitSamples(stores[s], p, normaliser, request.scale, request.degradation) for s, p in positions.items()}
        try:
            train = CropDataset(LazyFields(samples["train"], 1), LazyFields(samples["train"], 0), scale=request.scale,
                                patch=patch, augment=augment, seed=request.seed, vectors=[vectors.get(n) for n in names])
        except ValueError as exc:
            raise DataError(f"{where.pattern}: {exc}", hint="use --augment (flips) rather than rotations for winds") from None
        split_info = {s: {"samples": len(p), "field": [height, width], "source": notes[s],
                          "protocol": "every sample, full fields" if s != "train" else
                          "full fields" if patch == height == width else f"random aligned {patch}x{patch} crops",
                          **({"time": [t[0], t[-1]]} if (t := _times(stores[s].sample_values(), p)) else {})}
                      for s, p in positions.items()}
        extra: dict[str, Any] = {"files": [str(p) for p in where.paths], "options": dict(where.options),
                                 "variables": {n: {"units": u, "long_name": ln} for n, u, ln in
                                               zip(names, store.attribute("units"), store.attribute("long_name"))},
                                 "values": "physical units as stored; LR made before normalisation"}
        if store.grid.selections:
            extra["selected"] = {k: str(v) for k, v in store.grid.selections.items()}
        if cropped:
            extra["cropped"] = f"{cropped[0]}x{cropped[1]} -> {height}x{width} (last rows/columns dropped: a multiple of x{request.scale})"
        if fraction is not None and min(fraction) < 1:
            extra["missing"] = {"rule": f"mask={where.options['mask']}; NaN in the file" if store.grid.mask else "NaN in the file",
                                "valid_fraction_train": dict(zip(names, fraction))}
        return DataBundle(
            name=location, modality=GRID, channels=len(names), scale=request.scale, patch=patch, degradation=request.degradation,
            normaliser=normaliser, train=train, val=LazyPairs(samples["val"]),
            test=LazyPairs(samples["test"]) if "test" in samples else None, channel_names=names, units=store.attribute("units"),
            lr_source="degradation", augment=augment, seed=request.seed, splits=split_info, extra=extra, vectors=vectors,
            coords={"latitude": store.coordinate("latitude"), "longitude": store.coordinate("longitude"),
                    "time": {s: _times(stores[s].sample_values(), p) for s, p in positions.items()}},
        )

    def _splits(self, store: FieldStore, where: loc.Location, request: Any) -> tuple[dict, dict, dict]:
        """Per split: the store it reads, sample positions in it, and a note of where they came from."""
        separate = {s: given for s, given in (("val", request.val), ("test", request.test)) if given is not None}
        if separate and "split" in where.options:
            raise DataError(f"split={where.options['split']} and a separate {'/'.join(separate)} file both choose held-out samples",
                            hint="keep one of them")
        count, values = len(store), store.sample_values()
        if separate:
            stores, positions, notes = {"train": store}, {"train": np.arange(count)}, {"train": f"every sample of {where.pattern}"}
            for split, (path, lr_path) in separate.items():
                if lr_path is not None:
                    raise DataError(f"{split}={path},{lr_path}: paired LR files are not read by srzoo-xarray yet")
                other = FieldStore.open(loc.parse_location(self._with_options(str(path), where)))
                other.height, other.width = store.height, store.width
                if other.grid.variables != store.grid.variables:
                    raise DataError(f"{path} holds {', '.join(other.grid.variables)}, not {', '.join(store.grid.variables)}")
                stores[split], positions[split], notes[split] = other, np.arange(len(other)), f"every sample of {path}"
            if "val" not in stores:
                chosen, how = splits.choose(count, values, store.grid.sample, None)
                positions.update(chosen)
                notes.update(train=f"{where.pattern}, " + how, val=how)
                stores["val"] = store
            return stores, positions, notes
        chosen, how = splits.choose(count, values, store.grid.sample, where.options.get("split"))
        return {s: store for s in chosen}, chosen, {s: f"{where.pattern}, {how}" for s in chosen}

    @staticmethod
    def _with_options(path: str, where: loc.Location) -> str:
        """A separate split file read with the training file's options (variables, mask, selections)."""
        kept = {k: v for k, v in where.options.items() if k not in ("split", "vectors")}
        return path + "".join(f";{k}={v}" if i else f":{k}={v}" for i, (k, v) in enumerate(kept.items()))

    # -- srzoo upscale -----------------------------------------------------------------------

    def read_for_upscale(self, path: str, description: Any) -> tuple[np.ndarray, Any]:
        from srzoo_xarray.output import read_for_upscale

        return read_for_upscale(path, description)

    def write_upscaled(self, path: str, array: np.ndarray, context: Any, description: Any) -> None:
        from srzoo_xarray.output import write_upscaled

        write_upscaled(path, array, context, description)
