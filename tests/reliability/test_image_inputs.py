"""Image inputs a user really has: 16-bit PNGs read at full precision (every colour type, every
PNG filter), a decompression bomb refused before any large allocation, an empty file and a grey
folder handled, an LR .npy beside an image folder and a folder given as a checkpoint explained."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from srzoo_core.data.images import ENV_MAX_PIXELS, read_raw
from tests.reliability.common import PHOTO_ARGS, TINY_SPEC, error_count, flat, photo_folder, train_photo_model

pytestmark = pytest.mark.usefixtures("no_plots")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _filtered(rows: np.ndarray, bpp: int) -> bytes:
    """Scanlines (H, W*bytes) with PNG filter y % 5 on row y (None, Sub, Up, Average, Paeth)."""
    out = bytearray()
    previous = np.zeros(rows.shape[1], dtype=np.int32)
    for y, row in enumerate(rows.astype(np.int32)):
        left = np.concatenate([np.zeros(bpp, np.int32), row[:-bpp]])
        upper_left = np.concatenate([np.zeros(bpp, np.int32), previous[:-bpp]])
        kind = y % 5
        if kind == 0:
            predicted = np.zeros_like(row)
        elif kind == 1:
            predicted = left
        elif kind == 2:
            predicted = previous
        elif kind == 3:
            predicted = (left + previous) // 2
        else:
            p = left + previous - upper_left
            pa, pb, pc = np.abs(p - left), np.abs(p - previous), np.abs(p - upper_left)
            predicted = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, previous, upper_left))
        out += bytes([kind]) + ((row - predicted) % 256).astype(np.uint8).tobytes()
        previous = row
    return bytes(out)


def write_png16(path: Path, pixels: np.ndarray) -> Path:
    """A 16-bit PNG (grey, grey+alpha, RGB or RGBA by the channel count), every filter type used."""
    pixels = pixels[:, :, None] if pixels.ndim == 2 else pixels
    height, width, channels = pixels.shape
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = pixels.astype(">u2").view(np.uint8).reshape(height, width * channels * 2)
    header = struct.pack(">IIBBBBB", width, height, 16, colour, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(_filtered(rows, channels * 2)))
    path.write_bytes(data + _chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_sixteen_bit_pngs_are_read_at_full_precision(tmp_path, channels):
    rng = np.random.default_rng(channels)
    pixels = rng.integers(0, 65536, size=(11, 13, channels), dtype=np.uint16)
    pixels[0, 0, 0] = 33374  # the value the issue saw become 130
    values, white = read_raw(write_png16(tmp_path / "deep.png", pixels))
    kept = 1 if channels <= 2 else 3  # alpha is dropped
    assert white == 65535.0 and values.dtype == np.uint16
    np.testing.assert_array_equal(values, pixels[:, :, :kept])


def test_a_folder_of_sixteen_bit_photos_trains_and_states_its_bit_depth(cli, tmp_path):
    folder = tmp_path / "deep"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        write_png16(folder / f"im{i}.png", rng.integers(0, 65536, size=(32, 32, 3), dtype=np.uint16))
    code, _, err = cli("train", TINY_SPEC, "--data", str(folder), *PHOTO_ARGS, "--out", str(tmp_path), "--name", "run")
    assert code == 0, err
    data = json.loads((tmp_path / "run" / "run.json").read_text())["description"]["data"]
    assert data["bit_depth"] == "16-bit" and data["lr_quantisation"] == "16-bit"


def write_bomb(path: Path, width: int = 12000, height: int = 12000) -> Path:
    """A PNG that claims width × height pixels in a few hundred bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1) * 16)  # 16 rows of the claimed size: the rest is missing
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module")
def photo_model(tmp_path_factory):
    return train_photo_model(tmp_path_factory.mktemp("photo"))


def test_a_decompression_bomb_is_refused_before_decoding_by_train_and_upscale(cli, tmp_path, photo_model, monkeypatch):
    monkeypatch.delenv(ENV_MAX_PIXELS, raising=False)
    folder = tmp_path / "bombs"
    folder.mkdir()
    bomb = write_bomb(folder / "bomb.png")
    assert bomb.stat().st_size < 2000
    write_bomb(folder / "fine.png", 40, 40)
    claim = "claims 12000×12000 pixels (144.0 megapixels), more than the limit of 100 megapixels"
    code, _, err = cli("train", TINY_SPEC, "--data", str(folder), *PHOTO_ARGS, "--out", str(tmp_path), "--name", "bomb")
    err = flat(err)
    assert code == 2 and f"image {bomb} {claim}" in err and "decompression bomb" in err, err
    assert f"{ENV_MAX_PIXELS}=144000000" in err and error_count(err) == 1 and "Traceback" not in err
    assert not (tmp_path / "bomb").exists()
    code, _, err = cli("upscale", str(photo_model / "best.safetensors"), str(bomb), str(tmp_path / "out.png"))
    err = flat(err)
    assert code == 2 and claim in err and error_count(err) == 1 and "Traceback" not in err, err
    assert not (tmp_path / "out.png").exists()


