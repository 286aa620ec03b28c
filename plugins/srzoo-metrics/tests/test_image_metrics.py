"""psnr and ssim agree with scikit-image to 1e-4 (in practice to rounding) under every protocol."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from skimage import data
from skimage.color import rgb2gray, rgb2ycbcr
from skimage.filters import gaussian
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from srzoo_metrics.image import psnr, rgb_to_y, ssim

TOL = 1e-4
SIZE = (48, 56)  # H, W: not square


def sk_ssim(a: np.ndarray, b: np.ndarray, data_range: float, channel_axis: int | None = None) -> float:
    return structural_similarity(a, b, data_range=data_range, channel_axis=channel_axis, gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False)


def crops() -> list[np.ndarray]:
    """Three RGB photographs from skimage, cut to one size, float64 in [0, 1]."""
    h, w = SIZE
    images = [data.astronaut()[60:60 + h, 180:180 + w], data.chelsea()[100:100 + h, 150:150 + w], data.coffee()[200:200 + h, 250:250 + w]]
    return [im.astype(np.float64) / 255.0 for im in images]


def degrade(im: np.ndarray, seed: int) -> np.ndarray:
    """Blur plus noise, clipped to the valid range, different per image."""
    rng = np.random.default_rng(seed)
    blurred = gaussian(im, sigma=0.6 + 0.4 * seed, channel_axis=-1 if im.ndim == 3 else None, preserve_range=True)
    return np.clip(blurred + rng.normal(0.0, 0.02 + 0.01 * seed, im.shape), 0.0, 1.0)


def batch(images: list[np.ndarray]) -> torch.Tensor:
    """(H, W, C) or (H, W) arrays → (N, C, H, W)."""
    return torch.stack([torch.from_numpy(im if im.ndim == 3 else im[..., None]).permute(2, 0, 1) for im in images])


@pytest.fixture(scope="module")
def rgb_pair() -> tuple[list[np.ndarray], list[np.ndarray]]:
    hr = crops()
    return hr, [degrade(im, i) for i, im in enumerate(hr)]


def _cut(im: np.ndarray, crop: int) -> np.ndarray:
    return im[crop:im.shape[0] - crop, crop:im.shape[1] - crop] if crop else im


@pytest.mark.parametrize("crop", [0, 4])
@pytest.mark.parametrize("data_range", [1.0, 255.0])
def test_rgb_agrees_with_skimage(rgb_pair, crop, data_range):
    hr, sr = ([im * data_range for im in group] for group in rgb_pair)
    got_psnr = psnr(space="rgb", crop=crop, data_range=data_range)(batch(sr), batch(hr))
    got_ssim = ssim(space="rgb", crop=crop, data_range=data_range)(batch(sr), batch(hr))
    assert got_psnr.shape == got_ssim.shape == (3,)
    for i, (h, s) in enumerate(zip(hr, sr)):
        h, s = _cut(h, crop), _cut(s, crop)
        assert got_psnr[i].item() == pytest.approx(peak_signal_noise_ratio(h, s, data_range=data_range), abs=TOL)
        assert got_ssim[i].item() == pytest.approx(sk_ssim(h, s, data_range, channel_axis=-1), abs=TOL)


@pytest.mark.parametrize("crop", [0, 3])
@pytest.mark.parametrize("data_range", [1.0, 255.0])
def test_y_agrees_with_skimage_rgb2ycbcr(rgb_pair, crop, data_range):
    """space='y' = MATLAB rgb2ycbcr luma (skimage's rgb2ycbcr gives the same Y in [16, 235]),
    scored with data range 255: the SR literature's protocol."""
    hr, sr = ([im * data_range for im in group] for group in rgb_pair)
    got_psnr = psnr(space="y", crop=crop, data_range=data_range)(batch(sr), batch(hr))
    got_ssim = ssim(space="y", crop=crop, data_range=data_range)(batch(sr), batch(hr))
    for i, (h, s) in enumerate(zip(rgb_pair[0], rgb_pair[1])):
        yh, ys = _cut(rgb2ycbcr(h)[..., 0], crop), _cut(rgb2ycbcr(s)[..., 0], crop)
        assert got_psnr[i].item() == pytest.approx(peak_signal_noise_ratio(yh, ys, data_range=255), abs=TOL)
        assert got_ssim[i].item() == pytest.approx(sk_ssim(yh, ys, 255.0), abs=TOL)


def test_y_formula_endpoints():
    x = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 0.0, 0.0]], dtype=torch.float64).T.reshape(1, 3, 1, 3)
    y = rgb_to_y(x, data_range=1.0).flatten().tolist()
    assert y == pytest.approx([16.0, 235.0, 16.0 + 65.481])
    assert rgb_to_y(x * 255, data_range=255.0).flatten().tolist() == pytest.approx(y)


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_y_needs_three_channels(metric):
    x = torch.rand(2, 2, 16, 16)
    with pytest.raises(ValueError, match="3 channels"):
        metric(space="y")(x, x)


