"""Every bad input is one DataError (a UsageError: exit code 2) with a message that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

from srzoo_core.data import DataError, load_data, write_image
from srzoo_core.errors import UsageError


def _raises(match: str, *args, **kwargs) -> DataError:
    with pytest.raises(DataError, match=match) as info:
        load_data(*args, **kwargs)
    return info.value


def test_dataerror_is_a_usage_error():
    err = _raises(r"data source not found: /no/such/dir", "/no/such/dir")
    assert isinstance(err, UsageError) and err.exit_code == 2
    assert "synthetic-grid" in err.hint


def test_missing_paths(make_pngs, tmp_path, make_grid):
    folder = make_pngs("hr", n=3, h=16, w=16)
    _raises(r"LR folder not found: .*nolr", str(folder), lr=str(tmp_path / "nolr"), patch=8)
    _raises(r"val folder not found: .*noval", str(folder), val=str(tmp_path / "noval"), patch=8)
    np.save(tmp_path / "g.npy", make_grid(4, size=16))
    _raises(r"test file not found: .*nope\.npy", str(tmp_path / "g.npy"), test=str(tmp_path / "nope.npy"))


def test_wrong_rank(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros((5, 64, 64)))
    err = _raises(r"training file .*flat\.npy: expected an array shaped \(N, C, H, W\), found 3-D shape \(5, 64, 64\)",
                  str(tmp_path / "flat.npy"))
    assert "a[:, None]" in err.hint


def test_lr_hr_size_mismatch(tmp_path, make_grid, make_pngs):
    np.save(tmp_path / "hr.npy", make_grid(4, size=64))
    np.save(tmp_path / "lr.npy", make_grid(4, size=15))
    _raises(r"LR size 15x15 x scale 4 = 60x60 does not match HR size 64x64",
            str(tmp_path / "hr.npy"), lr=str(tmp_path / "lr.npy"))
    hr = make_pngs("phr", n=2, h=16, w=16)
    lr = make_pngs("plr", n=2, h=5, w=4)
    _raises(r"img\d\.png: LR size 5x4 x scale 4 = 20x16 does not match HR size 16x16", str(hr), lr=str(lr), patch=8)


def test_image_smaller_than_crop(make_pngs):
    folder = make_pngs("small", n=3, h=32, w=40)
    _raises(r"training image img\d\.png is 32x40, smaller than the 96x96 crop", str(folder))


def test_nan_in_data(tmp_path, make_grid):
    a = make_grid(6, size=16)
    a[3, 1, 2, 2] = np.nan
    a[5, 0, 0, 0] = np.inf
    np.save(tmp_path / "bad.npy", a)
    _raises(r"training file .*bad\.npy: NaN or Inf values, first in sample 3 \(2 of 6 samples affected\)",
            str(tmp_path / "bad.npy"))


def test_unknown_degradation_and_options():
    _raises(r"unknown degradation 'bicubc'; valid degradations: bicubic, bilinear, bilinear-noaa, area",
            "synthetic-grid:10", degradation="bicubc")
    _raises(r"unknown augmentation 'rotate'", "synthetic-grid:10", augment="rotate")
    _raises(r"patch 30 is not divisible by scale 4", "synthetic-grid:10", patch=30)
    _raises(r"scale must be an integer >= 1, got 0", "synthetic-grid:10", scale=0)
    _raises(r"synthetic-grid:N takes a number of samples", "synthetic-grid:many")
    _raises(r"lr= does not apply to builtin", "builtin", lr="x")


def test_mixed_channel_counts(tmp_path, make_grid):
    folder = tmp_path / "mixed"
    write_image(folder / "a.png", np.full((16, 16, 1), 0.5))
    write_image(folder / "b.png", np.full((16, 16, 3), 0.5))
    write_image(folder / "c.png", np.full((16, 16, 3), 0.5))
    _raises(r"mixed channel counts: a\.png has 1, b\.png has 3", str(folder), patch=8)
    np.save(tmp_path / "tr.npy", make_grid(4, c=2, size=16))
    np.save(tmp_path / "va.npy", make_grid(4, c=3, size=16))
    _raises(r"mixed channel counts: training data has 2 channels, validation has 3",
            str(tmp_path / "tr.npy"), val=str(tmp_path / "va.npy"))


def test_too_few_samples(tmp_path, make_grid, make_pngs):
    np.save(tmp_path / "one.npy", make_grid(1, size=16))
    _raises(r"too few samples to split: .*one\.npy has 1 training sample\(s\); need at least 2", str(tmp_path / "one.npy"))
    _raises(r"too few samples to split: synthetic-grid:2 gives 2 sample\(s\); need at least 3", "synthetic-grid:2")
    folder = make_pngs("single", n=1, h=16, w=16)
    _raises(r"too few images to split: .*single holds 1 image\(s\)", str(folder), patch=8)


def test_grid_not_divisible_by_scale(tmp_path, make_grid):
    np.save(tmp_path / "odd.npy", make_grid(4, size=30))
    _raises(r"training data: grid size 30x30 is not divisible by scale 4", str(tmp_path / "odd.npy"))


def test_seasons_ambiguous_or_unknown(tmp_path, make_grid):
    for season in ("Summer", "Winter"):
        np.save(tmp_path / f"HR_data_train_tm_{season}.npy", make_grid(4, size=16))
    _raises(rf"{tmp_path} holds several data sets; pick one: {tmp_path}:Summer, {tmp_path}:Winter", str(tmp_path))
    _raises(r"no season 'Autumn' in .*; found: .*:Summer, .*:Winter", f"{tmp_path}:Autumn")


def test_folder_contents(tmp_path, make_grid, make_pngs):
    np.save(tmp_path / "other.npy", make_grid(4, size=16))
    _raises(r"holds \.npy files but none named HR_data_train_tm\[_<Season>\]\.npy", str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    _raises(r"no images \(\.png, \.jpg, \.\.\.\) or \.npy data in folder .*empty", str(empty))
    folder = make_pngs("imgs", n=2, h=16, w=16)
    _raises(r"img0\.png is a single image; give the folder", str(folder / "img0.png"))


def test_paired_train_with_unpaired_val(tmp_path, make_grid):
    np.save(tmp_path / "hr.npy", make_grid(4, size=16))
    np.save(tmp_path / "lr.npy", make_grid(4, size=4))
    np.save(tmp_path / "va.npy", make_grid(2, size=16))
    err = _raises(r"lr= pairs the training data with real LR, but val= gives HR only",
                  str(tmp_path / "hr.npy"), lr=str(tmp_path / "lr.npy"), val=str(tmp_path / "va.npy"))
    assert "val=HR,LR" in err.hint


def test_missing_paired_image(make_pngs, tmp_path):
    hr = make_pngs("hr2", n=2, h=16, w=16)
    lr = tmp_path / "lr2"
    write_image(lr / "img0.png", np.zeros((4, 4, 3)))
    _raises(r"paired LR image missing: .*lr2/img1\.png", str(hr), lr=str(lr), patch=8)
