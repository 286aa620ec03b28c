"""LR conditioning as a wrapper around any discriminator, built through the core's spec layer."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import srzoo_core as sz
from srzoo_core import hookimpl
from srzoo_core.registry import PluginHost
from srzoo_cgan.lrcond import lrcond
from srzoo_cgan.patchgan import patchgan


class _StandInL1(nn.Module):
    role = "pixel"

    def forward(self, sr, hr):
        return (sr - hr).abs().mean()


class _StandInGAN(nn.Module):
    role = "adversarial"

    def generator_loss(self, fake_logits, real_logits):
        return F.softplus(-fake_logits).mean()

    def discriminator_loss(self, real_logits, fake_logits):
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


class _StandInLosses:
    """Registers only the losses the installed plugins lack (srzoo-losses may not exist yet)."""

    def __init__(self, missing: list[str]):
        self.missing = missing

    @hookimpl
    def srzoo_register_losses(self, register):
        if "l1" in self.missing:
            register("l1", _StandInL1, description="test stand-in")
        if "gan" in self.missing:
            register("gan", _StandInGAN, requires=("disc",), description="test stand-in")


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost.from_environment()
    missing = [name for name in ("l1", "gan") if name not in host.registry]
    if missing:
        host.add_plugin(_StandInLosses(missing), name="cgan-test-losses")
    return host


class _Recorder(nn.Module):
    def __init__(self, in_channels: int):
        super().__init__()
        self.in_channels = in_channels
        self.seen = None

    def forward(self, x):
        self.seen = x
        return x.mean(dim=(1, 2, 3)).unsqueeze(1)


@pytest.mark.parametrize("mode", ["bicubic", "bilinear", "nearest"])
def test_forward_concatenates_the_upsampled_lr(mode):
    d = lrcond(_Recorder, in_channels=2, mode=mode)
    assert d.needs_lr is True and d.inner.in_channels == 4
    x, lr = torch.randn(3, 2, 64, 64), torch.randn(3, 2, 16, 16)
    assert d(x, lr).shape == (3, 1)
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    assert torch.equal(d.inner.seen, torch.cat([x, F.interpolate(lr, size=(64, 64), mode=mode, **kwargs)], dim=1))


def test_lr_channels_are_checked():
    d = lrcond(_Recorder, in_channels=2)
    with pytest.raises(ValueError, match="lrcond"):
        d(torch.randn(1, 2, 32, 32), torch.randn(1, 3, 8, 8))
    with pytest.raises(ValueError, match="mode"):
        lrcond(_Recorder, in_channels=2, mode="area")


def test_with_patchgan_directly():
    d = lrcond(lambda in_channels: patchgan(in_channels=in_channels, features=8), in_channels=2)
    assert d.inner.net[0].in_channels == 4
    assert d(torch.randn(2, 2, 64, 64), torch.randn(2, 2, 16, 16)).shape == (2, 1, 14, 14)


def test_patchgan_lrcond_through_the_spec(host):
    resolved = sz.resolve("gen=unet disc=patchgan(layers=2)+lrcond(mode=nearest) loss=l1+0.01*gan", host)
    assert resolved.canonical() == "gen=unet disc=patchgan+lrcond(mode=nearest) loss=l1+0.01*gan"
    d = sz.build_discriminator(resolved, in_channels=2, host=host)
    assert d.needs_lr is True and d.mode == "nearest"
    assert d.inner.net[0].in_channels == 4
    assert d(torch.randn(2, 2, 64, 64), torch.randn(2, 2, 16, 16)).shape == (2, 1, 14, 14)


def test_vggstyle_lrcond_through_the_spec(host):
    if "vggstyle" not in host.registry:
        pytest.skip("srzoo-srgan (vggstyle) is not installed")
    d = sz.build_discriminator("gen=srresnet disc=vggstyle+lrcond loss=l1+gan", in_channels=2, host=host)
    assert d.needs_lr is True
    assert d.inner.features[0].in_channels == 4
    assert d(torch.randn(2, 2, 64, 64), torch.randn(2, 2, 16, 16)).shape == (2, 1)


def test_lrcond_is_a_wrapper_block(host):
    info = host.registry.get("lrcond", "block")
    assert info.slot == "wrapper"
    assert [p.name for p in info.params] == ["mode"]
    with pytest.raises(sz.SpecError, match="lrcond"):
        sz.resolve("gen=unet+lrcond", host)  # a wrapper fills no generator slot