@pytest.mark.parametrize("crop", [0, 2])
def test_channel_agrees_with_skimage_per_channel(rgb_pair, crop):
    hr, sr = rgb_pair
    got_psnr = psnr(space="channel", crop=crop)(batch(sr), batch(hr))
    got_ssim = ssim(space="channel", crop=crop)(batch(sr), batch(hr))
    assert got_psnr.shape == got_ssim.shape == (3, 3)
    for i, (h, s) in enumerate(zip(hr, sr)):
        for c in range(3):
            hc, sc = _cut(h[..., c], crop), _cut(s[..., c], crop)
            assert got_psnr[i, c].item() == pytest.approx(peak_signal_noise_ratio(hc, sc, data_range=1.0), abs=TOL)
            assert got_ssim[i, c].item() == pytest.approx(sk_ssim(hc, sc, 1.0), abs=TOL)


def test_grey_images_agree():
    hr = [rgb2gray(im) for im in crops()]
    sr = [degrade(im, i) for i, im in enumerate(hr)]
    for space in ("rgb", "channel"):
        got_psnr = psnr(space=space)(batch(sr), batch(hr))
        got_ssim = ssim(space=space)(batch(sr), batch(hr))
        for i, (h, s) in enumerate(zip(hr, sr)):
            assert got_psnr[i].flatten()[0].item() == pytest.approx(peak_signal_noise_ratio(h, s, data_range=1.0), abs=TOL)
            assert got_ssim[i].flatten()[0].item() == pytest.approx(sk_ssim(h, s, 1.0), abs=TOL)


def test_two_channel_fields_agree():
    """Scientific grids: 2 channels, a stated data range that is not 1."""
    rng = np.random.default_rng(3)
    hr = [gaussian(rng.normal(size=(40, 36, 2)), sigma=2, channel_axis=-1) * 30 + 15 for _ in range(2)]
    sr = [h + rng.normal(0, 0.5, h.shape) for h in hr]
    data_range = 60.0
    per_channel_psnr = psnr(space="channel", data_range=data_range)(batch(sr), batch(hr))
    per_channel_ssim = ssim(space="channel", data_range=data_range)(batch(sr), batch(hr))
    all_psnr = psnr(space="rgb", data_range=data_range)(batch(sr), batch(hr))
    all_ssim = ssim(space="rgb", data_range=data_range)(batch(sr), batch(hr))
    assert per_channel_psnr.shape == (2, 2) and all_psnr.shape == (2,)
    for i, (h, s) in enumerate(zip(hr, sr)):
        assert all_psnr[i].item() == pytest.approx(peak_signal_noise_ratio(h, s, data_range=data_range), abs=TOL)
        assert all_ssim[i].item() == pytest.approx(sk_ssim(h, s, data_range, channel_axis=-1), abs=TOL)
        for c in range(2):
            assert per_channel_psnr[i, c].item() == pytest.approx(peak_signal_noise_ratio(h[..., c], s[..., c], data_range=data_range), abs=TOL)
            assert per_channel_ssim[i, c].item() == pytest.approx(sk_ssim(h[..., c], s[..., c], data_range), abs=TOL)


def test_identical_images_give_the_best_values():
    x = batch(crops())
    assert torch.isinf(psnr()(x, x)).all() and (psnr()(x, x) > 0).all()
    assert torch.isinf(psnr(space="channel")(x, x)).all()
    assert torch.allclose(ssim()(x, x), torch.ones(3, dtype=torch.float64))
    assert torch.allclose(ssim(space="y")(x, x), torch.ones(3, dtype=torch.float64))


