"""Locations: PATH[:key=value…], values with colons, globs, and one clear message per mistake."""

from __future__ import annotations

import pytest
from srzoo_xarray.location import accepts, check_options, parse_location, parse_vectors

from srzoo_core.data import DataError


def test_options_after_the_path_with_colons_inside_values(tmp_path):
    path = tmp_path / "era.nc"
    path.write_bytes(b"")
    where = parse_location(f"{path}:vars=t2m,u10:split=time:2019-03-25T06:00;vectors=u10:x,v10:y:level=850")
    assert where.paths == [path] and where.suffix == ".nc"
    assert where.options == {"vars": "t2m,u10", "split": "time:2019-03-25T06:00", "vectors": "u10:x,v10:y", "level": "850"}
    assert parse_vectors(where.options["vectors"], ["t2m", "u10", "v10"]) == {"u10": "x", "v10": "y"}
    assert check_options(where, {"level", "time"}) == {"level": "850"}


def test_globs_and_what_is_accepted(tmp_path):
    for name in ("b.nc", "a.nc", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "store.zarr").mkdir()
    assert parse_location(f"{tmp_path}/*.nc:vars=t2m").paths == [tmp_path / "a.nc", tmp_path / "b.nc"]
    assert accepts(str(tmp_path / "store.zarr")) and accepts(f"{tmp_path}/a.nc:vars=x")
    assert not accepts(str(tmp_path / "missing.nc")) and not accepts(str(tmp_path / "notes.txt"))
    assert not accepts(f"{tmp_path}/*.grib")


@pytest.mark.parametrize("text, message", [
    ("{}:t2m", "expected key=value"),
    ("{}:=3", "an option without a name"),
    ("{}:vars=a:vars=b", "given twice"),
    ("{}missing.nc", "data file not found"),
    ("{}*.nc4", "no file matches"),
])
def test_mistakes(tmp_path, text, message):
    path = tmp_path / "era.nc"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=message):
        parse_location(text.format(path if "{}:" in text else f"{tmp_path}/"))


def test_unknown_option_lists_options_and_dimensions(tmp_path):
    path = tmp_path / "era.nc"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="unknown option 'varz'") as caught:
        check_options(parse_location(f"{path}:varz=t2m"), {"time", "level"})
    assert "vars" in caught.value.hint and "level" in caught.value.hint
    with pytest.raises(DataError, match="VARIABLE:x"):
        parse_vectors("u10:z", ["u10"])
    with pytest.raises(DataError, match="not one of the variables"):
        parse_vectors("w:x", ["u10"])
