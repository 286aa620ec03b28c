"""srzoo-blocks: squeeze-excitation and multi-scale fusion, alone and composed into SRResNet."""

from __future__ import annotations

import pytest
import torch

import srzoo_core as sz
from srzoo_blocks.multiscale import MultiScaleFusion, multiscale
from srzoo_blocks.se import SqueezeExcitation, se


def test_conformance():
    from srzoo_core.testing import check_plugin

    check_plugin("blocks")


def test_se_rescales_channels_by_a_gate_in_0_1():
    block = se(16, reduction=4)
    x = torch.randn(2, 16, 8, 8)
    y = block(x)
    ratio = y / x
    assert y.shape == x.shape
    assert ((ratio > 0) & (ratio < 1)).all()
    assert torch.allclose(ratio, ratio[..., :1, :1].expand_as(ratio), atol=1e-5)  # one gate per channel


def test_se_rejects_bad_reduction():
    with pytest.raises(ValueError, match="reduction"):
        se(16, reduction=0)


def test_multiscale_branches_and_residual():
    block = multiscale(8, largest=7)
    assert [b[0].kernel_size for b in block.branches] == [(3, 3), (5, 5), (7, 7)]
    with torch.no_grad():
        block.fuse.weight.zero_()
        block.fuse.bias.zero_()
    x = torch.randn(1, 8, 10, 12)
    assert torch.equal(block(x), x)  # residual: a zero fusion leaves the input
    assert multiscale(8, residual=False)(x).shape == x.shape


def test_multiscale_rejects_even_kernel():
    with pytest.raises(ValueError, match="odd kernel"):
        multiscale(8, largest=6)


def test_composed_generator_maps_16_to_64():
    gen = sz.build_generator("gen=srresnet+se+multiscale", in_channels=3, scale=4)
    assert gen(torch.rand(1, 3, 16, 16)).shape == (1, 3, 64, 64)
    gen = sz.build_generator("gen=srresnet+se+multiscale", in_channels=2, out_channels=2, scale=4)
    assert gen(torch.rand(2, 2, 16, 16)).shape == (2, 2, 64, 64)


def test_se_goes_into_every_residual_block():
    gen = sz.build_generator("gen=srresnet(blocks=5)+se")
    assert len(gen.trunk) == 5
    assert all(isinstance(unit.attention, SqueezeExcitation) for unit in gen.trunk)
    assert sum(isinstance(m, SqueezeExcitation) for m in gen.modules()) == 5


def test_multiscale_fuses_the_head_output():
    gen = sz.build_generator("gen=srresnet(blocks=2)+multiscale")
    assert isinstance(gen.fusion, MultiScaleFusion)
    seen = {}
    gen.head.register_forward_hook(lambda m, i, o: seen.setdefault("head", o))
    gen.fusion.register_forward_hook(lambda m, i, o: seen.setdefault("fusion_in", i[0]))
    gen(torch.rand(1, 3, 16, 16))
    assert seen["fusion_in"] is seen["head"]
    assert sum(isinstance(m, MultiScaleFusion) for m in gen.modules()) == 1
