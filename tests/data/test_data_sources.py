"""Every source type: item shapes and dtypes, splits, determinism, normalisation, describe()."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from srzoo_core.data import DataBundle, degrade, load_data, read_image, synthetic_grid, write_image


def _check_items(b: DataBundle, lr_hw: tuple[int, int], hr_hw: tuple[int, int]) -> None:
    lr, hr = b.train[0]
    assert lr.dtype == hr.dtype == torch.float32
    assert lr.shape == (b.channels, *lr_hw) and hr.shape == (b.channels, *hr_hw)
    assert hr.shape[-1] == b.patch and lr.shape[-1] == b.patch // b.scale
    vlr, vhr = b.val[0]
    assert vlr.dtype == vhr.dtype == torch.float32
    assert vhr.shape[-2:] == (vlr.shape[-2] * b.scale, vlr.shape[-1] * b.scale)
    json.dumps(b.describe())


def _find_aligned(crop_hr: torch.Tensor, crop_lr: torch.Tensor, hr: torch.Tensor, lr: torch.Tensor, s: int) -> bool:
    """True when crop_hr sits in hr at a multiple of s, and crop_lr is the LR window at the same place."""
    p = crop_hr.shape[-1]
    for y in range(0, hr.shape[-2] - p + 1, s):
        for x in range(0, hr.shape[-1] - p + 1, s):
            if torch.equal(hr[:, y:y + p, x:x + p], crop_hr):
                return torch.equal(lr[:, y // s:(y + p) // s, x // s:(x + p) // s], crop_lr)
    return False


# --- built-in photographs -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def builtin() -> DataBundle:
    return load_data("builtin", scale=4, patch=96, seed=0)


def test_builtin(builtin):
    b = builtin
    assert (b.name, b.modality.name, b.channels, b.channel_names, b.patch) == ("builtin", "photo", 3, ["R", "G", "B"], 96)
    assert b.normaliser.kind == "unit" and b.augment == "dihedral" and b.test is None
    _check_items(b, (24, 24), (96, 96))
    lr, hr = b.train[5]
    assert 0 <= hr.min() and hr.max() <= 1 and 0 <= lr.min() and lr.max() <= 1
    d = b.describe()
    assert d["splits"]["val"]["images"] == ["astronaut", "coffee"]
    assert "astronaut" not in d["splits"]["train"]["images"]
    assert len(d["splits"]["train"]["images"]) == 7                 # incl. both stereo_motorcycle views
    assert b.val.hr.shape == (28, 3, 128, 128)
    assert d["splits"]["val"]["hr_pixels"] <= 1_500_000
    assert len(b.train) == d["splits"]["train"]["items"] == 417    # 96x96 patches tiling the train images
    # LR is the 8-bit quantised bicubic of the whole image, tiles cut aligned
    assert torch.equal(b.val.lr * 255, torch.round(b.val.lr * 255))
    # a batch of consecutive indices mixes images
    assert len({b.train.sample_of(i) for i in range(16)}) >= 3


# --- image folders --------------------------------------------------------------------------------

def test_folder_hr_only(make_pngs):
    folder = make_pngs("hr", n=5, h=40, w=48)
    b = load_data(str(folder), scale=4, patch=16)
    assert b.modality.name == "photo" and b.channels == 3 and b.lr_source == "degradation"
    _check_items(b, (4, 4), (16, 16))
    d = b.describe()
    held = d["splits"]["val"]["images"]
    assert len(held) == 1 and held[0] not in d["splits"]["train"]["images"]
    assert len(b.train) == 4 * (40 // 16) * (48 // 16)
    # the single validation tile is the whole 40x40 top-left of the held-out image
    hr = torch.from_numpy(read_image(folder / held[0])).permute(2, 0, 1)
    assert b.val.hr.shape == (1, 3, 40, 40)
    torch.testing.assert_close(b.val.hr[0], hr[:, :40, :40])
    lr = torch.round(degrade(hr, 4).clamp(0, 1) * 255) / 255
    torch.testing.assert_close(b.val.lr[0], lr[:, :10, :10])


def test_folder_grey_jpeg_and_val_folder(make_pngs):
    train = make_pngs("train", n=2, h=32, w=32, c=1, ext=".jpg")
    val = make_pngs("val", n=2, h=24, w=28, c=1)
    b = load_data(str(train), scale=2, patch=16, val=str(val))
    assert b.channels == 1 and b.channel_names == ["L"]
    _check_items(b, (8, 8), (16, 16))
    assert b.val.hr.shape == (2, 1, 24, 24)        # tile = smallest side, a multiple of the scale
    assert b.describe()["splits"]["val"]["source"] == str(val)


def test_folder_paired(make_pngs, tmp_path):
    hr_dir = make_pngs("hr", n=3, h=32, w=32)
    lr_dir = tmp_path / "lr"
    for f in sorted(hr_dir.iterdir()):
        hr = torch.from_numpy(read_image(f)).permute(2, 0, 1)
        write_image(lr_dir / f.name, degrade(hr, 4, "area").permute(1, 2, 0).numpy())
    b = load_data(str(hr_dir), lr=str(lr_dir), scale=4, patch=32, augment=False)
    assert b.lr_source == "paired" and b.describe()["lr"].startswith("given")
    lr, hr = b.train[0]
    name = b.describe()["splits"]["train"]["images"][b.train.sample_of(0)]
    torch.testing.assert_close(hr, torch.from_numpy(read_image(hr_dir / name)).permute(2, 0, 1))
    torch.testing.assert_close(lr, torch.from_numpy(read_image(lr_dir / name)).permute(2, 0, 1))


def test_crops_are_deterministic_and_aligned(make_pngs):
    folder = make_pngs("hr", n=3, h=40, w=40)
    a = load_data(str(folder), scale=4, patch=16, seed=7)
    b = load_data(str(folder), scale=4, patch=16, seed=7)
    c = load_data(str(folder), scale=4, patch=16, seed=8)
    items = lambda ds: [ds[i] for i in range(len(ds))]  # noqa: E731
    ia, ib, ic = items(a.train), items(b.train), items(c.train)
    assert all(torch.equal(x[1], y[1]) for x, y in zip(ia, ib))
    assert not all(torch.equal(x[1], y[1]) for x, y in zip(ia, ic))
    a.train.set_epoch(1)
    ia1 = items(a.train)
    assert not all(torch.equal(x[1], y[1]) for x, y in zip(ia, ia1))
    a.train.set_epoch(0)
    assert torch.equal(a.train[len(a.train) + 2][1], ia1[2][1])     # index past len = next epoch
    plain = load_data(str(folder), scale=4, patch=16, seed=7, augment=False)
    ds = plain.train
    for i in range(len(ds)):
        lr, hr = ds[i]
        j = ds.sample_of(i)
        assert _find_aligned(hr, lr, ds._float(ds.hr[j]), ds._float(ds.lr[j]), 4)
    # one epoch visits each image as often as its crops tile it, in shuffled order
    assert sorted(ds.sample_of(i) for i in range(len(ds))) == [j for j, c in enumerate(ds.counts) for _ in range(c)]
    assert [ds.sample_of(i) for i in range(len(ds))] != sorted(ds.sample_of(i) for i in range(len(ds)))


# --- .npy grids --------------------------------------------------------------------------------------

def test_npy_hr_only(tmp_path, make_grid):
    a = make_grid(20, c=3, size=32, dtype=np.float32)
    np.save(tmp_path / "g.npy", a)
    b = load_data(str(tmp_path / "g.npy"), scale=4)
    assert (b.modality.name, b.channels, b.patch, b.augment, b.test) == ("grid", 3, 32, "none", None)
    assert b.channel_names == ["ch0", "ch1", "ch2"]
    _check_items(b, (8, 8), (32, 32))
    assert len(b.train) == 18 and len(b.val) == 2                 # last 10% held out
    train = a[:18].astype(np.float64)
    np.testing.assert_allclose(b.normaliser.mean, train.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(b.normaliser.std, train.std(axis=(0, 2, 3)))
    _, hr0 = b.train[0]                                           # full fields, no augmentation
    j = b.train.sample_of(0)
    torch.testing.assert_close(b.normaliser.denormalise(hr0.double()), torch.from_numpy(train[j]), rtol=1e-6, atol=1e-4)
    vlr, vhr = b.val[1]
    torch.testing.assert_close(b.normaliser.denormalise(vhr.double()), torch.from_numpy(a[19]).double(), rtol=1e-6, atol=1e-4)
    lr_phys = degrade(torch.from_numpy(a[19:20].astype(np.float64)), 4)[0]
    torch.testing.assert_close(b.normaliser.denormalise(vlr.double()), lr_phys, rtol=1e-6, atol=1e-4)


def test_normaliser_sees_train_only(tmp_path, make_grid):
    train, val = make_grid(8, size=16), make_grid(4, size=16) + 100.0
    np.save(tmp_path / "tr.npy", train)
    np.save(tmp_path / "va.npy", val)
    b = load_data(str(tmp_path / "tr.npy"), val=str(tmp_path / "va.npy"), scale=4)
    np.testing.assert_allclose(b.normaliser.mean, train.mean(axis=(0, 2, 3)))
    assert b.val.hr.mean() > 10                                  # val is far from the train statistics


def test_npy_paired(tmp_path, make_grid):
    hr = make_grid(10, size=32)
    lr = degrade(torch.from_numpy(hr), 4, "area").numpy() + 0.01
    np.save(tmp_path / "hr.npy", hr)
    np.save(tmp_path / "lr.npy", lr)
    b = load_data(str(tmp_path / "hr.npy"), lr=str(tmp_path / "lr.npy"), scale=4)
    assert b.lr_source == "paired" and len(b.train) == 9 and len(b.val) == 1
    lr0, _ = b.train[0]
    j = b.train.sample_of(0)
    torch.testing.assert_close(lr0.double(), b.normaliser.normalise(torch.from_numpy(lr[j])), rtol=1e-6, atol=1e-5)
    vlr, _ = b.val[0]
    torch.testing.assert_close(vlr.double(), b.normaliser.normalise(torch.from_numpy(lr[9])), rtol=1e-6, atol=1e-5)


def test_seed004_directory(seed004_dir):
    b = load_data(str(seed004_dir))
    assert (b.modality.name, b.channels, b.patch, b.scale) == ("grid", 2, 64, 4)
    _check_items(b, (16, 16), (64, 64))
    assert (len(b.train), len(b.val), len(b.test)) == (12, 4, 3)
    files = b.describe()["files"]
    assert files["val"].endswith("HR_data_valid_tm.npy") and files["test"].endswith("HR_data_test_tm.npy")
    valid = np.load(seed004_dir / "HR_data_valid_tm.npy")
    torch.testing.assert_close(b.normaliser.denormalise(b.val.hr.double()), torch.from_numpy(valid), rtol=1e-6, atol=1e-4)
    # the train file itself works too, and finds its valid/test siblings
    b2 = load_data(str(seed004_dir / "HR_data_train_tm.npy"))
    assert (len(b2.train), len(b2.val), len(b2.test)) == (12, 4, 3)


def test_seed004_seasons(tmp_path, make_grid):
    for split, season in (("train", "Summer"), ("valid", "Summer"), ("train", "Winter")):
        np.save(tmp_path / f"HR_data_{split}_tm_{season}.npy", make_grid(6, seed=len(season)))
    b = load_data(f"{tmp_path}:Summer")
    assert (len(b.train), len(b.val)) == (6, 6) and b.describe()["season"] == "Summer"
    w = load_data(f"{tmp_path}:Winter")
    assert (len(w.train), len(w.val)) == (5, 1)                      # no valid file: held out


def test_synthetic_grid():
    b = load_data("synthetic-grid:40", scale=4)
    assert b.name == "synthetic-grid" and (len(b.train), len(b.val), len(b.test)) == (32, 4, 4)
    _check_items(b, (16, 16), (64, 64))
    assert (len(load_data("synthetic-grid", samples=30).train)) == 24
    d = synthetic_grid(64)
    assert d.shape == (64, 2, 64, 64) and d.dtype == np.float64
    assert 275 < d[:, 0].mean() < 285 and 1 < d[:, 0].std() < 8
    assert abs(d[:, 1].mean()) < 2 and 3 < d[:, 1].std() < 10
    np.testing.assert_array_equal(d, synthetic_grid(64))              # fixed data seed
    assert np.corrcoef(d[:, 0].ravel(), d[:, 1].ravel())[0, 1] < -0.2  # correlated channels
    # smooth: neighbouring pixels are strongly correlated
    assert np.corrcoef(d[:, 1, :, :-1].ravel(), d[:, 1, :, 1:].ravel())[0, 1] > 0.9
    assert load_data("synthetic-grid:40", seed=3).normaliser == b.normaliser


def test_grid_crops_and_augment_options():
    b = load_data("synthetic-grid:20", scale=4, patch=32, seed=1)
    _check_items(b, (8, 8), (32, 32))
    assert len(b.train) == 16 * 4 and b.augment == "none"
    for i in range(0, len(b.train), 7):
        lr, hr = b.train[i]
        j = b.train.sample_of(i)
        assert _find_aligned(hr, lr, b.train.hr[j], b.train.lr[j], 4)
    assert load_data("synthetic-grid:20", augment=True).augment == "flips"
    assert load_data("synthetic-grid:20", augment="dihedral").augment == "dihedral"
    assert load_data("synthetic-grid:20", patch=128).patch == 64       # larger than the field: full field


def test_dataloader_workers_give_the_same_batches():
    b = load_data("synthetic-grid:20", scale=4, patch=32, augment=True, seed=5)
    serial = [hr for _, hr in DataLoader(b.train, batch_size=8)]
    parallel = [hr for _, hr in DataLoader(b.train, batch_size=8, num_workers=2)]
    assert all(torch.equal(x, y) for x, y in zip(serial, parallel))
