"""The U-Net generator: shapes, any input size, skips that carry information, linear output."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import srzoo_core as sz
from srzoo_cgan.unet import unet


def test_weather_grid_shape():
    g = unet(in_channels=2, out_channels=2, scale=4)
    with torch.no_grad():
        assert g(torch.randn(4, 2, 16, 16)).shape == (4, 2, 64, 64)


@pytest.mark.parametrize("scale", [2, 3, 4, 6, 8])
def test_scales(scale):
    g = unet(in_channels=3, out_channels=1, scale=scale, features=8)
    with torch.no_grad():
        assert g(torch.randn(2, 3, 16, 12)).shape == (2, 1, 16 * scale, 12 * scale)


@pytest.mark.parametrize("size", [(1, 1), (7, 5), (13, 16), (15, 13), (17, 33)])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_any_input_size_is_padded_and_cropped_back(size, depth):
    g = unet(in_channels=2, out_channels=2, scale=2, features=8, depth=depth)
    with torch.no_grad():
        assert g(torch.randn(1, 2, *size)).shape == (1, 2, 2 * size[0], 2 * size[1])


def test_unsupported_scale_is_a_clear_error():
    with pytest.raises(ValueError, match="scale"):
        unet(scale=5)
    with pytest.raises(ValueError, match="depth"):
        unet(depth=0)
    with pytest.raises(ValueError, match="norm"):
        unet(norm="layer")


def test_upsampler_slot_lifts_the_scale_restriction():
    def upsampler(channels: int, scale: int) -> nn.Module:
        return nn.Sequential(nn.Upsample(scale_factor=scale), nn.Conv2d(channels, channels, 1))

    g = unet(in_channels=1, out_channels=1, scale=5, features=8, upsampler=upsampler)
    with torch.no_grad():
        assert g(torch.randn(1, 1, 8, 8)).shape == (1, 1, 40, 40)


def test_skip_connections_carry_information():
    """With the bottleneck path silenced (transposed convs output zeros), the output still depends
    on the input: the encoder features reach the decoder through the skips."""
    torch.manual_seed(0)
    g = unet(in_channels=1, out_channels=1, scale=2, features=8, depth=2).eval()
    assert [d[0].in_channels for d in g.decoders] == [16, 32]  # concatenated skip + upsampled path
    with torch.no_grad():
        for up in g.ups:
            up.weight.zero_()
            up.bias.zero_()
        a, b = g(torch.randn(1, 1, 16, 16)), g(torch.randn(1, 1, 16, 16))
    assert not torch.allclose(a, b)


def test_output_is_linear():
    torch.manual_seed(0)
    g = unet(in_channels=2, out_channels=2, scale=4, features=8)
    assert isinstance(g.tail, nn.Conv2d)
    assert not any(isinstance(m, (nn.Tanh, nn.Sigmoid, nn.Hardtanh)) for m in g.modules())
    with torch.no_grad():
        g.tail.bias.fill_(5.0)  # nothing clamps the output to [-1, 1]
        assert g(torch.randn(1, 2, 8, 8)).min() > 1.0


@pytest.mark.parametrize("norm, kind", [("none", nn.Identity), ("batch", nn.BatchNorm2d), ("instance", nn.InstanceNorm2d)])
def test_norm_option(norm, kind):
    g = unet(in_channels=1, out_channels=1, scale=2, features=8, norm=norm)
    assert isinstance(g.encoders[0][1], kind)
    g(torch.randn(2, 1, 16, 16)).sum().backward()


def test_attention_and_fusion_blocks_from_the_spec():
    if "se" not in sz.get_registry() or "multiscale" not in sz.get_registry():
        pytest.skip("srzoo-blocks (se, multiscale) is not installed")
    g = sz.build_generator("gen=unet(features=8,depth=2)+se(reduction=4)+multiscale", in_channels=2, scale=4)
    names = {type(m).__name__ for m in g.modules()}
    assert {"SqueezeExcitation", "MultiScaleFusion"} <= names
    # one attention block per conv block: 2 encoders, the bottleneck and 2 decoders
    assert sum(type(m).__name__ == "SqueezeExcitation" for m in g.modules()) == 5
    with torch.no_grad():
        assert g(torch.randn(2, 2, 16, 16)).shape == (2, 2, 64, 64)
