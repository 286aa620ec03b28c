"""Upscaled files: the refined grid, attributes and history, masks, formats, and the source's IO hooks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from srzoo_xarray.output import refine
from srzoo_xarray.source import XarraySource

from srzoo_core.data import DataError


def model(scale: int = 2, names=("t2m", "u10")) -> SimpleNamespace:
    """What the IO hooks read of a checkpoint's run description."""
    return SimpleNamespace(channel_names=list(names), scale=scale, spec="gen=srresnet loss=l1",
                           normaliser={"kind": "zscore", "mean": [280.0, 3.0], "std": [5.0, 4.0]}, environment={"srzoo": "0.1.0"})


def test_refined_cells_split_each_cell_evenly():
    lat = np.array([60.0, 59.5, 59.0, 58.5])
    fine = refine(lat, 4)
    assert fine[:4].tolist() == pytest.approx([60.1875, 60.0625, 59.9375, 59.8125])
    assert np.diff(fine) == pytest.approx(np.full(15, -0.125))
    assert fine.reshape(4, 4).mean(axis=1) == pytest.approx(lat)  # every cell's sub-centres average to its centre
    polar = refine(np.array([90.0, 89.25, 88.5]), 2, limit=90.0)
    assert polar[:2].tolist() == pytest.approx([89.90625, 89.71875])  # the polar cell [90, 89.625] ends at the pole
    with pytest.raises(ValueError, match="spacing is unknown"):
        refine([45.0], 2)


def test_round_trip_keeps_coordinates_attributes_and_missing_cells(make_file, tmp_path):
    path, ds = make_file(times=3, nan_over_land=("t2m",))
    source = XarraySource()
    assert source.accepts(str(path)) and source.accepts(f"{path}:vars=t2m,u10")
    array, context = source.read_for_upscale(str(path), model())
    assert array.shape == (3, 2, 16, 16) and np.isfinite(array).all()
    assert (array[:, 0][:, ds.lsm.values > 0.5] == 280.0).all()  # filled with the training mean for the model
    upscaled = np.repeat(np.repeat(array, 2, axis=-2), 2, axis=-1)
    for name in ("out.nc", "out.zarr"):
        source.write_upscaled(str(tmp_path / name), upscaled, context, model())
        out = xr.open_dataset(tmp_path / name)
        assert out.t2m.shape == (3, 32, 32) and out.t2m.attrs["units"] == "K" and out.u10.attrs["standard_name"] == "eastward_wind"
        assert out.latitude.values == pytest.approx(refine(ds.latitude.values, 2)) and out.latitude.attrs["units"] == "degrees_north"
        assert out.longitude.values == pytest.approx(refine(ds.longitude.values, 2))
        assert (out.time.values == ds.time.values).all()
        assert out.attrs["Conventions"] == "CF-1.6" and out.attrs["srzoo_spec"] == "gen=srresnet loss=l1" and out.attrs["srzoo_scale"] == 2
        first, second = out.attrs["history"].split("\n")
        assert "srzoo upscale x2" in first and second == ds.attrs["history"]
        land = np.repeat(np.repeat(ds.lsm.values > 0.5, 2, 0), 2, 1)
        assert np.isnan(out.t2m.values[:, land]).all() and np.isfinite(out.t2m.values[:, ~land]).all()
        assert np.isfinite(out.u10.values).all()
    source.write_upscaled(str(tmp_path / "out.npy"), upscaled, context, model())
    assert np.isnan(np.load(tmp_path / "out.npy")).any()
    with pytest.raises(ValueError, match="writes .nc, .nc4, .zarr, .npy, not .grib"):
        source.write_upscaled(str(tmp_path / "out.grib"), upscaled, context, model())


def test_the_model_variables_must_be_there(make_file):
    path, _ = make_file(times=2)
    with pytest.raises(DataError, match=r"no variable 'sst'.*trained on sst, u10"):
        XarraySource().read_for_upscale(str(path), model(names=("sst", "u10")))


def test_conformance(srzoo_conformance):
    srzoo_conformance("xarray")
