"""rrdbnet, rrdb, esrdisc and ragan through the spec language: building, composing, training steps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import srzoo_core
import srzoo_esrgan
from srzoo_core.errors import SpecError, UsageError


class _L1(nn.L1Loss):
    role = "pixel"


def _with_l1(host):
    """srzoo-losses provides l1; stand in for it where it is not there yet."""
    if "l1" not in host.registry:
        host.registry.register("loss", "l1", _L1)
    return host


def test_entry_module_is_lazy():
    """Loading the plugin's hooks (what `srzoo list` does) imports no torch and no architecture."""
    code = ("import sys, srzoo_esrgan; from srzoo_core.registry import PluginHost; "
            "h = PluginHost(); h.add_plugin(srzoo_esrgan, name='esrgan'); "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('srzoo_esrgan.')))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(srzoo_esrgan.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


def test_registrations(host):
    reg = host.registry
    gen, block, disc, loss = reg.get("rrdbnet", "gen"), reg.get("rrdb", "block"), reg.get("esrdisc", "disc"), reg.get("ragan", "loss")
    assert gen.scales == (1, 2, 4) and set(gen.slots) == {"body", "attention", "fusion", "upsampler"}
    assert [p.name for p in gen.params] == ["features", "blocks", "growth", "weights"]
    assert block.slot == "body" and loss.requires == ("disc",)
    assert all(isinstance(i.factory, str) for i in (gen, block, disc, loss))
    assert [c.name for c in reg.list(pattern="rrdb*")] == ["rrdbnet", "rrdb"]


@pytest.mark.parametrize("features,growth", [(16, 8), (64, 32)])
def test_blocks_8_builds_as_in_seed_004(host, features, growth):
    gen = srzoo_core.build_generator(f"gen=rrdbnet(blocks=8,features={features},growth={growth})", in_channels=2, scale=4, host=host)
    assert len(gen.body) == 8
    with torch.no_grad():
        assert gen(torch.randn(1, 2, 16, 16)).shape == (1, 2, 64, 64)


def test_gan_step_forward_and_backward(host):
    spec = "gen=rrdbnet(blocks=8,features=16,growth=8) disc=esrdisc(features=8) loss=l1+0.01*ragan"
    resolved = srzoo_core.resolve(spec, _with_l1(host))
    gen = srzoo_core.build_generator(resolved, in_channels=2, scale=4)
    disc = srzoo_core.build_discriminator(resolved, in_channels=2)
    terms = srzoo_core.build_losses(resolved)
    assert [(t.name, t.weight, t.role) for t in terms] == [("l1", 1.0, "pixel"), ("ragan", 0.01, "adversarial")]
    lr, hr = torch.randn(4, 2, 16, 16), torch.randn(4, 2, 64, 64)

    sr = gen(lr)
    assert sr.shape == hr.shape
    real_logits = disc(hr)
    assert real_logits.shape == (4, 1)
    g_loss = sum(t.weight * (t.module.generator_loss(disc(sr), real_logits) if t.adversarial else t.module(sr, hr)) for t in terms)
    g_loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in gen.parameters())
    assert gen.conv_first.weight.grad.abs().sum() > 0

    disc.zero_grad()
    ragan = terms[1].module
    d_loss = ragan.discriminator_loss(disc(hr), disc(sr.detach()))
    d_loss.backward()
    assert torch.isfinite(d_loss) and all(p.grad is not None for p in disc.parameters())


def test_srresnet_with_rrdb_trunk(host):
    gen = srzoo_core.build_generator("gen=srresnet(blocks=2,features=16)+rrdb(growth=8)", in_channels=2, scale=4, host=host)
    assert len(gen.trunk) == 2 and hasattr(gen.trunk[0], "rdb3")
    with torch.no_grad():
        assert gen(torch.randn(2, 2, 16, 16)).shape == (2, 2, 64, 64)


