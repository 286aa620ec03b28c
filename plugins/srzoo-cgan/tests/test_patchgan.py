"""PatchGAN: logit maps, receptive field arithmetic checked against autograd, norm options."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from srzoo_cgan.patchgan import output_size, patchgan, receptive_field


@pytest.mark.parametrize("size, side", [(64, 14), (96, 22)])
def test_default_logit_map(size, side):
    d = patchgan(in_channels=2)
    y = d(torch.randn(3, 2, size, size))
    assert y.shape == (3, 1, side, side) and output_size(size, 2) == side


@pytest.mark.parametrize("layers, side64, side96", [(1, 30, 46), (3, 6, 10)])
def test_logit_map_per_depth(layers, side64, side96):
    d = patchgan(in_channels=1, features=8, layers=layers)
    assert d(torch.randn(2, 1, 64, 64)).shape == (2, 1, side64, side64)
    assert d(torch.randn(2, 1, 96, 96)).shape == (2, 1, side96, side96)


def test_logits_not_probabilities():
    d = patchgan(in_channels=3, features=8)
    assert not any(isinstance(m, (nn.Sigmoid, nn.Tanh)) for m in d.modules())
    assert isinstance(d.net[-1], nn.Conv2d)


def test_receptive_field_arithmetic():
    assert [receptive_field(n) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]
    assert receptive_field(3) == 70  # pix2pix's 70×70 PatchGAN
    default = patchgan().layers
    assert receptive_field(default) <= 64 < receptive_field(default + 1)  # the default fits a 64×64 target
    assert patchgan(layers=3).receptive_field == 70


def _extent(grad: torch.Tensor) -> tuple[int, int]:
    rows = grad.abs().sum(dim=(0, 1, 3)).nonzero().flatten()
    cols = grad.abs().sum(dim=(0, 1, 2)).nonzero().flatten()
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("norm", ["none", "batch"])
def test_receptive_field_matches_gradients(layers, norm):
    """The input pixels that move one central logit span exactly receptive_field(layers)."""
    torch.manual_seed(0)
    d = patchgan(in_channels=2, features=4, layers=layers, norm=norm).double().eval()  # eval: BN is per-pixel
    size = 2 * receptive_field(layers) + 8
    x = torch.randn(1, 2, size, size, dtype=torch.float64, requires_grad=True)
    y = d(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    assert _extent(x.grad) == (receptive_field(layers), receptive_field(layers))


@pytest.mark.parametrize("norm, kind", [("batch", nn.BatchNorm2d), ("instance", nn.InstanceNorm2d), ("none", None)])
def test_norm_option(norm, kind):
    d = patchgan(in_channels=1, features=4, norm=norm)
    norms = [m for m in d.modules() if isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d))]
    if kind is None:
        assert not norms
    else:
        assert norms and all(isinstance(m, kind) for m in norms)
    d(torch.randn(2, 1, 32, 32)).mean().backward()


def test_bad_options_and_inputs():
    with pytest.raises(ValueError, match="layers"):
        patchgan(layers=0)
    with pytest.raises(ValueError, match="norm"):
        patchgan(norm="group")
    with pytest.raises(ValueError, match="larger input"):
        patchgan(layers=4)(torch.randn(1, 3, 16, 16))
