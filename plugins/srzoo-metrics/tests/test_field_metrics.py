"""rmse, mae, bias, corr: per sample and channel, in physical units."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from srzoo_metrics.fields import bias, corr, mae, rmse


@pytest.fixture
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    hr = 280 + 10 * torch.randn(3, 2, 20, 24, generator=g, dtype=torch.float64)   # kelvin-like fields
    sr = hr + 0.7 + 1.5 * torch.randn(hr.shape, generator=g, dtype=torch.float64)
    return sr, hr


def test_against_numpy(pair):
    sr, hr = pair
    got = {name: f()(sr, hr) for name, f in (("rmse", rmse), ("mae", mae), ("bias", bias), ("corr", corr))}
    for value in got.values():
        assert value.shape == (3, 2) and value.dtype == torch.float64
    for n in range(3):
        for c in range(2):
            s, h = sr[n, c].numpy(), hr[n, c].numpy()
            assert got["rmse"][n, c].item() == pytest.approx(np.sqrt(np.mean((s - h) ** 2)), rel=1e-12)
            assert got["mae"][n, c].item() == pytest.approx(np.mean(np.abs(s - h)), rel=1e-12)
            assert got["bias"][n, c].item() == pytest.approx(np.mean(s - h), rel=1e-12)
            assert got["corr"][n, c].item() == pytest.approx(np.corrcoef(s.ravel(), h.ravel())[0, 1], rel=1e-12)
    assert (got["bias"] > 0).all()  # sr was built with a warm offset: the sign is kept


def test_directions_and_best_values(pair):
    _, hr = pair
    assert rmse().higher_is_better is False and mae().higher_is_better is False
    assert corr().higher_is_better is True
    b = bias()
    assert b.higher_is_better is False and b.best_at_zero is True
    assert not rmse().best_at_zero and not corr().best_at_zero
    for metric in (rmse(), mae(), bias(), corr()):
        assert metric.per_channel is True
    assert torch.equal(rmse()(hr, hr), torch.zeros(3, 2, dtype=torch.float64))
    assert torch.equal(mae()(hr, hr), torch.zeros(3, 2, dtype=torch.float64))
    assert torch.equal(bias()(hr, hr), torch.zeros(3, 2, dtype=torch.float64))
    assert torch.allclose(corr()(hr, hr), torch.ones(3, 2, dtype=torch.float64))


def test_units_follow_the_inputs(pair):
    """No normalisation inside: errors scale with the data (physical units in, physical units out)."""
    sr, hr = pair
    assert torch.allclose(rmse()(sr * 3, hr * 3), 3 * rmse()(sr, hr))
    assert torch.allclose(bias()(sr + 100, hr + 100), bias()(sr, hr))
    assert torch.allclose(corr()(sr * 3 + 1, hr), corr()(sr, hr))


def test_constant_field_has_no_correlation():
    hr = torch.ones(1, 1, 8, 8)
    assert torch.isnan(corr()(torch.rand(1, 1, 8, 8), hr)).all()


def test_crop(pair):
    sr, hr = pair
    sr = sr.clone()
    sr[..., :2, :] = 1e6
    for metric in (rmse, mae, bias, corr):
        assert torch.equal(metric(crop=2)(sr, hr), metric()(sr[..., 2:-2, 2:-2], hr[..., 2:-2, 2:-2]))
    with pytest.raises(ValueError, match="crop"):
        rmse(crop=10)(sr, hr)
    with pytest.raises(ValueError, match="crop"):
        mae(crop=-1)


def test_protocol(pair):
    proto = rmse(crop=4).protocol()
    assert {"metric": "rmse", "space": "channel", "crop": 4}.items() <= proto.items()
    assert "physical" in proto["units"] and proto["implementation"].startswith("srzoo-metrics")
    assert "best at zero" in bias().protocol()["formula"]
    for f in (rmse, mae, bias, corr):
        p = f().protocol()
        assert json.loads(json.dumps(p)) == p


def test_shape_mismatch_is_an_error(pair):
    sr, hr = pair
    with pytest.raises(ValueError, match="never resized"):
        rmse()(sr[..., :-1], hr)
