"""Issue 12's first "done when", as a user would: a netCDF file with named variables, units and
coordinates trains with a time split; eval names metrics by variable with units; upscale writes
a netCDF on the HR grid with coordinates and attributes kept."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from srzoo_xarray.sample import reanalysis_like, write

from tests.experiments.conftest import call

SPEC = "gen=srresnet(blocks=1,features=8) loss=l1 metric=wrmse+quantile(q=0.99)+rapsd+mass"
FAST = ["--iters", "4", "--val-every", "4", "--batch", "4", "--precision", "fp32"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("netcdf")
    ds = reanalysis_like(24, 16, 16)
    write(ds, str(folder / "era.nc"))
    data = f"{folder / 'era.nc'}:vars=t2m,u10:split=time:2019-03-05,2019-03-06"
    result = call("train", SPEC, "--data", data, *FAST, "--degradation", "area", "--out", str(folder / "runs"), "--name", "era")
    assert result["code"] == 0, result["err"]
    return folder / "era.nc", ds, folder / "runs" / "era", result["out"]


def test_train_records_variables_units_coordinates_and_time_splits(trained):
    _, _, run, out = trained
    description = json.loads((run / "run.json").read_text())["description"]
    assert description["channels"] == [{"name": "t2m", "unit": "K"}, {"name": "u10", "unit": "m s**-1"}]
    data = description["data"]
    assert data["splits"]["val"]["time"] == ["2019-03-05T00:00:00", "2019-03-05T18:00:00"]
    assert data["splits"]["test"]["time"] == ["2019-03-06T00:00:00", "2019-03-06T18:00:00"]
    assert data["coordinates"]["latitude"] == {"first": 60.0, "last": 52.5, "size": 16}
    assert description["protocol"]["labels"]["wrmse_t2m"] == "wrmse t2m [K]"
    assert description["protocol"]["metrics"]["wrmse"]["latitudes"] == "the run's HR cell-centre latitudes"
    assert "wrmse t2m [K]" in out and "quantile u10 [m s**-1]" in out and "rapsd t2m [dB]" in out


def test_eval_prints_metrics_by_variable_with_units(cli, trained):
    _, _, run, _ = trained
    code, out, err = cli("eval", str(run / "best.safetensors"), "--split", "test")
    assert code == 0, err
    assert "(test, 4 samples)" in " ".join(out.split())
    for label in ("wrmse t2m [K]", "wrmse u10 [m s**-1]", "quantile t2m [K]", "rapsd u10 [dB]", "mass t2m"):
        assert label in out, label


def test_upscale_writes_netcdf_on_the_hr_grid(cli, trained, tmp_path):
    path, ds, run, _ = trained
    code, out, err = cli("upscale", str(run / "best.safetensors"), str(path), str(tmp_path / "hr.nc"), "--tile", "0")
    assert code == 0, err
    hr = xr.open_dataset(tmp_path / "hr.nc")
    assert hr.t2m.dims == ("time", "latitude", "longitude") and hr.t2m.shape == (24, 64, 64)
    lat, lon = ds.latitude.values.astype(float), ds.longitude.values.astype(float)
    assert hr.latitude.values[:4] == pytest.approx(lat[0] + 0.5 * np.array([0.375, 0.125, -0.125, -0.375]))
    assert hr.latitude.values.reshape(16, 4).mean(1) == pytest.approx(lat)
    assert hr.longitude.values.reshape(16, 4).mean(1) == pytest.approx(lon)
    assert (hr.time.values == ds.time.values).all()
    assert hr.t2m.attrs["units"] == "K" and hr.u10.attrs["long_name"] == "10 metre U wind component"
    assert hr.latitude.attrs["units"] == "degrees_north" and hr.attrs["Conventions"] == "CF-1.6"
    assert "srzoo upscale x4" in hr.attrs["history"].splitlines()[0]
    assert hr.attrs["srzoo_spec"].startswith("gen=srresnet(blocks=1,features=8)")
    code, out, err = cli("upscale", str(run / "best.safetensors"), str(path), str(tmp_path / "hr.grib"), "--tile", "0")
    assert code == 2 and "writes .nc, .nc4, .zarr, .npy, not .grib" in err + out
