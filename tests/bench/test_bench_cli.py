"""`srzoo bench` options and every message for a bad input."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest
import skimage.data as skd
import torch

from tests.weights_files import import_checkpoint


def _results(path):
    return json.loads((path / "bench.json").read_text())


def test_a_paired_lr_folder_replaces_the_degradation(cli, folders, tmp_path):
    from srzoo_core.data import degrade

    set_b = folders[1]
    lr = tmp_path / "lr"
    lr.mkdir()
    for image in set_b.iterdir():
        hr = iio.imread(image)[:100, :116]  # the HR crop that matches the LR below
        low = degrade(torch.from_numpy(hr.transpose(2, 0, 1) / 255.0), 4)
        iio.imwrite(lr / image.name, np.rint(low.clamp(0, 1).numpy().transpose(1, 2, 0) * 255).astype(np.uint8))
    assert cli("bench", str(set_b), "--out", str(tmp_path / "made"))[0] == 0
    code, _, err = cli("bench", str(set_b), "--lr", str(lr), "--out", str(tmp_path / "paired"))
    assert code == 0, err
    made, paired = _results(tmp_path / "made"), _results(tmp_path / "paired")
    rows = {r["image"]: r for r in paired["per_image"]}
    assert (rows["coffee.png"]["width"], rows["coffee.png"]["height"]) == (116, 100)  # HR cropped to LR × 4 = 29×25 × 4
    assert rows["chelsea.png"]["psnr"] != made["per_image"][0]["psnr"]  # chelsea's LR is of another crop here
    coffee = next(r for r in made["per_image"] if r["image"] == "coffee.png")
    assert rows["coffee.png"]["psnr"] == pytest.approx(coffee["psnr"], abs=1e-9)
    assert paired["protocol"]["lr"]["paired"] == {"set_b": str(lr)}


def test_lr_folder_errors(cli, folders, tmp_path):
    set_a, set_b, _ = folders
    code, _, err = cli("bench", str(set_a), str(set_b), "--lr", str(tmp_path))
    assert code == 2 and "1 --lr folder(s) for 2 HR folder(s)" in err and "one --lr per HR folder" in err
    code, _, err = cli("bench", str(set_a), "--lr", str(tmp_path))
    assert code == 2 and "no LR image for astronaut.png" in err
    iio.imwrite(tmp_path / "astronaut.png", skd.astronaut()[:40, :40])
    iio.imwrite(tmp_path / "camera.png", skd.camera()[:40, :40])
    code, _, err = cli("bench", str(set_a), "--lr", str(tmp_path))
    assert code == 2 and "is larger than the HR image" in err and "×4 LR images" in err
    assert "LR folder not found" in cli("bench", str(set_a), "--lr", str(tmp_path / "none"))[2]


def test_bad_arguments(cli, folders, tmp_path, tiny_model):
    set_a = str(folders[0])
    code, _, err = cli("bench", "bicubic")
    assert code == 2 and "no folder of HR images given" in err
    code, _, err = cli("bench", str(tmp_path / "nowhere"), set_a)
    assert code == 2 and "not found: give 'bicubic', checkpoint files and folders" in err
    torch.save({"w": torch.zeros(1)}, tmp_path / "weights.pth")
    code, _, err = cli("bench", str(tmp_path / "weights.pth"), set_a)
    assert code == 2 and "published weights" in err and "srzoo import" in err
    code, _, err = cli("bench", str(folders[0] / "camera.png"), set_a)
    assert code == 2 and "is a file, not a checkpoint or a folder" in err
    code, _, err = cli("bench", set_a, "--degradation", "lanczos")
    assert code == 2 and "unknown degradation 'lanczos'" in err
    code, _, err = cli("bench", str(tiny_model), set_a, "--scale", "2")
    assert code == 2 and "upscales ×4, not ×2" in err and "--scale 4" in err
    assert "--overlap (8) must be smaller than --tile (8)" in cli("bench", set_a, "--tile", "8", "--overlap", "8")[2]
    assert "unknown device 'tpu'" in cli("bench", set_a, "--device", "tpu")[2]
    code, _, err = cli("bench", set_a, "--metrics", "lpipz")
    assert code == 2 and "unknown metric 'lpipz'" in err and "did you mean 'lpips'?" in err
    (tmp_path / "empty").mkdir()
    code, _, err = cli("bench", str(tmp_path / "empty"))
    assert code == 2 and "no images" in err
    (tmp_path / "tiny").mkdir()
    iio.imwrite(tmp_path / "tiny" / "t.png", skd.camera()[:3, :3])
    code, _, err = cli("bench", str(tmp_path / "tiny"))
    assert code == 2 and "smaller than the scale 4" in err


def test_checkpoints_of_different_scales_are_refused(cli, folders, tmp_path, tiny_model):
    x2 = import_checkpoint(cli, tmp_path, scale=2, name="two")
    code, _, err = cli("bench", str(tiny_model), str(x2), str(folders[0]))
    assert code == 2 and "different factors" in err and "tiny_x4 is ×4" in err and "two_x2 is ×2" in err


def test_a_grey_checkpoint_takes_grey_images_only(cli, folders, tmp_path):
    grey = import_checkpoint(cli, tmp_path, channels=1, name="grey")
    only_grey = tmp_path / "grey_only"
    only_grey.mkdir()
    iio.imwrite(only_grey / "camera.png", skd.camera()[:64, :64])
    code, out, err = cli("bench", str(grey), str(only_grey), "--out", str(tmp_path / "g"), "--device", "cpu")
    assert code == 0, err
    assert "grey_x4" in out
    code, _, err = cli("bench", str(grey), str(folders[0]), "--out", str(tmp_path / "c"))
    assert code == 2 and "takes grey images (L) but set_a/astronaut.png is in colour" in err


def test_any_size_reaches_a_model_with_a_size_rule(cli, tmp_path):
    """rrdbnet ×2 pixel-unshuffles its input by 2 (size_multiple 2): odd LR sizes still run, whole."""
    x2 = import_checkpoint(cli, tmp_path, scale=2, name="two")
    folder = tmp_path / "odd_sizes"
    folder.mkdir()
    iio.imwrite(folder / "c.png", skd.coffee()[:102, :118])  # LR 51×59
    code, _, err = cli("bench", str(x2), str(folder), "--out", str(tmp_path / "o"), "--device", "cpu")
    assert code == 0, err
    rows = _results(tmp_path / "o")["per_image"]
    assert {(r["width"], r["height"]) for r in rows} == {(118, 102)} and np.isfinite(rows[1]["psnr"])


def test_perceptual_metrics_are_reported_or_skipped_with_a_note(cli, folders, tmp_path, monkeypatch):
    set_a = str(folders[0])
    code, out, err = cli("bench", set_a, "--metrics", "lpips(weights=random)+dists(weights=random)", "--out", str(tmp_path / "p"))
    assert code == 0, err
    assert "set_a LPIPS" in out and "set_a DISTS" in out
    result = _results(tmp_path / "p")
    assert {"psnr", "ssim", "lpips", "dists"} <= set(result["results"]["bicubic"]["set_a"])
    assert result["protocol"]["metrics"]["lpips"]["metric"] == "lpips"
    small = tmp_path / "small"
    small.mkdir()
    iio.imwrite(small / "s.png", skd.astronaut()[:28, :28])
    code, _, err = cli("bench", str(small), "--metrics", "lpips(weights=random)", "--out", str(tmp_path / "q"))
    assert code == 2 and "lpips cannot score small/s.png: lpips: needs images of at least 31x31 pixels" in err
    monkeypatch.setenv("SRZOO_ALEXNET_WEIGHTS", str(tmp_path / "missing-alexnet.pth"))
    code, out, err = cli("bench", set_a, "--metrics", "lpips", "--out", str(tmp_path / "s"))
    assert code == 0, err
    assert "note: lpips skipped:" in err and "missing-alexnet.pth" in err and "LPIPS" not in out
    skipped = _results(tmp_path / "s")["protocol"]["skipped_metrics"]
    assert skipped[0]["metric"] == "lpips" and "no such file" in skipped[0]["reason"]


def test_sr_images_are_saved(cli, folders, tiny_model, tmp_path):
    code, out, err = cli("bench", str(tiny_model), str(folders[1]), "--save-images", str(tmp_path / "sr"),
                         "--out", str(tmp_path / "o"), "--device", "cpu")
    assert code == 0, err
    for method in ("bicubic", "tiny_x4"):
        saved = iio.imread(tmp_path / "sr" / method / "set_b" / "coffee.png")
        assert saved.shape == (100, 116, 3) and saved.dtype == np.uint8
    assert f"SR images in {tmp_path / 'sr'}" in out


def test_the_degradation_is_stated(cli, folders, tmp_path):
    code, _, err = cli("bench", str(folders[0]), "--degradation", "area", "--out", str(tmp_path))
    assert code == 0, err
    protocol = _results(tmp_path)["protocol"]
    assert protocol["degradation"] == "area" and "area" in protocol["lr"]


def test_column_names_grow_until_distinct(tmp_path):
    from srzoo_core.experiments.bench_images import column_names

    paths = [tmp_path / "Set5" / "HR", tmp_path / "Set14" / "HR", tmp_path / "B100"]
    assert column_names(paths) == ["Set5/HR", "Set14/HR", "B100"]
