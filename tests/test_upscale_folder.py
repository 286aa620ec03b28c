"""`srzoo upscale` on folders and globs, and photos that keep their form (alpha, grey)."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
import skimage.data as skd
import torch

from srzoo_core.data import upsample
from srzoo_core.training.checkpoint import load_model
from srzoo_core.training.inference import upscale_tiled
from tests.weights_files import import_checkpoint


@pytest.fixture
def model(cli, tmp_path):
    return import_checkpoint(cli, tmp_path)


def _model_output(checkpoint, rgb: np.ndarray) -> np.ndarray:
    """The checkpoint's float output for an (h, w, 3) uint8 image, untiled."""
    generator, description = load_model(checkpoint)
    x = torch.from_numpy(rgb.transpose(2, 0, 1)[None].astype(np.float32) / 255)
    y = upscale_tiled(generator, x, description.scale, tile=0, device="cpu", precision="fp32")
    return y[0].clamp(0, 1).numpy().transpose(1, 2, 0)


def mixed_folder(folder):
    """10 files: 4 RGB, 2 RGBA, 2 grey, 1 JPEG, 1 corrupt PNG; and a text file that is no photo."""
    folder.mkdir()
    photo = skd.astronaut()
    for i in range(4):
        iio.imwrite(folder / f"rgb{i}.png", photo[i * 20:i * 20 + 24, :28])
    ramp = np.tile(np.linspace(0, 255, 28).astype(np.uint8), (24, 1))[..., None]
    for i in range(2):
        iio.imwrite(folder / f"rgba{i}.png", np.concatenate([photo[:24, i * 30:i * 30 + 28], ramp], axis=2))
    for i in range(2):
        iio.imwrite(folder / f"grey{i}.png", skd.camera()[i * 30:i * 30 + 24, :28])
    iio.imwrite(folder / "photo.jpg", photo[50:74, 50:78])
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not a png")
    (folder / "notes.txt").write_text("not a photo")
    return folder


def test_a_mixed_folder_writes_nine_and_reports_the_corrupt_one(cli, tmp_path, model):
    inputs = mixed_folder(tmp_path / "in")
    code, out, err = cli("upscale", str(model), str(inputs), str(tmp_path / "out"), "--device", "cpu")
    assert code == 1
    assert "wrote 9 of 10 files" in out and "skipped 1 file(s) of another type: notes.txt" in out
    assert f"failed: {inputs / 'corrupt.png'}: cannot read image" in err and "1 of 10 file(s) failed" in err
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(written) == 9 and "corrupt.png" not in written
    assert iio.imread(tmp_path / "out" / "rgb0.png").shape == (96, 112, 3)
    assert iio.imread(tmp_path / "out" / "rgba0.png").shape == (96, 112, 4)
    assert iio.imread(tmp_path / "out" / "grey0.png").shape == (96, 112)
    assert iio.imread(tmp_path / "out" / "photo.jpg").shape == (96, 112, 3)


def test_alpha_is_upscaled_by_bicubic_and_colour_by_the_model(cli, tmp_path, model):
    inputs = mixed_folder(tmp_path / "in")
    assert cli("upscale", str(model), str(inputs / "rgba0.png"), str(tmp_path / "a.png"), "--device", "cpu",
               "--precision", "fp32")[0] == 0
    rgba = iio.imread(inputs / "rgba0.png")
    result = iio.imread(tmp_path / "a.png").astype(int)
    alpha = upsample(torch.from_numpy(rgba[:, :, 3].astype(np.float32) / 255)[None, None], 4, "bicubic")[0, 0]
    expected_alpha = np.rint(alpha.clamp(0, 1).numpy() * 255)
    assert np.abs(result[:, :, 3] - expected_alpha).max() == 0
    expected_colour = np.rint(_model_output(model, rgba[:, :, :3]) * 255)
    assert np.abs(result[:, :, :3] - expected_colour).max() <= 1


def test_grey_goes_through_an_rgb_model_and_comes_back_grey(cli, tmp_path, model):
    grey = skd.camera()[:24, :28]
    iio.imwrite(tmp_path / "g.png", grey)
    assert cli("upscale", str(model), str(tmp_path / "g.png"), str(tmp_path / "out.png"), "--device", "cpu",
               "--precision", "fp32")[0] == 0
    result = iio.imread(tmp_path / "out.png").astype(float)
    assert result.shape == (96, 112)
    rgb = _model_output(model, np.repeat(grey[:, :, None], 3, axis=2))
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    assert np.abs(result - np.rint(luma * 255)).max() <= 1


def test_grey_with_alpha_keeps_both(cli, tmp_path, model):
    iio.imwrite(tmp_path / "la.png", np.stack([skd.camera()[:24, :28], np.full((24, 28), 200, np.uint8)], axis=2))
    assert cli("upscale", str(model), str(tmp_path / "la.png"), str(tmp_path / "out.png"), "--device", "cpu")[0] == 0
    result = iio.imread(tmp_path / "out.png")
    assert result.shape == (96, 112, 2) and (result[:, :, 1] == 200).all()


def test_a_colour_image_for_a_grey_model_fails_with_its_reason(cli, tmp_path):
    grey_model = import_checkpoint(cli, tmp_path, channels=1, name="grey")
    folder = tmp_path / "in"
    folder.mkdir()
    iio.imwrite(folder / "colour.png", skd.astronaut()[:24, :28])
    iio.imwrite(folder / "grey.png", skd.camera()[:24, :28])
    code, out, err = cli("upscale", str(grey_model), str(folder), str(tmp_path / "out"), "--device", "cpu")
    assert code == 1 and "wrote 1 of 2 files" in out
    assert "colour.png: the checkpoint takes grey images (1 channel, L) but this image is in colour" in err


def test_a_glob_selects_files(cli, tmp_path, model):
    inputs = mixed_folder(tmp_path / "in")
    code, out, err = cli("upscale", str(model), str(inputs / "rgb?.png"), str(tmp_path / "out"), "--device", "cpu")
    assert code == 0, err
    assert "wrote 4 of 4 files" in out and sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"rgb{i}.png" for i in range(4)]


def test_folder_errors(cli, tmp_path, model):
    inputs = mixed_folder(tmp_path / "in")
    code, _, err = cli("upscale", str(model), str(inputs), str(tmp_path / "out"), "--precision", "fp16", "--device", "cpu")
    assert code == 2 and "fp16 needs a CUDA device" in err
    code, _, err = cli("upscale", str(model), str(inputs), str(inputs / "rgb0.png"))
    assert code == 2 and "is a file; with a folder or glob as input, OUT must be a folder" in err
    code, _, err = cli("upscale", str(model), str(inputs), str(tmp_path / "new.png"))
    assert code == 2 and "looks like a file name" in err
    code, _, err = cli("upscale", str(model), str(inputs), str(inputs))
    assert code == 2 and "holds the inputs" in err
    code, _, err = cli("upscale", str(model), str(tmp_path / "nothing*.png"), str(tmp_path / "out"))
    assert code == 2 and "no file matches" in err
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("x")
    code, _, err = cli("upscale", str(model), str(tmp_path / "texts"), str(tmp_path / "out"))
    assert code == 2 and "no photo files" in err and "a.txt" in err
    (tmp_path / "other").mkdir()
    iio.imwrite(tmp_path / "other" / "rgb0.png", skd.astronaut()[:24, :28])
    code, _, err = cli("upscale", str(model), str(tmp_path / "*" / "rgb0.png"), str(tmp_path / "out"))
    assert code == 2 and "would both be written to" in err
