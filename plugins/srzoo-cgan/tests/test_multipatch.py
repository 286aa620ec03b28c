"""multipatch: the multi-scale PatchGAN — one logits tensor for the core's losses, parity with
pix2pixHD's MultiscaleDiscriminator, a GAN training step with loss=l1+0.01*gan."""

from __future__ import annotations

import pytest
import torch
from srzoo_cgan.multipatch import multipatch
from srzoo_cgan.patchgan import patchgan

import srzoo_core
from srzoo_core.registry import PluginHost
from srzoo_core.testing import check_component


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost(only={"cgan", "losses"})
    host.load_entry_points()
    return host


def test_registered_lazily(host):
    info = host.registry.get("multipatch", "disc")
    assert info.factory == "srzoo_cgan.multipatch:multipatch"
    assert [p.name for p in info.params] == ["scales", "features", "layers", "norm"]


@pytest.mark.parametrize("options", [{}, {"features": 8, "scales": 3, "layers": 1, "norm": "instance"}])
def test_conformance(host, options):
    check_component(host.registry.get("multipatch", "disc"), **options)


def test_one_patch_map_finest_scale_first():
    torch.manual_seed(0)
    d = multipatch(in_channels=2, scales=3, features=8).eval()
    x = torch.rand(2, 2, 64, 64)
    maps = d.maps(x)
    assert [tuple(m.shape) for m in maps] == [(2, 1, 14, 14), (2, 1, 6, 6), (2, 1, 2, 2)]
    y = d(x)
    assert y.shape == (2, 1, 1, 196 + 36 + 4)
    assert torch.equal(y[:, 0, 0, :196], maps[0].flatten(1)) and torch.equal(y[:, 0, 0, -4:], maps[2].flatten(1))
    assert torch.equal(maps[0], d.discriminators[0](x))  # scale 0 is a plain patchgan on the image itself
    assert type(d.discriminators[1]) is type(patchgan())
    assert d.receptive_fields == [34, 68, 136]


# Output figures of pix2pixHD's MultiscaleDiscriminator (NVIDIA/pix2pixHD models/networks.py) run in /tmp with
# its convs' padding set to 1 (pix2pixHD pads by 2) and no norm layer, on the same seeded weights (mapped
# discriminators.k.net.* -> layer{K-1-k}.*) and input: (sum, sum of |y|, y.flatten()[[0, 100, -1]]); bit-identical there.
PIX2PIXHD = [
    ({"in_channels": 3, "scales": 3, "layers": 2, "features": 8}, (64, 64),
     (290.57920332765207, 398.12352999066934, (0.8716984987258911, 0.47205203771591187, 0.46616193652153015))),
    ({"in_channels": 2, "scales": 2, "layers": 1, "features": 4}, (33, 47),
     (30.876698227599263, 97.85380888171494, (0.0554976649582386, 0.11508867144584656, -0.37444716691970825))),
    ({"in_channels": 3, "scales": 3, "layers": 3, "features": 8}, (112, 96),
     (67.39027317613363, 162.14511474221945, (0.7023406028747559, 1.8038411140441895, 0.41680821776390076))),
]


@pytest.mark.parametrize("options, size, pins", PIX2PIXHD)
def test_matches_pix2pixhd_multiscale_discriminator(options, size, pins):
    d = multipatch(**options, norm="none").eval()
    gen = torch.Generator().manual_seed(0)
    d.load_state_dict({k: torch.randn(v.shape, generator=gen) * 0.1 for k, v in d.state_dict().items()})
    with torch.no_grad():
        y = d(torch.rand(2, options["in_channels"], *size, generator=torch.Generator().manual_seed(1))).double()
    assert y.sum().item() == pytest.approx(pins[0], rel=1e-6)
    assert y.abs().sum().item() == pytest.approx(pins[1], rel=1e-6)
    assert y.flatten()[[0, 100, -1]].tolist() == pytest.approx(pins[2], rel=1e-6)


def test_bad_options_and_small_inputs():
    with pytest.raises(ValueError, match="scales"):
        multipatch(scales=0)
    with pytest.raises(ValueError, match="norm"):
        multipatch(norm="group")
    with pytest.raises(ValueError, match="scale 2 sees a 8x8 image"):
        multipatch(scales=3, features=4)(torch.rand(1, 3, 32, 32))


def test_lr_conditioning_wraps_it(host):
    d = srzoo_core.build_discriminator("disc=multipatch(features=8)+lrcond loss=gan", in_channels=2, host=host)
    assert d(torch.rand(2, 2, 64, 64), torch.rand(2, 2, 16, 16)).shape == (2, 1, 1, 232)


def test_trains_with_l1_and_gan(host):
    spec = "gen=unet(features=8) disc=multipatch(features=8) loss=l1+0.01*gan"
    resolved = srzoo_core.resolve(spec, host)
    torch.manual_seed(0)
    gen, disc = srzoo_core.build_generator(resolved, in_channels=2, scale=4), srzoo_core.build_discriminator(resolved, in_channels=2)
    (l1, gan) = srzoo_core.build_losses(resolved)
    opt_g, opt_d = torch.optim.Adam(gen.parameters(), 1e-3), torch.optim.Adam(disc.parameters(), 1e-3)
    lr, hr = torch.rand(4, 2, 16, 16), torch.rand(4, 2, 64, 64)
    d_losses = []
    for _ in range(4):
        sr = gen(lr)
        g_loss = l1.module(sr, hr) + gan.weight * gan.module.generator_loss(disc(sr), None)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        d_loss = gan.module.discriminator_loss(disc(hr), disc(sr.detach()))
        opt_d.zero_grad()
        d_loss.backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in disc.parameters())
        opt_d.step()
        d_losses.append(d_loss.item())
    assert all(map(torch.isfinite, (g_loss, d_loss))) and d_losses[-1] < d_losses[0]
