"""msrresnet: BasicSR's MSRResNet layout, initialisation and numbers; slots; published weights.

Pinned figures: BasicSR's ``basicsr/archs/srresnet_arch.py`` run in a scratch folder on the same
seeded weights and inputs; srzoo's output was bit-identical there."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import srzoo_core as sz
from srzoo_core.testing.reference import assert_one_adam_step, check_against_reference, seeded_input
from srzoo_edsr.msrresnet import msrresnet
from srzoo_edsr.weights import detect_edsr, detect_msrresnet

# BasicSR MSRResNet(3, 3, num_feat=8, num_block=1, upscale=4): weights in order, each followed by its bias (out,)
REFERENCE_X4 = {"conv_first.weight": (8, 3, 3, 3), "body.0.conv1.weight": (8, 8, 3, 3), "body.0.conv2.weight": (8, 8, 3, 3),
                "upconv1.weight": (32, 8, 3, 3), "upconv2.weight": (32, 8, 3, 3), "conv_hr.weight": (8, 8, 3, 3),
                "conv_last.weight": (3, 8, 3, 3)}
UPCONV1 = {2: (32, 8, 3, 3), 3: (72, 8, 3, 3), 4: (32, 8, 3, 3)}  # ×2 and ×3: upconv1 only, to features × scale²
# MSRResNet(3, 3, num_feat=8, num_block=2, upscale=s), weights randn × 0.05 from seed 100 + s, input rand(2, 3, 7, 9) seed s
PINNED = {
    2: (708.42295, 0.19197545, [0.533773, 0.4224761, 0.6416785, 0.8112306]),
    3: (1600.912696, 0.2258361, [0.0264734, 0.5285314, 0.0111687, 0.2179477]),
    4: (2736.644317, 0.19716899, [0.441601, 0.5260893, 0.0573499, 0.8627733]),
}


def reference_keys(blocks: int, scale: int) -> dict[str, tuple[int, ...]]:
    ordered = {}
    unit = {k: v for k, v in REFERENCE_X4.items() if k.startswith("body.0.")}
    for key, shape in REFERENCE_X4.items():
        if key == "body.0.conv1.weight":
            ordered.update({k.replace("body.0.", f"body.{n}."): s for n in range(blocks) for k, s in unit.items()})
        elif key.startswith("body."):
            continue
        elif key == "upconv1.weight":
            ordered[key] = UPCONV1[scale]
        elif key != "upconv2.weight" or scale == 4:
            ordered[key] = shape
    return {k: s for w, shape in ordered.items() for k, s in ((w, shape), (w.replace("weight", "bias"), shape[:1]))}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_keys_are_basicsr(scale):
    model = msrresnet(3, 3, scale, features=8, blocks=2)
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == list(reference_keys(2, scale).items())


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_matches_basicsr(scale):
    check_against_reference(msrresnet(3, 3, scale, features=8, blocks=2), 100 + scale, 0.05, seeded_input(scale), PINNED[scale])


def test_same_initialisation_as_basicsr():
    """BasicSR's MSRResNet(3, 3, 8, 2, 4) under torch.manual_seed(0): Kaiming normal × 0.1, zero bias, in the same order."""
    torch.manual_seed(0)
    state = msrresnet(3, 3, 4, features=8, blocks=2).state_dict()
    pinned = {"conv_first.weight": 0.03002559, "body.1.conv2.weight": 0.01679007, "upconv2.weight": 0.01677259, "conv_last.weight": 0.0168332}
    assert {k: round(state[k].double().std().item(), 8) for k in pinned} == pinned
    assert not state["conv_hr.bias"].any()


def test_starts_close_to_bilinear():
    """With its small initialisation the network adds little to the bilinear skip at first."""
    torch.manual_seed(0)
    model = msrresnet(2, 2, 4, features=8, blocks=2).eval()
    x = torch.rand(1, 2, 8, 8)
    with torch.no_grad():
        gap = (model(x) - F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)).abs().mean()
    assert gap < 0.05


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_channels_and_errors(channels):
    gen = sz.build_generator("gen=msrresnet(features=8,blocks=1)", in_channels=channels, scale=3)
    with torch.no_grad():
        assert gen(torch.rand(1, channels, 5, 4)).shape == (1, channels, 15, 12)
    with pytest.raises(sz.UsageError, match=r"in_channels \(3\) must equal out_channels \(1\)"):
        sz.build_generator("gen=msrresnet", in_channels=3, out_channels=1)
    with pytest.raises(sz.UsageError, match="scale must be 2, 3 or 4"):
        sz.build_generator("gen=msrresnet", scale=8)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_detects_basicsr_files(scale):
    g = torch.Generator().manual_seed(scale)
    state = {k: torch.randn(s, generator=g) for k, s in reference_keys(2, scale).items()}
    options, converted = detect_msrresnet(state)
    assert options == {"in_channels": 3, "out_channels": 3, "scale": scale, "features": 8, "blocks": 2}
    msrresnet(**options).load_state_dict(converted, strict=True)
    assert detect_edsr(state) is None


@pytest.mark.parametrize("options", [dict(scale=4, features=64, blocks=16), dict(scale=3, features=8, blocks=1, in_channels=1, out_channels=1)])
def test_round_trip(options):
    full = {"in_channels": 3, "out_channels": 3, **options}
    with torch.device("meta"):
        state = msrresnet(**full).state_dict()
    assert detect_msrresnet(state) == (full, state)


def test_foreign_dicts_are_not_claimed():
    state = {k: torch.zeros(s) for k, s in reference_keys(1, 4).items()}
    no_hr = {k: v for k, v in state.items() if not k.startswith("conv_hr.")}
    odd_upconv = {**{k: v for k, v in state.items() if not k.startswith("upconv2.")}, "upconv1.weight": torch.zeros(40, 8, 3, 3)}
    for foreign in ({}, no_hr, odd_upconv, {**state, "body.0.conv3.weight": torch.zeros(1)}):
        assert detect_msrresnet(foreign) is None


def test_one_adam_step():
    assert_one_adam_step(sz.build_generator("gen=msrresnet(features=8,blocks=2)", in_channels=1, scale=3), 1, 3)
