"""wrmse: cos(latitude)-weighted RMSE (WeatherBench)."""

from __future__ import annotations

import math

import pytest
import torch
from srzoo_geo.weighted import latitude_weights, wrmse


@pytest.fixture
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    hr = 280 + 5 * torch.randn(3, 2, 16, 32, generator=g, dtype=torch.float64)
    return hr + torch.randn(hr.shape, generator=g, dtype=torch.float64), hr


def test_uniform_latitudes_reduce_to_rmse(pair):
    sr, hr = pair
    rmse = (sr - hr).pow(2).mean(dim=(2, 3)).sqrt()
    metric = wrmse()
    metric.setup({"latitude": [52.5] * 16})
    assert torch.allclose(metric(sr, hr), rmse, rtol=1e-12)
    assert torch.allclose(wrmse(lat_first=0, lat_last=0)(sr, hr), rmse, rtol=1e-12)


def test_weights_have_mean_one_and_follow_cos_latitude():
    weights = latitude_weights(torch.tensor([0.0, 60.0]))
    assert weights.tolist() == pytest.approx([4 / 3, 2 / 3])
    assert latitude_weights(torch.linspace(-89, 89, 90)).mean().item() == pytest.approx(1.0)


def test_errors_near_the_pole_count_less():
    hr = torch.zeros(1, 1, 2, 4, dtype=torch.float64)
    sr = hr.clone()
    sr[..., 1, :] = 1.0  # error only on the 60-degree row, whose weight is 2/3
    metric = wrmse(lat_first=0, lat_last=60)
    assert metric(sr, hr).item() == pytest.approx(math.sqrt(1 / 3))


def test_matches_weatherbench():
    """Figures from WeatherBench's score.compute_weighted_rmse(mean_dims=(lat, lon)), per time step,
    on the same seeded fields (5.625-degree grid, 32 x 64)."""
    g = torch.Generator().manual_seed(7)
    for size in (64, 65):  # the spectra's fields (test_spectrum) came first from this generator
        torch.randn(size, size, generator=g, dtype=torch.float64)
    fc = 280 + 5 * torch.randn(3, 1, 32, 64, generator=g, dtype=torch.float64)
    tr = 280 + 5 * torch.randn(3, 1, 32, 64, generator=g, dtype=torch.float64)
    metric = wrmse(lat_first=87.1875, lat_last=-87.1875)
    assert metric(fc, tr).flatten().tolist() == pytest.approx([7.357015045305695, 7.0532937356091345, 7.07709597205315], rel=1e-12)


def test_latitudes_are_required_and_checked(pair):
    sr, hr = pair
    with pytest.raises(ValueError, match="needs the HR grid's latitudes"):
        wrmse()(sr, hr)
    with pytest.raises(ValueError, match="needs the HR grid's latitudes"):
        wrmse().setup({"channel_names": ["t", "q"]})
    metric = wrmse()
    metric.setup({"latitude": torch.linspace(-60, 60, 8)})
    with pytest.raises(ValueError, match="8 latitudes for a field of 16 rows"):
        metric(sr, hr)
    with pytest.raises(ValueError, match="differ"):
        wrmse(lat_first=90, lat_last=-90).setup({"latitude": torch.linspace(-60, 60, 16)})
    with pytest.raises(ValueError, match="both"):
        wrmse(lat_first=10)
    with pytest.raises(ValueError, match=r"\[-90, 90\]"):
        wrmse(lat_first=100, lat_last=0)
    assert "run's" in metric.protocol()["latitudes"]
