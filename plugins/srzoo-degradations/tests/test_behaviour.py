"""What each degradation does to an image, measured."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from srzoo_degradations.blur import kernel_from_params

from srzoo_core.data import degrade


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _smooth_photo(seed=0, size=64):
    """Photo-like content without sharp edges of its own: bicubic-upsampled random colours."""
    coarse = torch.rand(1, 3, 11, 11, generator=_gen(seed), dtype=torch.float64)   # no period of 8
    return F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)[0]


def _blockiness(image):
    """Mean |difference| across 8-pixel block borders over the mean inside blocks (rows and columns)."""
    ratios = []
    for d in (image[..., :, 1:] - image[..., :, :-1], (image[..., 1:, :] - image[..., :-1, :]).transpose(-1, -2)):
        d = d.abs()
        border = torch.zeros(d.shape[-1], dtype=torch.bool)
        border[7::8] = True
        ratios.append(d[..., border].mean() / d[..., ~border].mean())
    return min(ratios)


def test_jpeg_q10_leaves_8x8_block_artefacts(build):
    image = _smooth_photo()
    out, params = build("jpeg", quality=10)(image, scale=4, generator=_gen(0))
    assert params == {"applied": True, "quality": 10}
    assert _blockiness(image) < 1.1 and _blockiness(out) > 1.5
    assert torch.allclose(out * 255, torch.round(out * 255), atol=1e-9)        # decoded 8-bit pixels
    err = {q: (build("jpeg", quality=q)(image, scale=4, generator=_gen(0))[0] - image).abs().mean() for q in (10, 50, 95)}
    assert err[10] > err[50] > err[95]


@pytest.mark.parametrize("kind,seed", [("iso", 0), ("aniso", 1), ("plateau_aniso", 2), ("generalized_iso", 3)])
def test_blur_scales_each_frequency_by_the_kernel_response(build, kind, seed):
    """A sinusoid comes out multiplied by the kernel's frequency response (away from the borders,
    which see the padding); energy at high frequency drops by |K(f)|², which the FFT gives."""
    blur = build("blur", kind=kind, size=(9, 15), sinc_prob=0)
    n, size, margin = 64, 96, 8
    i, j = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64), indexing="ij")
    responses = {}
    for u, v in ((2, 1), (9, 5), (16, 3), (24, 20)):
        wave = torch.cos(2 * math.pi * (u * i + v * j) / n).expand(2, size, size)
        out, params = blur(wave, scale=1, generator=_gen(seed))
        kernel = kernel_from_params(params)
        k = kernel.shape[0]
        centred = torch.roll(F.pad(kernel, (0, n - k, 0, n - k)), (-(k // 2), -(k // 2)), (0, 1))
        response = torch.fft.fft2(centred)[u, v].abs().item()
        inner = (slice(None), slice(margin, -margin), slice(margin, -margin))
        measured = (out[inner].square().sum() / wave[inner].square().sum()).item()
        assert measured == pytest.approx(response ** 2, rel=1e-9, abs=1e-12)
        responses[(u, v)] = measured
    assert responses[(24, 20)] < responses[(9, 5)] < responses[(2, 1)] <= 1.0


def test_sinc_rings_at_an_edge(build):
    step = torch.full((1, 48, 48), 0.2, dtype=torch.float64)
    step[..., 24:] = 0.8
    out, params = build("sinc", size=21, omega=math.pi / 4)(step, scale=1, generator=_gen(0))
    assert params["size"] == 21 and out.max() > 0.81 and out.min() < 0.19     # overshoot and undershoot


def test_gaussian_noise_has_the_drawn_sigma(build):
    image = torch.full((3, 128, 128), 0.5, dtype=torch.float64)
    noise = build("noise", sigma=(0.02, 0.2))
    sigmas = []
    for seed in range(3):
        out, params = noise(image, scale=4, generator=_gen(seed))
        assert params["type"] == "gaussian" and not params["gray"]
        assert (out - image).std().item() == pytest.approx(params["sigma"], rel=0.02)
        sigmas.append(params["sigma"])
    assert len(set(sigmas)) == 3 and all(0.02 <= s <= 0.2 for s in sigmas)
    field = torch.randn(2, 64, 64, generator=_gen(0), dtype=torch.float64) * 5 + 280     # kelvin
    noisy, params = build("noise", sigma=0.5)(field, scale=4, generator=_gen(1))
    assert params["sigma"] == 0.5 and (noisy - field).std().item() == pytest.approx(0.5, rel=0.03)
    grey, params = build("noise", sigma=0.1, gray_prob=1.0)(image, scale=4, generator=_gen(0))
    assert params["gray"] and torch.equal(grey[0], grey[1]) and torch.equal(grey[1], grey[2])


def test_poisson_noise_variance_grows_with_intensity(build):
    """Shot noise: variance ∝ intensity, (x / levels)·scale² with 256 levels for an 8-bit ramp."""
    ramp = (torch.arange(256, dtype=torch.float64) / 255).expand(3, 96, 256)
    out, params = build("noise", poisson_prob=1.0, poisson_scale=1.0)(ramp, scale=4, generator=_gen(0))
    assert params["type"] == "poisson" and params["levels"] == 256 and params["scale"] == 1.0
    noise = out - ramp
    means = ramp[0, 0].reshape(4, 64).mean(1)
    variances = noise.reshape(3, 96, 4, 64).permute(2, 0, 1, 3).reshape(4, -1).var(1)
    assert torch.all(variances[1:] > variances[:-1])
    assert torch.allclose(variances[1:] / (means[1:] / 256), torch.ones(3, dtype=torch.float64), rtol=0.06)


def test_noise_clip(build):
    image = torch.full((1, 32, 32), 0.99, dtype=torch.float64)
    clipped, _ = build("noise", sigma=0.1, clip=True)(image, scale=4, generator=_gen(0))
    free, _ = build("noise", sigma=0.1)(image, scale=4, generator=_gen(0))
    assert clipped.max() <= 1.0 < free.max() and torch.equal(clipped, free.clamp(0, 1))


@pytest.mark.parametrize("hr,scale", [((96, 96), 4), ((36, 28), 4), ((30, 42), 3)])
def test_resize_sizes(build, hr, scale):
    image = torch.rand(3, *hr, generator=_gen(0))
    target = (hr[0] // scale, hr[1] // scale)
    for seed in range(8):
        out, p = build("resize")(image, scale=scale, generator=_gen(seed))
        assert list(out.shape[-2:]) == p["size"] == [math.floor(n * p["factor"]) for n in hr]
        assert 0.15 <= p["factor"] <= 1.5 and p["mode"] in ("area", "bilinear", "bicubic")
        out, p = build("resize", factor=(0.3, 1.2), relative_to="target")(image, scale=scale, generator=_gen(seed))
        assert p["size"] == [int(n * p["factor"]) for n in target]
        out, p = build("resize", final=True)(out, scale=scale, generator=_gen(seed), target_size=target)
        assert tuple(out.shape) == (3, *target) and p["size"] == list(target)


def test_bicubic_is_the_cores_default(build):
    image = torch.rand(2, 48, 40, generator=_gen(0), dtype=torch.float64)
    out, params = build("bicubic")(image, scale=4, generator=_gen(0))
    assert params == {} and torch.equal(out, degrade(image, 4, "bicubic"))


def test_coarsen_and_smooth_keep_a_fields_mean(build):
    field = torch.randn(2, 64, 64, generator=_gen(0), dtype=torch.float64) * 5 + 280
    coarse, _ = build("coarsen")(field, scale=4, generator=_gen(0))
    assert coarse.shape == (2, 16, 16) and torch.allclose(coarse.mean((1, 2)), field.mean((1, 2)), rtol=1e-12)
    assert coarse[1, 2, 3].item() == pytest.approx(field[1, 8:12, 12:16].mean().item(), rel=1e-12)
    smooth, p = build("smooth", sigma=(1.0, 2.0), boundary="circular")(field, scale=4, generator=_gen(0))
    assert p["size"] == 2 * int(4 * p["sigma"] + 0.5) + 1
    assert torch.allclose(smooth.mean((1, 2)), field.mean((1, 2)), rtol=1e-12) and smooth.std() < 0.5 * field.std()


def test_realesrgan_preset(build, chain):
    deg = build("realesrgan")
    image = _smooth_photo(size=64).float()
    orders, blur2 = set(), set()
    for seed in range(24):
        out, params = deg(image, scale=4, generator=_gen(seed))
        assert out.shape == (3, 16, 16) and out.dtype == torch.float32
        assert torch.equal(out, torch.round(out * 255) / 255) and 0 <= out.min() and out.max() <= 1
        assert set(params) == {"blur", "resize", "noise", "jpeg", "blur2", "resize2", "noise2", "final_order",
                               "resize_final", "sinc", "jpeg2", "quantised"}
        assert params["resize2"]["size"] == [int(16 * params["resize2"]["factor"])] * 2
        orders.add(params["final_order"])
        blur2.add(params["blur2"]["applied"])
    assert orders == {"resize_sinc_jpeg", "jpeg_resize_sinc"} and blur2 == {True, False}
    assert deg(image, scale=2, generator=_gen(0))[0].shape == (3, 32, 32)
    out, _ = chain([build("realesrgan", quantise=False), build("noise", sigma=0.01)], image, 4, _gen(0))
    assert out.shape == (3, 16, 16)


def test_realesrgan_uses_the_published_parameters():
    """train_realesrgan_x4plus.yml; noise ranges converted from 8-bit levels to [0, 1]."""
    from srzoo_degradations.realesrgan import STAGES as S
    first, second = S["blur"], S["blur2"]
    assert first.kinds == ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
    assert first.weights == second.weights == (0.45, 0.25, 0.12, 0.03, 0.12, 0.03)
    assert first.size == second.size == (7, 21) and first.sinc_prob == second.sinc_prob == 0.1
    assert (first.sigma, second.sigma, first.sigma_y) == ((0.2, 3.0), (0.2, 1.5), (0.2, 3.0))
    assert first.betag == second.betag == (0.5, 4.0) and first.betap == second.betap == (1.0, 2.0)
    assert first.rotation == (-math.pi, math.pi) and (first.prob, second.prob) == (1.0, 0.8)
    assert (S["resize"].factor, S["resize"].weights) == ((0.15, 1.5), (0.2, 0.7, 0.1))
    assert (S["resize2"].factor, S["resize2"].weights, S["resize2"].relative_to) == ((0.3, 1.2), (0.3, 0.4, 0.3), "target")
    for stage, levels, shot in (("noise", 30, 3.0), ("noise2", 25, 2.5)):
        n = S[stage]
        assert n.sigma == (1 / 255, levels / 255) and n.poisson_scale == (0.05, shot)
        assert (n.poisson_prob, n.gray_prob, n.clip) == (0.5, 0.4, True)
    assert S["jpeg"].quality == S["jpeg2"].quality == (30, 95)
    assert (S["sinc"].omega, S["sinc"].size, S["sinc"].prob) == ((math.pi / 3, math.pi), (7, 21), 0.8)
    assert S["resize_final"].final and S["resize_final"].modes == ("area", "bilinear", "bicubic")