def test_data_range_is_never_taken_from_the_data(rgb_pair):
    hr, sr = batch(rgb_pair[0]), batch(rgb_pair[1])
    metric = psnr(data_range=1.0)
    base = metric(sr, hr)
    # Scaling both images changes the error, and with a fixed range the PSNR moves by -20·log10(k).
    assert torch.allclose(metric(sr * 2, hr * 2), base - 20 * math.log10(2))
    # A shift of both leaves the error, hence the PSNR, unchanged (no min/max estimated from the batch).
    assert torch.allclose(metric(sr + 5, hr + 5), base)
    # Stating the matching range gives the same value back.
    assert torch.allclose(psnr(data_range=2.0)(sr * 2, hr * 2), base)
    # SSIM with a fixed range also notices the scaling (its constants C1, C2 stay fixed).
    assert not torch.allclose(ssim()(sr * 2, hr * 2), ssim()(sr, hr))
    assert torch.allclose(ssim(data_range=2.0)(sr * 2, hr * 2), ssim()(sr, hr))


def test_values_are_per_sample_independent_of_the_batch(rgb_pair):
    hr, sr = batch(rgb_pair[0]), batch(rgb_pair[1])
    for metric in (psnr(), ssim(), psnr(space="y"), ssim(space="channel")):
        whole = metric(sr, hr)
        for i in range(3):
            assert torch.allclose(metric(sr[i:i + 1], hr[i:i + 1])[0], whole[i], rtol=1e-12, atol=0)


def test_crop_ignores_the_border():
    hr = torch.rand(2, 3, 32, 32)
    sr = hr.clone()
    sr[..., :3, :] += 0.5
    sr[..., :, -2:] -= 0.5
    assert torch.isfinite(psnr(crop=2)(sr, hr)).all()
    assert torch.isinf(psnr(crop=3)(sr, hr)).all()
    assert torch.allclose(ssim(crop=3)(sr, hr), torch.ones(2, dtype=torch.float64))
    assert torch.equal(psnr(crop=3)(sr, hr + 0.1), psnr()(sr[..., 3:-3, 3:-3], hr[..., 3:-3, 3:-3] + 0.1))


def test_float32_inputs_are_scored_in_float64():
    hr = torch.rand(2, 3, 24, 24)
    sr = (hr + 0.01 * torch.randn_like(hr)).float()
    got = psnr()(sr, hr)
    assert got.dtype == torch.float64
    assert torch.equal(got, psnr()(sr.double(), hr.double()))
    a, b = sr[0].double().permute(1, 2, 0).numpy(), hr[0].double().permute(1, 2, 0).numpy()
    assert ssim()(sr, hr)[0].item() == pytest.approx(sk_ssim(b, a, 1.0, channel_axis=-1), abs=1e-10)


def test_inputs_are_checked():
    x = torch.rand(1, 3, 16, 16)
    with pytest.raises(ValueError, match="shape"):
        psnr()(x, torch.rand(1, 3, 16, 17))
    with pytest.raises(ValueError, match="N, C, H, W"):
        psnr()(x[0], x[0])
    with pytest.raises(ValueError, match="crop"):
        psnr(crop=8)(x, x)
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(crop=3)(x, x)
    with pytest.raises(ValueError, match="space"):
        psnr(space="lab")
    with pytest.raises(ValueError, match="data_range"):
        ssim(data_range=0)
    with pytest.raises(ValueError, match="crop"):
        psnr(crop=-1)


def test_protocols_state_every_option():
    p = psnr(space="y", crop=4, data_range=255.0)
    assert p.higher_is_better is True and p.per_channel is False
    proto = p.protocol()
    assert {"space": "y", "crop": 4, "data_range": 255.0, "scored_data_range": 255.0}.items() <= proto.items()
    assert "65.481" in proto["y_conversion"] and proto["implementation"].startswith("srzoo-metrics")
    s = ssim(space="channel", crop=2)
    assert s.per_channel is True and s.higher_is_better is True
    sp = s.protocol()
    assert {"metric": "ssim", "space": "channel", "crop": 2, "data_range": 1.0, "window": "gaussian", "sigma": 1.5,
            "win_size": 11, "K1": 0.01, "K2": 0.03, "covariance": "population"}.items() <= sp.items()
    assert "y_conversion" not in sp
    for proto in (proto, sp):
        assert json.loads(json.dumps(proto)) == proto
    assert psnr().protocol() != psnr(crop=1).protocol() != psnr(data_range=255).protocol()
