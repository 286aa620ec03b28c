"""Degradations and MATLAB-compatible resizing: known properties and published MATLAB outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from srzoo_core.data import DEGRADATIONS, DataError, degrade, imresize, upsample


def _row(values, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor([values], dtype=dtype)


# --- published MATLAB numbers ---------------------------------------------------------------

def test_matlab_bicubic_upscale_reference():
    # MATLAB: imresize([0 0 1 1 0], [1, 10]) (default bicubic), printed to 4 decimals in
    # https://stackoverflow.com/questions/17380407 (2013):
    #   0 -0.0234 -0.0703 0.2031 0.7969 1.0938 1.0938 0.7969 0.2031 -0.0703
    # The last entry reads taps two pixels beyond the right edge. That 2013 MATLAB clamped such
    # taps (-0.0703); current MATLAB's imresize.m mirrors them (aux = [1:n, n:-1:1]), as in the
    # faithful ports (fatheral/matlab_imresize, BasicSR) used to reproduce the NTIRE/DIV2K
    # bicubic LR. srzoo follows current MATLAB: -0.0703*1 + -0.0234*1 = -0.09375.
    out = imresize(_row([0, 0, 1, 1, 0]), 2.0)
    assert out.shape == (2, 10)
    matlab_2013 = [0, -0.0234, -0.0703, 0.2031, 0.7969, 1.0938, 1.0938, 0.7969, 0.2031]
    np.testing.assert_allclose(out[0, :9].numpy(), matlab_2013, atol=5e-5)
    assert out[0, 9].item() == pytest.approx(-0.09375, abs=1e-12)
    assert torch.equal(out[0], out[1])


def test_matlab_bilinear_references():
    # Same Stack Overflow page: imresize(M, [1, 10], 'bilinear')
    out = imresize(_row([0, 0, 1, 1, 0]), 2.0, kernel="triangle")
    np.testing.assert_allclose(out[0].numpy(), [0, 0, 0, 0.25, 0.75, 1, 1, 0.75, 0.25, 0], atol=1e-12)
    # https://stackoverflow.com/questions/42020435: imresize([0 1 2], [1, 5], 'bilinear') = 0 0.4 1 1.6 2
    out = imresize(_row([0, 1, 2]), 5 / 3, kernel="triangle")
    np.testing.assert_allclose(out[0].numpy(), [0, 0.4, 1, 1.6, 2], atol=1e-12)


# --- a x4 reference derived by hand -----------------------------------------------------------

def _keys(t: float) -> float:
    t = abs(t)
    if t <= 1:
        return 1.5 * t**3 - 2.5 * t**2 + 1
    if t <= 2:
        return -0.5 * t**3 + 2.5 * t**2 - 4 * t + 2
    return 0.0


def test_bicubic_x4_matches_hand_derived_weights():
    # Downscaling by 4 with antialiasing, output pixel x (1-based) sits at input position
    # u = 4x - 1.5, halfway between pixels 4x-2 and 4x-1; the 16 taps at distances +-0.5 ... +-7.5
    # get weight keys(d / 4) / 4, normalised. Away from the borders that is the whole story.
    d = np.arange(-7.5, 8.0, 1.0)
    w = np.array([_keys(v / 4) / 4 for v in d])
    w /= w.sum()
    # the two innermost taps: keys(0.125) = 1 - 2.5/64 + 1.5/512
    assert _keys(0.125) == pytest.approx(1 - 2.5 / 64 + 1.5 / 512)
    rng = np.random.default_rng(0)
    signal = rng.random(64)
    img = torch.tensor(np.tile(signal, (8, 1)))[None]            # (1, 8, 64), rows identical
    out = degrade(img, 4, "bicubic")[0, 0].numpy()              # (16,)
    for j in range(2, 14):                                      # 0-based LR index, interior
        start = 4 * j + 2 - 8                                   # first tap, 0-based
        assert out[j] == pytest.approx(float(w @ signal[start:start + 16]), abs=1e-12)


def test_antialiased_kernels_match_torch_in_the_interior():
    # torch's antialias=True kernels (PIL-style) are the same a=-0.5 cubic / triangle; they differ
    # from MATLAB only at the borders (truncate + renormalise instead of mirror).
    x = torch.rand(2, 3, 64, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for ours, mode in (("bicubic", "bicubic"), ("bilinear", "bilinear")):
        a = degrade(x, 4, ours)
        b = F.interpolate(x, size=(16, 16), mode=mode, antialias=True, align_corners=False)
        torch.testing.assert_close(a[..., 2:-2, 2:-2], b[..., 2:-2, 2:-2], rtol=0, atol=1e-12)


# --- properties ------------------------------------------------------------------------------

@pytest.mark.parametrize("method", DEGRADATIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_constant_stays_constant(method, dtype):
    x = torch.full((2, 3, 24, 36), 0.7, dtype=dtype)
    y = degrade(x, 4, method)
    assert y.shape == (2, 3, 6, 9) and y.dtype == dtype
    torch.testing.assert_close(y, torch.full_like(y, 0.7))
    z = upsample(y, 4, method)
    assert z.shape == x.shape and z.dtype == dtype
    torch.testing.assert_close(z, torch.full_like(z, 0.7))


@pytest.mark.parametrize("method", ["bicubic", "bilinear", "area"])
def test_linear_ramp_downscales_to_block_means(method):
    # Symmetric, normalised kernels reproduce a linear function away from the borders: each LR
    # pixel of a ramp is the mean of its 4x4 HR block.
    ramp = torch.arange(64, dtype=torch.float64).expand(1, 64, 64)
    lr = degrade(ramp, 4, method)
    block_means = ramp.reshape(1, 16, 4, 16, 4).mean(dim=(2, 4))
    torch.testing.assert_close(lr[..., 2:-2], block_means[..., 2:-2], rtol=0, atol=1e-10)


def test_area_is_block_mean_and_noaa_is_centre_average():
    x = torch.rand(3, 32, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(degrade(x, 4, "area"), x.reshape(3, 8, 4, 8, 4).mean(dim=(2, 4)))
    # without antialiasing, bilinear x4 averages the two centre pixels of each block per axis
    centre = x.reshape(3, 8, 4, 8, 4)[:, :, 1:3, :, 1:3].mean(dim=(2, 4))
    torch.testing.assert_close(degrade(x, 4, "bilinear-noaa"), centre)
    # ... which is exactly what seed 004 ran
    ref = F.interpolate(x[None], scale_factor=0.25, mode="bilinear", align_corners=False)[0]
    torch.testing.assert_close(degrade(x, 4, "bilinear-noaa"), ref)


def test_antialiasing_suppresses_aliasing():
    # A cosine at 0.3 cycles/pixel is far above the x4 LR Nyquist limit (0.125): a proper
    # downscale removes it, the non-antialiased bilinear of seed 004 folds it into a strong alias.
    x = torch.arange(64, dtype=torch.float64)
    wave = torch.cos(2 * torch.pi * 0.3 * x).expand(1, 64, 64)
    spread = {m: degrade(wave, 4, m)[..., 2:-2].std().item() for m in DEGRADATIONS}
    assert spread["bicubic"] < 0.01 and spread["bilinear"] < 0.02
    assert spread["bilinear-noaa"] > 0.3


def test_upsample_methods():
    lr = torch.rand(2, 1, 5, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    up = upsample(lr, 3, "bicubic")
    assert up.shape == (2, 1, 15, 21)
    torch.testing.assert_close(up, imresize(lr, 3))
    torch.testing.assert_close(upsample(lr, 3, "bilinear"), upsample(lr, 3, "bilinear-noaa"))
    torch.testing.assert_close(upsample(lr, 3, "area"), lr.repeat_interleave(3, -2).repeat_interleave(3, -1))
    assert upsample(lr[0], 2).shape == (1, 10, 14)


def test_imresize_sizes_and_identity():
    x = torch.rand(3, 10, 15)
    assert imresize(x, 0.5).shape == (3, 5, 8)          # MATLAB: ceil(scale * size)
    assert imresize(x, 1 / 3).shape == (3, 4, 5)
    torch.testing.assert_close(imresize(x, 1.0), x)
    assert imresize(x.double(), 2).dtype == torch.float64


def test_errors():
    with pytest.raises(DataError, match=r"unknown degradation 'nearest'; valid degradations: bicubic, bilinear, bilinear-noaa, area"):
        degrade(torch.rand(1, 8, 8), 2, "nearest")
    with pytest.raises(DataError, match=r"cannot degrade a 10x12 field by scale 4"):
        degrade(torch.rand(1, 10, 12), 4)
    with pytest.raises(DataError, match=r"floating-point"):
        degrade(torch.ones(1, 8, 8, dtype=torch.uint8), 2)
    with pytest.raises(DataError, match=r"scale must be a positive integer"):
        upsample(torch.rand(1, 8, 8), 0)
