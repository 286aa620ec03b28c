"""Reanalysis-like netCDF files made by the tests (srzoo-xarray's generator; nothing is shipped)."""

from __future__ import annotations

import pytest
from srzoo_xarray.sample import reanalysis_like, write


@pytest.fixture
def netcdf(tmp_path):
    """``netcdf(name, **options)``: a 16x16, six-hourly file from 2019-03-01 (24 times by default)
    with t2m [K], u10 and v10 [m s**-1], lsm and latitude/longitude/time; returns (path, dataset)."""

    def make(name: str = "era.nc", times: int = 24, size: int = 16, **options):
        ds = reanalysis_like(times, size, size, **options)
        write(ds, str(tmp_path / name))
        return tmp_path / name, ds

    return make


@pytest.fixture(autouse=True)
def grad_mode_restored():
    """Every test here starts with autograd on and leaves it as it found it: a generator build
    interrupted by the meta-device deadline inside a factory's ``torch.no_grad()`` can leave it
    off (reported); a later training test must not inherit that."""
    import torch

    torch.set_grad_enabled(True)
    yield
    torch.set_grad_enabled(True)
