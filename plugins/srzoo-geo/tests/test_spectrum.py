"""rapsd: the radially averaged power spectrum and the log-spectral distance over a band."""

from __future__ import annotations

import math

import pytest
import torch
from srzoo_geo.spectrum import radial_spectrum, rapsd


def grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    rows, cols = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64), indexing="ij")
    return rows, cols


@pytest.mark.parametrize(("ky", "kx", "ring"), [(0, 6, 6), (3, 0, 3), (5, 5, 7), (2, 13, 13)])
def test_a_sinusoid_peaks_at_its_wavenumber(ky, kx, ring):
    rows, cols = grid(64)
    field = 3 * torch.cos(2 * math.pi * (ky * rows + kx * cols) / 64)
    wavenumber, power = radial_spectrum(field)
    assert len(wavenumber) == 32 and int(power.argmax()) == ring
    assert wavenumber[ring].item() == pytest.approx(ring / 64)
    others = torch.cat([power[:ring], power[ring + 1:]])
    assert others.max() < 1e-20 * power.max()


def test_white_noise_is_flat_at_its_variance():
    g = torch.Generator().manual_seed(0)
    noise = 2 * torch.randn(32, 1, 64, 64, generator=g, dtype=torch.float64)
    _, power = radial_spectrum(noise)
    mean = power.mean(dim=(0, 1))
    assert mean[1:].mean().item() == pytest.approx(4.0, rel=0.02)
    assert ((mean[4:] - 4).abs() < 1.0).all()  # every ring, not only on average


def test_matches_pysteps_rapsd():
    """Figures from pysteps.utils.spectral.rapsd(field, fft_method=numpy.fft) on the same seeded fields."""
    g = torch.Generator().manual_seed(7)
    square = torch.randn(64, 64, generator=g, dtype=torch.float64)
    odd = torch.randn(65, 65, generator=g, dtype=torch.float64)
    _, p = radial_spectrum(square)
    assert [p[i].item() for i in (0, 1, 5, 31)] == pytest.approx(
        [0.7311060527308949, 0.7460965510339653, 1.18991015296838, 1.04507731473431], rel=1e-12)
    _, p = radial_spectrum(odd)
    assert len(p) == 33
    assert [p[i].item() for i in (0, 1, 32)] == pytest.approx([4.233742586143524, 0.764820240159851, 1.0909767704707947], rel=1e-12)


def test_non_square_fields_use_physical_frequency():
    rows = torch.arange(32.0).view(-1, 1).expand(32, 64)
    wavenumber, power = radial_spectrum(torch.sin(2 * math.pi * 4 * rows / 32))  # 4 cycles over 32 rows
    assert len(wavenumber) == 32 and wavenumber[int(power.argmax())].item() == pytest.approx(4 / 32)


def test_log_spectral_distance():
    g = torch.Generator().manual_seed(1)
    hr = 280 + torch.randn(2, 2, 32, 32, generator=g, dtype=torch.float64)
    metric = rapsd()
    assert torch.equal(metric(hr, hr), torch.zeros(2, 2, dtype=torch.float64))
    doubled = metric(2 * (hr - hr.mean()) + hr.mean(), hr)  # every non-zero ring's power x4: 6.02 dB
    assert torch.allclose(doubled, torch.full((2, 2), 10 * math.log10(4), dtype=torch.float64))
    flat = torch.full_like(hr, 3.0)
    assert torch.equal(metric(flat, flat), torch.zeros(2, 2, dtype=torch.float64))  # zero power is not NaN


def test_the_band_selects_wavenumbers():
    _, cols = grid(32)
    g = torch.Generator().manual_seed(2)
    hr = torch.randn(1, 1, 32, 32, generator=g, dtype=torch.float64)
    smooth_error = hr + 5 * torch.cos(2 * math.pi * 2 * cols / 32)  # ring 2 = 0.125 of Nyquist
    assert rapsd(kmin=0.5)(smooth_error, hr).item() < 1e-9
    assert rapsd(kmin=0.0)(smooth_error, hr).item() > 1
    assert rapsd(kmin=0.1, kmax=0.2)(smooth_error, hr).item() > 1
    assert rapsd().protocol()["kmin"] == 0.5 and rapsd().higher_is_better is False


def test_spectra_for_plotting_per_variable():
    g = torch.Generator().manual_seed(3)
    hr = torch.randn(4, 2, 16, 16, generator=g, dtype=torch.float64)
    metric = rapsd()
    metric.setup({"channel_names": ["t2m", "tp"]})
    spectra = metric.spectra(hr, hr, bicubic=0.5 * hr)
    assert set(spectra) == {"wavenumber", "t2m", "tp"} and len(spectra["wavenumber"]) == 8
    assert set(spectra["tp"]) == {"sr", "hr", "bicubic"}
    _, power = radial_spectrum(hr)
    assert spectra["tp"]["hr"] == pytest.approx(power[:, 1].mean(0).tolist())
    assert spectra["t2m"]["bicubic"] == pytest.approx((0.25 * power[:, 0].mean(0)).tolist())


def test_bad_options_and_inputs():
    with pytest.raises(ValueError, match="kmin"):
        rapsd(kmin=1.0)
    with pytest.raises(ValueError, match="kmin"):
        rapsd(kmin=0.6, kmax=0.5)
    with pytest.raises(ValueError, match="band"):
        rapsd(kmin=0.9)(torch.rand(1, 1, 4, 4), torch.rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match="never resized"):
        rapsd()(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 9))
