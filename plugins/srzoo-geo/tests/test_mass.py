"""mass: the SR's block means against the LR (Harder et al. 2022's mass violation)."""

from __future__ import annotations

import pytest
import torch
from srzoo_geo.conserve import conserve, spread
from srzoo_geo.mass import block_means, mass


@pytest.fixture
def fields() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    sr = 0.5 + torch.rand(2, 1, 16, 16, generator=g, dtype=torch.float64)
    lr = 0.5 + torch.rand(2, 1, 4, 4, generator=g, dtype=torch.float64)
    return sr, sr.clone(), lr


def test_zero_for_block_means_equal_to_the_lr(fields):
    _, hr, lr = fields
    sr = spread(lr, 4)  # piecewise constant
    assert torch.allclose(mass(scale=4)(sr, hr, lr=lr), torch.zeros(2, 1, dtype=torch.float64))
    constrained = conserve(4)(fields[0], lr)
    assert mass(scale=4)(constrained, hr, lr=lr).abs().max() < 1e-12


def test_relative_and_absolute(fields):
    _, hr, lr = fields
    sr = spread(lr, 4) + 0.1
    absolute = mass(relative=False, scale=4)(sr, hr, lr=lr)
    assert torch.allclose(absolute, torch.full((2, 1), 0.1, dtype=torch.float64))
    assert torch.allclose(mass(scale=4)(sr, hr, lr=lr), 0.1 / lr.abs().mean(dim=(2, 3)))


def test_matches_harders_mass_violation(fields):
    """Harder et al.'s training.py: mean |skimage downscale_local_mean(pred, (1, 4, 4)) - lr|, on the
    same seeded fields (skimage 0.26.0); the two agreed exactly."""
    sr, hr, lr = fields
    assert mass(relative=False, scale=4)(sr, hr, lr=lr).mean().item() == pytest.approx(0.2734997722487933, rel=1e-12)


def test_reference_hr_needs_no_lr(fields):
    _, hr, _ = fields
    metric = mass(reference="hr", scale=4)
    assert metric.needs_lr is False and mass().needs_lr is True
    assert torch.equal(metric(hr, hr), torch.zeros(2, 1, dtype=torch.float64))
    assert torch.allclose(metric(hr + 1, hr), 1 / block_means(hr, 4).abs().mean(dim=(2, 3)))


def test_scale_from_the_run_and_errors(fields):
    _, hr, lr = fields
    sr = hr + 0.1
    metric = mass()
    with pytest.raises(ValueError, match="needs the scale"):
        metric(sr, hr, lr=lr)
    metric.setup({"scale": 4})
    assert metric.protocol()["block"] == 4
    with pytest.raises(ValueError, match="not given"):
        metric(sr, hr)
    with pytest.raises(ValueError, match="block means of SR"):
        metric(sr, hr, lr=lr[..., :3])
    with pytest.raises(ValueError, match="run is x2"):
        mass(scale=4).setup({"scale": 2})
    with pytest.raises(ValueError, match="4x4 blocks"):
        mass(reference="hr", scale=4)(sr[..., :15, :15], hr[..., :15, :15])
    with pytest.raises(ValueError, match="reference"):
        mass(reference="bicubic")
