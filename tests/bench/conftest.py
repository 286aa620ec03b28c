"""Benchmark folders the tests make from scikit-image's photographs (fixed crops), and a tiny
checkpoint imported from a BasicSR-layout RRDBNet file."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
import skimage.data as skd


def make_folders(root):
    """set_a: a grey PNG and an RGB one; set_b: sizes not divisible by 4; odd: RGBA, 16-bit grey, grey stored as RGB."""
    a, b, c = root / "set_a", root / "set_b", root / "odd"
    for folder in (a, b, c):
        folder.mkdir(parents=True)
    iio.imwrite(a / "camera.png", skd.camera()[100:229, 50:203])
    iio.imwrite(a / "astronaut.png", skd.astronaut()[0:120, 100:220])
    iio.imwrite(b / "chelsea.png", skd.chelsea()[50:151, 100:223])
    iio.imwrite(b / "coffee.png", skd.coffee()[100:203, 200:318])
    rgb = skd.astronaut()[200:296, 180:300]
    alpha = np.tile(np.linspace(0, 255, rgb.shape[1]).astype(np.uint8), (rgb.shape[0], 1))[..., None]
    iio.imwrite(c / "rgba.png", np.concatenate([rgb, alpha], axis=2))
    cam = skd.camera()[300:401, 200:317].astype(np.uint16)
    iio.imwrite(c / "grey16.png", cam * 257 + (np.arange(cam.size).reshape(cam.shape) % 251).astype(np.uint16))
    iio.imwrite(c / "grey_rgb.png", np.repeat(skd.camera()[100:229, 50:203][..., None], 3, axis=2))
    return a, b, c


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return make_folders(tmp_path_factory.mktemp("bench"))


@pytest.fixture
def tiny_model(cli, tmp_path):
    from tests.weights_files import import_checkpoint

    return import_checkpoint(cli, tmp_path)
