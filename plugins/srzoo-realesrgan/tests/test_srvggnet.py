"""srvggnet (alias compact): Real-ESRGAN's SRVGGNetCompact layout and numbers, presets, published weights.

Pinned figures: Real-ESRGAN's ``realesrgan/archs/srvgg_arch.py`` (identical to BasicSR's) run in a
scratch folder on the same seeded weights and inputs; srzoo's output was bit-identical there, for
PReLU, ReLU and LeakyReLU and scales 1–4."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import srzoo_core as sz
from srzoo_core.testing.reference import assert_figures, seeded_input, seeded_weights
from srzoo_realesrgan.srvgg import detect_srvggnet, srvggnet

# SRVGGNetCompact(3, 3, num_feat=8, num_conv=1, upscale=4, act_type='prelu'): every entry, in order
REFERENCE = {"body.0.weight": (8, 3, 3, 3), "body.0.bias": (8,), "body.1.weight": (8,), "body.2.weight": (8, 8, 3, 3),
             "body.2.bias": (8,), "body.3.weight": (8,), "body.4.weight": (48, 8, 3, 3), "body.4.bias": (48,)}
# SRVGGNetCompact(3, 3, 16, 3, upscale=s, 'prelu'), weights randn × 0.1 from seed 400 + s, input rand(2, 3, 7, 9) seed s
PINNED = {
    1: (199.275705, 0.29032734, [0.7176294, 0.2557049, 0.527346, 1.0081737]),
    2: (766.216697, 0.30885275, [0.644879, 0.4654743, 0.7602358, 0.8360796]),
    3: (1650.029089, 0.34015572, [0.2273149, 0.3248215, -0.010919, 0.0674944]),
    4: (2949.599412, 0.3520174, [0.7251769, 0.4965613, 0.3936142, 0.8139203]),
}


def reference_keys(channels: int = 3, features: int = 8, convs: int = 1, scale: int = 4) -> dict[str, tuple[int, ...]]:
    """The pinned key set grown to other options: conv, PReLU per body conv; the last conv to channels × scale²."""
    keys = {"body.0.weight": (features, channels, 3, 3), "body.0.bias": (features,), "body.1.weight": (features,)}
    for i in range(1, convs + 1):
        keys.update({f"body.{2 * i}.weight": (features, features, 3, 3), f"body.{2 * i}.bias": (features,), f"body.{2 * i + 1}.weight": (features,)})
    last = 2 * convs + 2
    keys.update({f"body.{last}.weight": (channels * scale * scale, features, 3, 3), f"body.{last}.bias": (channels * scale * scale,)})
    return keys


def test_rule_gives_the_pinned_reference():
    assert list(reference_keys().items()) == list(REFERENCE.items())


def test_entry_module_is_lazy_and_registers():
    """Loading the hooks (what `srzoo list` does) imports neither torch nor an architecture module."""
    code = ("import sys, srzoo_realesrgan; from srzoo_core.registry import PluginHost; h = PluginHost(); "
            "h.add_plugin(srzoo_realesrgan, name='realesrgan'); print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('srzoo_realesrgan.')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    gen = sz.get_registry().get("srvggnet", "gen")
    assert (gen.scales, gen.slots, gen.aliases) == ((1, 2, 3, 4), (), ("compact",))
    assert gen.detect_weights == "srzoo_realesrgan.srvgg:detect_srvggnet"
    assert sz.get_registry().get("unetsn", "disc").provider.dist == "srzoo-realesrgan"


def test_conformance(srzoo_conformance):
    srzoo_conformance("realesrgan", srvggnet={"features": 8, "convs": 2}, unetsn={"features": 8})


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
def test_keys_are_real_esrgans(scale):
    model = srvggnet(3, 3, scale, features=8, convs=1)
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == list(reference_keys(scale=scale).items())


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
def test_matches_real_esrgan(scale):
    model = srvggnet(3, 3, scale, features=16, convs=3).eval()
    model.load_state_dict(seeded_weights(model, 400 + scale, 0.1))
    with torch.no_grad():
        assert_figures(model(seeded_input(scale)), PINNED[scale])


def test_presets_and_alias():
    with torch.device("meta"):
        general, anime, wide = srvggnet(preset="general-x4v3"), srvggnet(), srvggnet(preset="general-x4v3", features=48, convs=4)
    assert (len(general.body), general.body[0].out_channels) == (2 * 32 + 3, 64)
    assert (len(anime.body), anime.body[0].out_channels) == (2 * 16 + 3, 64)
    assert (len(wide.body), wide.body[0].out_channels) == (2 * 4 + 3, 48)
    gen = sz.build_generator("gen=compact(preset=general-x4v3,features=8,convs=1)", in_channels=1, scale=3)
    assert gen(torch.rand(1, 1, 5, 4)).shape == (1, 1, 15, 12)


@pytest.mark.parametrize("activation", ["relu", "leakyrelu"])
def test_activations_without_parameters(activation):
    model = srvggnet(2, 2, 2, features=8, convs=2, activation=activation)
    assert list(model.state_dict()) == ["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias", "body.4.weight", "body.4.bias",
                                        "body.6.weight", "body.6.bias"]
    assert model(torch.rand(1, 2, 4, 4)).shape == (1, 2, 8, 8)


def test_learns_the_residual_over_nearest_upsampling():
    model = srvggnet(2, 2, 3, features=8, convs=1)
    with torch.no_grad():
        model.body[-1].weight.zero_()
        model.body[-1].bias.zero_()
        x = torch.rand(1, 2, 5, 6)
        assert torch.equal(model(x), F.interpolate(x, scale_factor=3, mode="nearest"))


def test_unsupported_options():
    with pytest.raises(sz.UsageError, match=r"in_channels \(3\) must equal out_channels \(1\)"):
        sz.build_generator("gen=srvggnet", in_channels=3, out_channels=1)
    with pytest.raises(sz.UsageError, match="scale must be 1, 2, 3 or 4"):
        sz.build_generator("gen=srvggnet", scale=8)
    with pytest.raises(sz.SpecError, match="preset"):
        sz.build_generator("gen=srvggnet(preset=huge)")


@pytest.mark.parametrize("preset,convs", [("general-x4v3", 32), ("animevideov3", 16)])
def test_detects_released_models(preset, convs):
    state = {k: torch.zeros(s) for k, s in reference_keys(3, 64, convs, 4).items()}
    options, loaded = detect_srvggnet(state)
    assert options == {"in_channels": 3, "out_channels": 3, "scale": 4, "features": 64, "convs": convs}
    srvggnet(**options).load_state_dict(loaded, strict=True)
    with torch.device("meta"):
        assert srvggnet(preset=preset).state_dict().keys() == state.keys()


@pytest.mark.parametrize("options", [dict(scale=2, features=8, convs=0), dict(scale=3, features=16, convs=5, in_channels=1, out_channels=1)])
def test_round_trip(options):
    full = {"in_channels": 3, "out_channels": 3, **options}
    state = srvggnet(**full).state_dict()
    assert detect_srvggnet(state) == (full, state)


def test_foreign_dicts_are_not_claimed():
    relu = srvggnet(3, 3, 4, features=8, convs=1, activation="relu").state_dict()  # no PReLU: not a released model
    edsr_like = {"conv_first.weight": torch.zeros(8, 3, 3, 3), "body.0.conv1.weight": torch.zeros(8, 8, 3, 3)}
    odd_last = {**reference_keys(), "body.4.weight": (47, 8, 3, 3), "body.4.bias": (47,)}
    extra = {**reference_keys(), "body.5.weight": (8,)}
    for foreign in ({}, relu, edsr_like, {k: torch.zeros(s) for k, s in odd_last.items()}, {k: torch.zeros(s) for k, s in extra.items()},
                    {"body.0.weight": 1, "body.1.weight": "x"}):
        assert detect_srvggnet(foreign) is None


def test_one_adam_step():
    model = sz.build_generator("gen=srvggnet(features=8,convs=2)", in_channels=2, scale=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = (model(torch.rand(2, 2, 8, 8)) - torch.rand(2, 2, 32, 32)).abs().mean()
    loss.backward()
    optimiser.step()
    assert all(not torch.equal(before[k], v) for k, v in model.named_parameters())
