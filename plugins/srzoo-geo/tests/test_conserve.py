"""conserve: the output constraint whose block means equal the LR, in three modes."""

from __future__ import annotations

import pytest
import torch
from srzoo_geo.conserve import conserve, spread
from srzoo_geo.mass import block_means


def pair(scale: int, positive: bool, seed: int = 0, dtype: torch.dtype = torch.float32):
    g = torch.Generator().manual_seed(seed)
    sr = torch.randn(2, 3, 6 * scale, 5 * scale, generator=g, dtype=dtype)
    lr = torch.randn(2, 3, 6, 5, generator=g, dtype=dtype)
    if positive:
        sr, lr = sr.abs() + 0.1, lr.abs() + 0.1
    return sr, lr


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("mode", ["add", "mult", "softmax"])
def test_block_means_equal_the_lr(mode, scale):
    sr, lr = pair(scale, positive=mode != "add")
    out = conserve(scale, mode)(sr, lr)
    assert out.shape == sr.shape and out.dtype == torch.float32
    assert torch.allclose(block_means(out, scale), lr, rtol=1e-5, atol=1e-5 * lr.abs().max().item())


def test_softmax_takes_any_sign_and_gives_non_negative_output():
    sr, _ = pair(4, positive=False, seed=1)
    _, lr = pair(4, positive=True, seed=1)
    out = conserve(4, "softmax")(sr * 30, lr)  # large logits: stable
    assert torch.isfinite(out).all() and (out >= 0).all()
    assert torch.allclose(block_means(out, 4), lr, rtol=1e-5)


def test_the_corrections_have_the_papers_form():
    sr, lr = pair(2, positive=True, seed=2, dtype=torch.float64)
    added = conserve(2, "add")(sr, lr) - sr
    assert torch.allclose(added, spread(block_means(added, 2), 2))  # one shift per block
    ratio = conserve(2, "mult")(sr, lr) / sr
    assert torch.allclose(ratio, spread(block_means(ratio, 2), 2))  # one factor per block
    assert conserve(2, "add")(sr, lr).dtype == torch.float64


def test_matches_harder_et_al():
    """Figures from Harder et al.'s Add/Mult/SoftmaxConstraints layers (models.py, device moved to the
    CPU) on the same seeded fields; the largest difference measured was 6.7e-16."""
    g = torch.Generator().manual_seed(3)
    y = 0.5 + torch.rand(2, 1, 16, 16, generator=g, dtype=torch.float64)
    x = 0.5 + torch.rand(2, 1, 4, 4, generator=g, dtype=torch.float64)
    figures = {"add": (0.4811653365638632, 0.7452812289571357), "mult": (0.5007310173187476, 0.6961784971176256),
               "softmax": (0.5525191093082545, 0.6807154749690868)}
    for mode, (first, second) in figures.items():
        out = conserve(4, mode)(y, x)
        assert (out[0, 0, 0, 0].item(), out[1, 0, 13, 6].item()) == pytest.approx((first, second), rel=1e-12)


def test_add_on_z_scored_data_conserves_in_physical_units():
    """B commutes with a per-channel affine map, so z-space conservation is physical conservation."""
    sr, lr = pair(4, positive=False, seed=3, dtype=torch.float64)
    mean, std = torch.tensor([280.0, 5.0, 0.01]).view(1, 3, 1, 1), torch.tensor([10.0, 3.0, 0.002]).view(1, 3, 1, 1)
    out_physical = conserve(4, "add")(sr, lr) * std + mean
    assert torch.allclose(block_means(out_physical, 4), lr * std + mean, rtol=1e-12)


def test_gradients_and_low_precision():
    sr, lr = pair(2, positive=True, seed=4)
    for mode in ("add", "mult", "softmax"):
        x = sr.clone().requires_grad_()
        conserve(2, mode)(x, lr).pow(2).sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = conserve(2, "add")(sr.bfloat16(), lr.bfloat16())
    assert out.dtype == torch.float32
    assert torch.allclose(block_means(out, 2), lr.bfloat16().float(), rtol=1e-5, atol=1e-5)


def test_refusals():
    sr, lr = pair(2, positive=True, seed=5)
    with pytest.raises(ValueError, match="non-negative LR"):
        conserve(2, "mult")(sr, -lr)
    with pytest.raises(ValueError, match="non-negative LR"):
        conserve(2, "softmax")(sr, lr - 0.5)
    with pytest.raises(ValueError, match="positive sr"):
        conserve(2, "mult")(sr - 1, lr)
    with pytest.raises(ValueError, match="x2 of lr"):
        conserve(2)(sr, lr[..., :4])
    with pytest.raises(ValueError, match="mode"):
        conserve(2, "clip")
    with pytest.raises(ValueError, match="scale"):
        conserve(0)
    assert list(conserve(4).parameters()) == [] and "mode='add'" in repr(conserve(4))
