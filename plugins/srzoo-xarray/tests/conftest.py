"""Small reanalysis-like files, made by the tests (no data is shipped)."""

from __future__ import annotations

import pytest
from srzoo_xarray.sample import reanalysis_like, write


@pytest.fixture
def make_file(tmp_path):
    """``make_file(name, **options)``: write :func:`reanalysis_like` (16x16, 24 six-hourly times by
    default) to ``tmp_path / name`` and return (path, dataset)."""

    def make(name: str = "era.nc", times: int = 24, ny: int = 16, nx: int = 16, **options):
        ds = reanalysis_like(times, ny, nx, **options)
        path = tmp_path / name
        write(ds, str(path))
        return path, ds

    return make
