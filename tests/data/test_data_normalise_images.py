"""Normaliser (fit, round trip, state) and image reading/writing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from srzoo_core.data import DataError, Normaliser, read_image, write_image


def test_fit_is_per_channel_population_statistics():
    rng = np.random.default_rng(0)
    a = np.stack([rng.normal(280, 3, (10, 8, 8)), rng.normal(0, 10, (10, 8, 8))], axis=1)
    n = Normaliser.fit(a)
    assert n.kind == "zscore"
    np.testing.assert_allclose(n.mean, a.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(n.std, a.std(axis=(0, 2, 3)))      # ddof = 0, as seed 004
    z = n.normalise(torch.from_numpy(a))
    torch.testing.assert_close(z.mean(dim=(0, 2, 3)), torch.zeros(2, dtype=torch.float64), atol=1e-12, rtol=0)
    torch.testing.assert_close(z.std(dim=(0, 2, 3), unbiased=False), torch.ones(2, dtype=torch.float64))


def test_round_trip_and_state():
    n = Normaliser("zscore", [280.0, 1.5], [4.0, 8.0])
    x = torch.randn(3, 2, 5, 5) * 10 + 280
    torch.testing.assert_close(n.denormalise(n.normalise(x)), x)
    torch.testing.assert_close(n.denormalise(n.normalise(x[0])), x[0])   # (C, H, W) too
    state = json.loads(json.dumps(n.state_dict()))
    assert Normaliser.from_state(state) == n
    assert n.normalise(x).dtype == torch.float32


def test_unit_is_identity():
    n = Normaliser.unit(3)
    x = torch.rand(2, 3, 4, 4)
    assert n.normalise(x) is x and n.denormalise(x) is x
    assert n.state_dict() == {"kind": "unit", "mean": [0.0] * 3, "std": [1.0] * 3}


def test_normaliser_errors():
    with pytest.raises(DataError, match=r"channel 1 of the training data is constant \(5\)"):
        Normaliser.fit(np.concatenate([np.random.rand(2, 1, 4, 4), np.full((2, 1, 4, 4), 5.0)], axis=1))
    with pytest.raises(DataError, match=r"expects the training HR array shaped \(N, C, H, W\), found shape \(4, 4\)"):
        Normaliser.fit(np.zeros((4, 4)))
    with pytest.raises(DataError, match=r"normaliser for 2 channel\(s\) got a tensor shaped \(1, 3, 4, 4\)"):
        Normaliser("zscore", [0, 0], [1, 1]).normalise(torch.zeros(1, 3, 4, 4))
    with pytest.raises(DataError, match=r"unknown normaliser kind 'minmax'"):
        Normaliser.from_state({"kind": "minmax", "mean": [0], "std": [1]})
    with pytest.raises(DataError, match=r"needs kind, mean and std"):
        Normaliser.from_state({"kind": "zscore"})


def test_png_round_trip_rgb_and_grey(tmp_path):
    rgb = np.random.default_rng(0).random((9, 11, 3)).astype(np.float32)
    write_image(tmp_path / "a.png", rgb)
    back = read_image(tmp_path / "a.png")
    assert back.shape == (9, 11, 3) and back.dtype == np.float32
    np.testing.assert_array_equal(back, np.round(rgb * 255) / np.float32(255))
    write_image(tmp_path / "g.png", rgb[:, :, :1])
    assert read_image(tmp_path / "g.png").shape == (9, 11, 1)


def test_write_clips_and_accepts_tensors(tmp_path):
    a = np.array([[[-0.5], [0.5], [2.0]]])                      # (1, 3, 1)
    write_image(tmp_path / "c.png", torch.from_numpy(a))
    np.testing.assert_array_equal(read_image(tmp_path / "c.png")[0, :, 0], np.array([0, 128, 255], np.float32) / np.float32(255))
    write_image(tmp_path / "j.jpg", np.full((8, 8, 3), 0.5))
    assert abs(read_image(tmp_path / "j.jpg").mean() - 0.5) < 0.01


def test_sixteen_bit_and_alpha(tmp_path):
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "d.png", np.full((4, 4), 65535, dtype=np.uint16))
    assert read_image(tmp_path / "d.png").max() == pytest.approx(1.0)
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 255
    iio.imwrite(tmp_path / "e.png", rgba)
    assert read_image(tmp_path / "e.png").shape == (4, 4, 3)


def test_image_errors(tmp_path):
    with pytest.raises(DataError, match=r"image not found: .*nope\.png"):
        read_image(tmp_path / "nope.png")
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot read image .*bad\.png"):
        read_image(tmp_path / "bad.png")
    with pytest.raises(DataError, match=r"cannot tell the image format"):
        write_image(tmp_path / "x.xyz", np.zeros((2, 2, 3)))