def test_the_pixel_limit_is_an_option(cli, tmp_path, photo_model, monkeypatch):
    import imageio.v3 as iio

    image = tmp_path / "small.png"
    iio.imwrite(image, np.zeros((20, 30, 3), np.uint8))
    monkeypatch.setenv(ENV_MAX_PIXELS, "500")
    code, _, err = cli("upscale", str(photo_model / "best.safetensors"), str(image), str(tmp_path / "out.png"))
    assert code == 2 and "claims 30×20 pixels (0.0 megapixels), more than the limit of 0.0005 megapixels" in flat(err), err
    monkeypatch.setenv(ENV_MAX_PIXELS, "600")
    code, _, err = cli("upscale", str(photo_model / "best.safetensors"), str(image), str(tmp_path / "out.png"))
    assert code == 0, err
    monkeypatch.setenv(ENV_MAX_PIXELS, "lots")
    code, _, err = cli("upscale", str(photo_model / "best.safetensors"), str(image), str(tmp_path / "out.png"))
    assert code == 2 and f"{ENV_MAX_PIXELS}='lots' is not a positive pixel count" in flat(err), err
    monkeypatch.delenv(ENV_MAX_PIXELS)
    code, _, err = cli("upscale", str(photo_model / "best.safetensors"), str(image), str(tmp_path / "out.png"), "--max-pixels", "500")
    assert code == 2 and "more than the limit of 0.0005 megapixels" in flat(err), err
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        iio.imwrite(folder / f"{i}.png", np.zeros((40, 40, 3), np.uint8))
    code, _, err = cli("train", TINY_SPEC, "--data", str(folder), *PHOTO_ARGS, "--out", str(tmp_path), "--name", "px",
                       "--max-pixels", "1000")
    assert code == 2 and "more than the limit of 0.001 megapixels" in flat(err) and not (tmp_path / "px").exists(), err


def test_an_empty_image_file_is_named_as_empty(cli, tmp_path):
    folder = photo_folder(tmp_path / "photos", 2)
    (folder / "broken.png").write_bytes(b"")
    code, _, err = cli("train", TINY_SPEC, "--data", str(folder), *PHOTO_ARGS, "--out", str(tmp_path), "--name", "x")
    err = flat(err)
    assert code == 2 and f"error: image {folder / 'broken.png'} is an empty file (0 bytes)" in err, err
    assert "pillow can not handle" not in err and error_count(err) == 1


def test_a_grey_folder_trains_and_is_scored_on_its_one_channel(cli, tmp_path):
    folder = photo_folder(tmp_path / "grey", 3, shape=(32, 32))
    code, _, err = cli("train", TINY_SPEC, "--data", str(folder), *PHOTO_ARGS, "--out", str(tmp_path), "--name", "run")
    assert code == 0, err
    status = json.loads((tmp_path / "run" / "run.json").read_text())
    assert status["status"] == "finished"
    assert "metric=psnr(crop=2)+ssim(crop=2)" in (tmp_path / "run" / "spec.txt").read_text()  # space=rgb: the default
    assert status["description"]["protocol"]["metrics"]["psnr"]["space"] == "rgb"
    assert set(status["final"]) == {"psnr", "ssim"} and np.isfinite(status["final"]["psnr"])
    assert status["description"]["channels"] == [{"name": "L", "unit": None}]


def test_an_npy_lr_beside_an_image_folder_says_what_does_not_match(cli, tmp_path):
    folder = photo_folder(tmp_path / "photos", 2)
    lr = tmp_path / "lr.npy"
    np.save(lr, np.zeros((2, 3, 16, 16), np.float32))
    code, _, err = cli("train", TINY_SPEC, "--data", str(folder), "--lr-data", str(lr), *PHOTO_ARGS, "--out", str(tmp_path))
    err = flat(err)
    assert code == 2 and f"the image folder {folder} holds images, but its LR {lr} is a file (.npy), not a folder of images" in err, err
    assert "LR folder not found" not in err and error_count(err) == 1


@pytest.mark.parametrize("command", ["eval", "upscale"])
def test_a_folder_given_as_a_checkpoint_is_named_as_a_folder(cli, tmp_path, photo_model, command):
    import imageio.v3 as iio

    image = tmp_path / "in.png"
    iio.imwrite(image, np.zeros((8, 8, 3), np.uint8))
    argv = [command, str(photo_model)] + ([str(image), str(tmp_path / "out.png")] if command == "upscale" else [])
    code, _, err = cli(*argv)
    err = flat(err)
    assert code == 2 and f"{photo_model} is a folder, not a checkpoint file" in err, err
    assert f"did you mean {photo_model / 'best.safetensors'}?" in err and "not found" not in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = cli(argv[0], str(empty), *argv[2:])
    assert code == 2 and f"{empty} is a folder, not a checkpoint file" in flat(err) and "did you mean" not in flat(err), err
