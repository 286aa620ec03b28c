"""srzoo-srgan: SRResNet and the VGG-style discriminator, by behaviour, plus the conformance kit."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import srzoo_core as sz
from srzoo_core.errors import UsageError


def test_conformance(srzoo_conformance):
    srzoo_conformance("srgan")


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_srresnet_upscales_by_its_scale(scale):
    gen = sz.build_generator("gen=srresnet(blocks=2,features=16)", in_channels=3, scale=scale)
    assert gen(torch.rand(1, 3, 16, 16)).shape == (1, 3, 16 * scale, 16 * scale)


def test_srresnet_default_maps_16_to_64_with_any_channels():
    assert sz.build_generator("gen=srresnet", in_channels=3)(torch.rand(1, 3, 16, 16)).shape == (1, 3, 64, 64)
    gen = sz.build_generator("gen=srresnet", in_channels=2, out_channels=2, scale=4)
    assert gen(torch.rand(2, 2, 16, 16)).shape == (2, 2, 64, 64)


def test_srresnet_refuses_scales_it_cannot_reach():
    with pytest.raises(UsageError, match="scale must be 2, 4 or 8"):
        sz.build_generator("gen=srresnet", scale=3)


def test_srresnet_has_the_paper_layout():
    gen = sz.build_generator("gen=srresnet", scale=4)
    assert gen.head[0].kernel_size == (9, 9) and gen.tail.kernel_size == (9, 9)
    assert len(gen.trunk) == 16
    assert sum(isinstance(m, nn.PixelShuffle) for m in gen.upsampler.modules()) == 2


def test_srresnet_output_is_linear_not_tanh():
    gen = sz.build_generator("gen=srresnet(blocks=2,features=16)", scale=4).eval()
    assert not any(isinstance(m, nn.Tanh) for m in gen.modules())
    with torch.no_grad():
        gen.tail.bias.fill_(3.0)
        high = gen(torch.rand(1, 3, 16, 16))
        gen.tail.bias.fill_(-3.0)
        low = gen(torch.rand(1, 3, 16, 16))
    assert high.max() > 1.0 and low.min() < -1.0  # a tanh would keep both inside [-1, 1]


@pytest.mark.parametrize("size", [64, 96])
def test_vggstyle_returns_one_logit_per_image(size):
    disc = sz.create("disc", "vggstyle", in_channels=3)
    assert disc(torch.rand(2, 3, size, size)).shape == (2, 1)


def test_vggstyle_outputs_logits_not_probabilities():
    disc = sz.create("disc", "vggstyle", in_channels=1, features=8, dense=16).eval()
    assert not any(isinstance(m, nn.Sigmoid) for m in disc.modules())
    with torch.no_grad():
        disc.classifier[-1].bias.fill_(-4.0)
        low = disc(torch.rand(2, 1, 64, 64))
        disc.classifier[-1].bias.fill_(4.0)
        high = disc(torch.rand(2, 1, 64, 64))
    assert (low < 0).all() and (high > 1).all()  # a sigmoid would confine both to (0, 1)


def test_residual_srresnet_starts_as_bicubic_and_learns_detail():
    import torch.nn.functional as F

    generator = sz.build_generator("gen=srresnet(blocks=1,features=8,residual=true)", in_channels=2, scale=4)
    x = torch.rand(2, 2, 12, 12)
    bicubic = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.equal(generator(x), bicubic)
    loss = (generator(x) - torch.rand_like(bicubic)).abs().mean()
    loss.backward()
    assert generator.tail.weight.grad.abs().sum() > 0


def test_residual_needs_equal_in_and_out_channels():
    with pytest.raises(sz.UsageError, match=r"in_channels \(3\) must equal out_channels \(1\)"):
        sz.build_generator("gen=srresnet(residual=true)", in_channels=3, out_channels=1, scale=4)