def test_slots(host):
    class Shuffle(nn.Sequential):  # a stand-in upsampler block
        def __init__(self, channels, scale):
            super().__init__(nn.Conv2d(channels, channels * scale * scale, 3, padding=1), nn.PixelShuffle(scale))

    host.registry.register("block", "shuffle_up", Shuffle, slot="upsampler")
    small = "rrdbnet(blocks=1,features=8,growth=4)"
    for extra, scale in (("se(reduction=4)", 4), ("multiscale", 4), ("shuffle_up", 3), ("rrdb(growth=4)", 2)):
        if extra.split("(")[0] not in host.registry:
            continue  # srzoo-blocks absent
        gen = srzoo_core.build_generator(f"gen={small}+{extra}", in_channels=2, scale=scale, host=host)
        with torch.no_grad():
            assert gen(torch.randn(1, 2, 6, 6)).shape == (1, 2, 6 * scale, 6 * scale), extra
    gen = srzoo_core.build_generator(f"gen={small}+se(reduction=4)", in_channels=2, scale=4, host=host)
    assert any(k.startswith("body.0.attention.") for k in gen.state_dict())


def test_unsupported_scale_and_odd_input(host):
    with pytest.raises(UsageError, match="scale must be 1, 2 or 4"):
        srzoo_core.build_generator("gen=rrdbnet(blocks=1)", in_channels=2, scale=3, host=host)
    gen = srzoo_core.build_generator("gen=rrdbnet(blocks=1,features=8,growth=4)", in_channels=2, scale=2, host=host)
    with pytest.raises(ValueError, match="must be even"):
        gen(torch.randn(1, 2, 7, 8))


def test_esrdisc_any_size_logits_no_bn_no_sigmoid(host):
    disc = srzoo_core.build_discriminator("disc=esrdisc(features=8) loss=ragan", in_channels=2, host=host)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.Sigmoid)) for m in disc.modules())
    convs = [m for m in disc.modules() if isinstance(m, nn.Conv2d)]
    assert [c.stride[0] for c in convs] == [1, 2] * 4 + [1]
    for size in (16, 37, 64, 96):
        assert disc(torch.randn(3, 2, size, size)).shape == (3, 1)
    patch = srzoo_core.build_discriminator("disc=esrdisc(features=8,patch=true) loss=ragan", in_channels=2, host=host)
    assert patch(torch.randn(2, 2, 64, 64)).shape == (2, 1, 4, 4)


def test_ragan_values():
    from srzoo_esrgan.ragan import RaGANLoss

    loss = RaGANLoss()
    assert loss.role == "adversarial" and loss.needs_real_logits is True
    real_high, fake_low = torch.full((8, 1), 3.0), torch.full((8, 1), -3.0)
    confident = loss.discriminator_loss(real_high, fake_low)
    fooled = loss.discriminator_loss(fake_low, real_high)  # real scored below fake
    assert confident < 0.1 < fooled
    assert loss.generator_loss(fake_low, real_high) > loss.generator_loss(real_high, fake_low)
    even = torch.zeros(4, 1)
    assert loss.discriminator_loss(even, even).item() == pytest.approx(torch.log(torch.tensor(2.0)).item())
    # relativistic: shifting every logit by the same amount changes nothing
    r, f = torch.randn(6, 1), torch.randn(6, 1)
    torch.testing.assert_close(loss.discriminator_loss(r + 5, f + 5), loss.discriminator_loss(r, f))
    # by hand: ½ BCE(r − mean f, 1) + ½ BCE(f − mean r, 0)
    expected = 0.5 * (torch.nn.functional.softplus(-(r - f.mean())).mean() + torch.nn.functional.softplus(f - r.mean()).mean())
    torch.testing.assert_close(loss.discriminator_loss(r, f), expected)
    with pytest.raises(TypeError, match="generator_loss"):
        loss(r, f)


def test_ragan_generator_loss_does_not_train_the_discriminator():
    from srzoo_esrgan.ragan import RaGANLoss

    real = torch.randn(4, 1, requires_grad=True)
    fake = torch.randn(4, 1, requires_grad=True)
    RaGANLoss().generator_loss(fake, real).backward()
    assert real.grad is None and fake.grad is not None


def test_ragan_needs_a_discriminator(host):
    with pytest.raises(SpecError, match="needs disc"):
        srzoo_core.resolve("gen=rrdbnet loss=ragan", host)


def test_conformance_kit():
    testing = pytest.importorskip("srzoo_core.testing")
    check_plugin = getattr(testing, "check_plugin", None)
    if check_plugin is None:
        pytest.skip("srzoo_core.testing.check_plugin is not there yet")
    passed = check_plugin(srzoo_esrgan, rrdbnet={"blocks": 1, "features": 8, "growth": 4})
    for component in ("gen rrdbnet", "disc esrdisc", "block rrdb", "loss ragan"):
        assert any(p.startswith(f"[{component}]") for p in passed), component
