"""Loading labelled files into a DataBundle: names, units, coordinates, splits, selections, masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr
from srzoo_xarray import store as store_module
from srzoo_xarray.sample import write

from srzoo_core.data import DataError, degrade, load_data


def test_names_units_coordinates_and_a_time_split(make_file):
    path, ds = make_file()
    bundle = load_data(f"{path}:vars=t2m,u10:split=time:2019-03-05", scale=4)
    assert bundle.channel_names == ["t2m", "u10"] and bundle.units == ["K", "m s**-1"]
    assert bundle.coords["latitude"] == pytest.approx(ds.latitude.values.tolist())
    assert bundle.coords["longitude"] == pytest.approx(ds.longitude.values.tolist())
    times = bundle.coords["time"]
    assert len(times["train"]) == 16 and times["train"][-1] == "2019-03-04T18:00:00"
    assert len(times["val"]) == 8 and times["val"][0] == "2019-03-05T00:00:00" and bundle.test is None
    train = ds[["t2m", "u10"]].isel(time=slice(0, 16)).to_array().values.astype(np.float64)
    assert bundle.normaliser.mean == pytest.approx(train.mean(axis=(1, 2, 3)), rel=1e-12)
    assert bundle.normaliser.std == pytest.approx(train.std(axis=(1, 2, 3)), rel=1e-9)
    lr, hr = bundle.val[0]
    field = np.stack([ds.t2m.values[16], ds.u10.values[16]]).astype(np.float64)
    assert torch.allclose(hr, torch.from_numpy(bundle.normaliser.normalise_array(field)).float())
    expected_lr = degrade(torch.from_numpy(field), 4, "bicubic").numpy()
    assert torch.allclose(lr, torch.from_numpy(bundle.normaliser.normalise_array(expected_lr)).float(), atol=1e-6)
    described = bundle.describe()
    assert described["splits"]["val"]["time"] == ["2019-03-05T00:00:00", "2019-03-06T18:00:00"]
    assert described["variables"]["t2m"] == {"units": "K", "long_name": "2 metre temperature"}
    assert described["coordinates"]["latitude"] == {"first": 60.0, "last": 52.5, "size": 16}


def test_validation_and_test_by_date_by_fraction_and_by_default(make_file):
    path, _ = make_file()
    both = load_data(f"{path}:vars=t2m:split=time:2019-03-05,2019-03-06T12:00", scale=4)
    assert (len(both.train), len(both.val), len(both.test)) == (16, 6, 2)
    fractions = load_data(f"{path}:vars=t2m:split=0.5,0.25", scale=4)
    assert (len(fractions.train), len(fractions.val), len(fractions.test)) == (12, 6, 6)
    held = load_data(f"{path}:vars=t2m", scale=4)
    assert (len(held.train), len(held.val)) == (22, 2) and "last 2 of 24" in held.splits["val"]["source"]


@pytest.mark.parametrize("split, message", [
    ("time:2030-01-01", "leaves the val split empty"),
    ("time:2019-03-01", "leaves the train split empty"),
    ("time:2019-03-05,2019-03-04", "must start after"),
    ("time:yesterday", "is not a time value"),
    ("level:3", "the samples run along time"),
    ("0.7,0.5", "summing to at most 1"),
])
def test_split_mistakes(make_file, split, message):
    path, _ = make_file()
    with pytest.raises(DataError, match=message):
        load_data(f"{path}:vars=t2m:split={split}", scale=4)


def test_other_dimensions_need_a_value(make_file, tmp_path):
    _, ds = make_file()
    levels = xr.concat([ds.assign(t2m=ds.t2m - 6.5 * k) for k in range(3)], dim="level").assign_coords(level=[1000, 850, 500])
    path = tmp_path / "levels.nc"
    write(levels, str(path))
    with pytest.raises(DataError, match="one of time, level can run along the samples") as caught:
        load_data(f"{path}:vars=t2m", scale=4)
    assert caught.value.hint == "e.g. level=1000"
    bundle = load_data(f"{path}:vars=t2m:level=850", scale=4)
    assert bundle.extra["selected"] == {"level": "850"}
    assert bundle.normaliser.mean[0] == pytest.approx(float(ds.t2m.isel(time=slice(0, 22)).mean()) - 6.5, rel=1e-6)
    with pytest.raises(DataError, match="no such level; the data have 1000, 850, 500"):
        load_data(f"{path}:vars=t2m:level=700", scale=4)


def test_grid_cropped_to_a_multiple_of_the_scale(make_file):
    path, _ = make_file(ny=18, nx=17)
    bundle = load_data(f"{path}:vars=t2m", scale=4)
    assert bundle.extra["cropped"].startswith("18x17 -> 16x16")
    assert bundle.val[0][1].shape == (1, 16, 16) and len(bundle.coords["latitude"]) == 16


def test_several_files_are_one_data_set(make_file, tmp_path):
    path, ds = make_file()
    write(ds.isel(time=slice(12, 24)), str(tmp_path / "part2.nc"))
    write(ds.isel(time=slice(0, 12)), str(tmp_path / "part1.nc"))
    whole = load_data(f"{path}:vars=t2m,v10:split=time:2019-03-05", scale=4)
    parts = load_data(f"{tmp_path}/part*.nc:vars=t2m,v10:split=time:2019-03-05", scale=4)
    assert parts.normaliser.mean == pytest.approx(whole.normaliser.mean, rel=1e-12)
    for i in range(len(whole.val)):
        assert torch.equal(whole.val[i][1], parts.val[i][1])
    assert parts.coords["time"] == whole.coords["time"]


def test_zarr_and_a_separate_validation_file(make_file, tmp_path):
    path, ds = make_file("era.zarr")
    write(ds.isel(time=slice(0, 4)), str(tmp_path / "later.nc"))
    bundle = load_data(f"{path}:vars=u10,v10", scale=2, val=str(tmp_path / "later.nc"))
    assert (len(bundle.train), len(bundle.val)) == (24, 4) and bundle.scale == 2
    assert bundle.splits["val"]["source"] == f"every sample of {tmp_path / 'later.nc'}"
    with pytest.raises(DataError, match="both choose held-out samples"):
        load_data(f"{path}:split=0.5", scale=2, val=str(tmp_path / "later.nc"))


def test_missing_values_stay_missing_in_the_target_only(make_file):
    path, ds = make_file(nan_over_land=("t2m",))
    land = ds.lsm.values > 0.5
    bundle = load_data(f"{path}:vars=t2m,u10", scale=4)
    lr, hr = bundle.val[0]
    assert torch.isnan(hr[0]).numpy().tolist() == land.tolist() and not torch.isnan(hr[1]).any()
    assert torch.isfinite(lr).all()
    train = ds.t2m.isel(time=slice(0, 22)).values.astype(np.float64)
    assert bundle.normaliser.mean[0] == pytest.approx(np.nanmean(train), rel=1e-12)
    assert bundle.extra["missing"]["valid_fraction_train"]["t2m"] == pytest.approx(1 - land.mean())
    sea = load_data(f"{path}:vars=t2m,u10:mask=~lsm", scale=4).val[0][1]
    assert torch.isnan(sea[1]).numpy().tolist() == land.tolist()
    only_land = load_data(f"{path}:vars=u10:mask=lsm", scale=4).val[0][1]
    assert torch.isnan(only_land[0]).numpy().tolist() == (~land).tolist()


def test_wind_components_flip_with_the_field(make_file):
    path, _ = make_file()
    bundle = load_data(f"{path}:vars=u10,v10,t2m:vectors=u10:x,v10:y", scale=4, augment=True)
    assert bundle.vectors == {"u10": "x", "v10": "y"} and bundle.describe()["vectors"] == bundle.vectors
    signs = bundle.train.signs
    assert signs[-1].flatten().tolist() == [-1, 1, 1] and signs[-2].flatten().tolist() == [1, -1, 1]
    with pytest.raises(DataError, match="flips only"):
        load_data(f"{path}:vars=u10,v10:vectors=u10:x,v10:y", scale=4, augment="dihedral")


def test_reads_lazily_and_streams_the_statistics(make_file, monkeypatch):
    path, ds = make_file()
    reads = []
    original = store_module.FieldStore.read
    monkeypatch.setattr(store_module.FieldStore, "read", lambda self, p: reads.append(len(p)) or original(self, p))
    monkeypatch.setattr(store_module, "BLOCK_BYTES", 3 * 16 * 16 * 8 * 2 * 5)  # five samples per block
    bundle = load_data(f"{path}:vars=t2m,u10,v10", scale=4)
    assert reads == [5, 5, 5, 5, 2]  # the statistics pass over the 22 training samples, block by block
    train = ds[["t2m", "u10", "v10"]].isel(time=slice(0, 22)).to_array().values.astype(np.float64)
    assert bundle.normaliser.std == pytest.approx(train.std(axis=(1, 2, 3)), rel=1e-9)
    reads.clear()
    bundle.train[3]
    bundle.val[1]
    assert reads == [1, 1]  # an item reads its one sample, LR and HR from one read


def test_mistakes_are_data_errors(make_file):
    path, _ = make_file()
    with pytest.raises(DataError, match="no variable 'sst'") as caught:
        load_data(f"{path}:vars=t2m,sst", scale=4)
    assert "t2m" in caught.value.hint
    with pytest.raises(DataError, match="mask=~land names no variable"):
        load_data(f"{path}:mask=~land", scale=4)
    with pytest.raises(DataError, match="paired LR file"):
        load_data(f"{path}:vars=t2m", scale=4, lr=str(path))


def test_climate_calendars_split_by_date(make_file, tmp_path):
    _, ds = make_file(times=12)
    ds = ds.assign_coords(time=xr.date_range("2019-02-25", periods=12, freq="6h", calendar="360_day", use_cftime=True))
    ds.to_netcdf(tmp_path / "noleap.nc", engine="h5netcdf")
    bundle = load_data(f"{tmp_path / 'noleap.nc'}:vars=t2m:split=time:2019-02-27", scale=4)
    assert (len(bundle.train), len(bundle.val)) == (8, 4)
    assert bundle.describe()["splits"]["val"]["time"] == ["2019-02-27T00:00:00", "2019-02-27T18:00:00"]
