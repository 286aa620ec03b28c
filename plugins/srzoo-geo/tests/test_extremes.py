"""quantile and maxerr: errors of extremes per sample and channel, in physical units."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from srzoo_geo.extremes import maxerr, quantile


def uniform_grid_values() -> torch.Tensor:
    """A 64x64 field holding 0, 1, ..., 4095 in a shuffled order: its q-quantile is q * 4095."""
    g = torch.Generator().manual_seed(0)
    return torch.randperm(4096, generator=g).double().view(1, 1, 64, 64)


@pytest.mark.parametrize("q", [0.99, 0.999])
def test_quantile_of_a_known_distribution(q):
    hr = uniform_grid_values()
    assert quantile(q=q)(2 * hr, hr).item() == pytest.approx(q * 4095, rel=1e-12)
    assert quantile(q=q, signed=True)(hr / 2, hr).item() == pytest.approx(-q * 4095 / 2, rel=1e-12)


def test_quantile_of_a_normal_sample():
    g = torch.Generator().manual_seed(1)
    hr = torch.randn(1, 1, 512, 512, generator=g, dtype=torch.float64)
    z99 = math.sqrt(2) * torch.erfinv(torch.tensor(2 * 0.99 - 1, dtype=torch.float64)).item()  # 2.3263
    assert quantile()(3 * hr, hr).item() == pytest.approx(2 * z99, abs=0.05)


def test_quantile_matches_numpy_per_sample_and_channel():
    g = torch.Generator().manual_seed(2)
    hr = torch.randn(3, 2, 20, 24, generator=g, dtype=torch.float64)
    sr = hr + 0.3 * torch.randn(hr.shape, generator=g, dtype=torch.float64)
    got = quantile(q=0.999, signed=True)(sr, hr)
    assert got.shape == (3, 2)
    want = np.quantile(sr.flatten(2).numpy(), 0.999, axis=-1) - np.quantile(hr.flatten(2).numpy(), 0.999, axis=-1)
    assert np.allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_maximum_error_with_and_without_pooling():
    hr = torch.zeros(2, 1, 8, 8, dtype=torch.float64)
    sr = hr.clone()
    sr[0, 0, 3, 5] = 8.0
    assert maxerr()(sr, hr).flatten().tolist() == [8.0, 0.0]
    assert maxerr(pool=2)(sr, hr)[0, 0].item() == 2.0
    assert maxerr(pool=4, signed=True)(hr, sr)[0, 0].item() == -0.5


def test_signed_errors_are_best_at_zero():
    assert quantile(signed=True).best_at_zero and not quantile().best_at_zero
    assert maxerr(signed=True).best_at_zero and maxerr().higher_is_better is False
    assert quantile(q=0.999).protocol()["q"] == 0.999


def test_bad_options():
    for q in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="q must"):
            quantile(q=q)
    with pytest.raises(ValueError, match="pool"):
        maxerr(pool=0)
    with pytest.raises(ValueError, match="blocks"):
        maxerr(pool=3)(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8))
