"""edsr: BasicSR's layout and numbers, presets, channels and scales, slots, published weights.

Pinned figures: BasicSR's ``basicsr/archs/edsr_arch.py`` run in a scratch folder (torchvision and the
registry stubbed) on the same seeded weights and inputs; srzoo's output was bit-identical there."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import srzoo_core as sz
from srzoo_core.testing.reference import assert_one_adam_step, check_against_reference, seeded_input, seeded_weights
from srzoo_edsr.edsr import edsr
from srzoo_edsr.weights import detect_edsr, detect_msrresnet

# BasicSR EDSR(3, 3, num_feat=8, num_block=1, upscale=4): weights in order, each followed by its bias (out,)
REFERENCE_X4 = {"conv_first.weight": (8, 3, 3, 3), "body.0.conv1.weight": (8, 8, 3, 3), "body.0.conv2.weight": (8, 8, 3, 3),
                "conv_after_body.weight": (8, 8, 3, 3), "upsample.0.weight": (32, 8, 3, 3), "upsample.2.weight": (32, 8, 3, 3),
                "conv_last.weight": (3, 8, 3, 3)}
REFERENCE_X3_UPSAMPLE = {"upsample.0.weight": (72, 8, 3, 3)}  # ×3: one conv to 9 × features, PixelShuffle(3)
# EDSR(3, 3, num_feat=8, num_block=2, upscale=s, res_scale=r), weights randn × 0.05 from seed 100 + s, input rand(2, 3, 7, 9) seed s
PINNED = {
    (2, 1.0): (650.041705, 0.02290947, [0.4571934, 0.4287843, 0.4444286, 0.4358087]),
    (3, 1.0): (1462.08676, 0.02275777, [0.4461747, 0.4489464, 0.3900651, 0.4132593]),
    (4, 1.0): (2600.081118, 0.01926186, [0.4491802, 0.4364152, 0.4486591, 0.4401282]),
    (4, 0.1): (2600.053632, 0.01925529, [0.4491221, 0.4363429, 0.4486119, 0.4399857]),
}


def reference_keys(blocks: int = 1, scale: int = 4) -> dict[str, tuple[int, ...]]:
    weights = {k: v for k, v in REFERENCE_X4.items() if not k.startswith("upsample")}
    up = REFERENCE_X3_UPSAMPLE if scale == 3 else {k: v for k, v in REFERENCE_X4.items() if k.startswith("upsample")}
    ordered = {}
    unit = {k: v for k, v in weights.items() if k.startswith("body.0.")}
    for key, shape in weights.items():
        if key.startswith("body."):
            if key == "body.0.conv1.weight":
                ordered.update({k.replace("body.0.", f"body.{n}."): s for n in range(blocks) for k, s in unit.items()})
            continue
        if key == "conv_last.weight":
            ordered.update(up)
        ordered[key] = shape
    return {k: s for w, shape in ordered.items() for k, s in ((w, shape), (w.replace("weight", "bias"), shape[:1]))}


def test_entry_module_is_lazy_and_registers():
    """Loading the hooks (what `srzoo list` does) imports neither torch nor an architecture module."""
    code = ("import sys, srzoo_edsr; from srzoo_core.registry import PluginHost; h = PluginHost(); "
            "h.add_plugin(srzoo_edsr, name='edsr'); print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('srzoo_edsr.')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    gen = sz.get_registry().get("edsr", "gen")
    assert (gen.scales, set(gen.slots)) == ((2, 3, 4), {"body", "attention", "fusion", "upsampler"})
    assert gen.detect_weights == "srzoo_edsr.weights:detect_edsr"
    assert [p.name for p in gen.params] == ["preset", "features", "blocks", "res_scale", "img_range", "rgb_mean"]
    msr = sz.get_registry().get("msrresnet", "gen")
    assert (msr.scales, msr.detect_weights) == ((2, 3, 4), "srzoo_edsr.weights:detect_msrresnet")


def test_conformance(srzoo_conformance):
    srzoo_conformance("edsr", edsr={"features": 8, "blocks": 1}, msrresnet={"features": 8, "blocks": 1})


@pytest.mark.parametrize("scale", [3, 4])
@pytest.mark.parametrize("blocks", [1, 2])
def test_keys_are_basicsr(scale, blocks):
    model = edsr(3, 3, scale, features=8, blocks=blocks)
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == list(reference_keys(blocks, scale).items())


@pytest.mark.parametrize("scale,res_scale", list(PINNED))
def test_matches_basicsr(scale, res_scale):
    preset = "large" if res_scale == 0.1 else "baseline"  # large brings res_scale 0.1
    check_against_reference(edsr(3, 3, scale, preset=preset, features=8, blocks=2), 100 + scale, 0.05, seeded_input(scale), PINNED[scale, res_scale])


def test_same_initialisation_as_basicsr():
    """BasicSR's EDSR(3, 3, 8, 2, 4) under torch.manual_seed(0): PyTorch's default init, in the same order."""
    torch.manual_seed(0)
    state = edsr(3, 3, 4, features=8, blocks=2).state_dict()
    pinned = {"conv_first.weight": 0.10990002, "body.1.conv2.weight": 0.06624139, "upsample.2.weight": 0.06788266, "conv_last.weight": 0.06775147}
    assert {k: round(state[k].double().std().item(), 8) for k in pinned} == pinned


def test_presets_and_overrides():
    with torch.device("meta"):
        base, large, custom = edsr(), edsr(preset="large"), edsr(preset="large", blocks=4, res_scale=0.5)
    assert (base.conv_first.out_channels, len(base.body), base.body[0].res_scale) == (64, 16, 1.0)
    assert (large.conv_first.out_channels, len(large.body), large.body[0].res_scale) == (256, 32, 0.1)
    assert (custom.conv_first.out_channels, len(custom.body), custom.body[0].res_scale) == (256, 4, 0.5)
    with pytest.raises(sz.UsageError, match="scale must be 2, 3 or 4"):
        sz.build_generator("gen=edsr", scale=8)


@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_any_channels_and_scales(channels, scale):
    gen = sz.build_generator("gen=edsr(features=8,blocks=1)", in_channels=channels, scale=scale)
    with torch.no_grad():
        assert gen(torch.rand(1, channels, 5, 6)).shape == (1, channels, 5 * scale, 6 * scale)


def test_mean_shift_only_for_three_channels():
    rgb, grid, plain = edsr(3, 3, features=8, blocks=1), edsr(2, 2, features=8, blocks=1), edsr(3, 3, features=8, blocks=1, rgb_mean="none")
    assert rgb.mean_in.flatten().tolist() == pytest.approx([0.4488, 0.4371, 0.4040])
    assert not grid.mean_in.any() and not plain.mean_out.any()
    assert "mean_in" not in rgb.state_dict()  # a constant, as in BasicSR, so published files load strictly
    assert sz.build_generator("gen=edsr(features=8,blocks=1,rgb_mean=none)", scale=2).mean_in.abs().sum() == 0


def test_attention_acts_on_the_branch_before_res_scale():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(x)
            return torch.zeros_like(x)  # silences the branch: each block becomes the identity

    model = edsr(3, 3, 2, features=8, blocks=2, res_scale=0.5, attention=lambda c: Probe()).eval()
    plain = edsr(3, 3, 2, features=8, blocks=2, res_scale=0.5).eval()
    plain.load_state_dict(model.state_dict(), strict=False)
    x = seeded_input(1)
    with torch.no_grad():
        model(x)
        first = plain.conv_first((x - plain.mean_in) * 255.0)
        block = plain.body[0]
        assert torch.allclose(seen[0], block.conv2(block.relu(block.conv1(first))))  # the branch, unscaled
    assert len(seen) == 2


@pytest.mark.parametrize("name,scale", [("edsr", 3), ("msrresnet", 4)])
def test_se_and_multiscale_slots(name, scale):
    gen = sz.build_generator(f"gen={name}(features=16,blocks=2)+se(reduction=4)+multiscale", in_channels=2, scale=scale)
    keys = gen.state_dict().keys()
    assert any(k.startswith("body.1.attention.") for k in keys) and any(k.startswith("fusion.") for k in keys)
    with torch.no_grad():
        assert gen(torch.rand(1, 2, 6, 5)).shape == (1, 2, 6 * scale, 5 * scale)


def published(blocks: int = 2, scale: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(s, generator=g) * 0.05 for k, s in reference_keys(blocks, scale).items()}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_detects_basicsr_files(scale):
    state = published(2, scale)
    if scale == 2:
        state = {k: v for k, v in state.items() if not k.startswith("upsample.2.")}
    options, converted = detect_edsr(state)
    assert options == {"in_channels": 3, "out_channels": 3, "scale": scale, "features": 8, "blocks": 2, "res_scale": 1.0}
    edsr(**options).load_state_dict(converted, strict=True)
    assert detect_msrresnet(state) is None


def to_edsr_pytorch(state: dict[str, torch.Tensor], blocks: int, rgb_range: float = 255.0) -> dict[str, torch.Tensor]:
    """BasicSR keys → EDSR-PyTorch's (the inverse of BasicSR's convert_edsr), with its mean-shift convs."""
    out = {}
    for key, value in state.items():
        key = key.replace("conv_first.", "head.0.").replace("conv_after_body.", f"body.{blocks}.").replace("upsample.", "tail.0.")
        key = key.replace("conv_last.", "tail.1.").replace(".conv1.", ".body.0.").replace(".conv2.", ".body.2.")
        out[key] = value
    mean = torch.tensor([0.4488, 0.4371, 0.4040])
    for name, sign in (("sub_mean", -1), ("add_mean", 1)):
        out[f"{name}.weight"], out[f"{name}.bias"] = torch.eye(3).view(3, 3, 1, 1), sign * rgb_range * mean
    return out


def test_detects_edsr_pytorch_files_as_basicsr_converts_them():
    state = published(2, 4, seed=3)
    original = to_edsr_pytorch(state, 2)
    assert "body.2.weight" in original and "tail.0.2.bias" in original and "body.1.body.2.weight" in original
    options, converted = detect_edsr(original)
    assert options == {"in_channels": 3, "out_channels": 3, "scale": 4, "features": 8, "blocks": 2, "res_scale": 1.0}
    assert converted.keys() == state.keys() and all(converted[k] is state[k] for k in state)
    options, _ = detect_edsr(to_edsr_pytorch(state, 2, rgb_range=1.0))
    assert options["img_range"] == 1.0


@pytest.mark.parametrize("options", [dict(scale=4, features=8, blocks=2, res_scale=1.0), dict(scale=3, features=16, blocks=1, res_scale=1.0),
                                     dict(scale=2, features=256, blocks=32, res_scale=0.1)])
@pytest.mark.parametrize("channels", [1, 3])
def test_round_trip(options, channels):
    full = {"in_channels": channels, "out_channels": channels, **options}
    with torch.device("meta"):
        state = edsr(**full).state_dict()
    assert detect_edsr(state) == (full, state)


def test_foreign_dicts_are_not_claimed():
    rrdb_like = {"conv_first.weight": torch.zeros(8, 3, 3, 3), "body.0.rdb1.conv1.weight": torch.zeros(4, 8, 3, 3),
                 "conv_body.weight": torch.zeros(8, 8, 3, 3), "conv_last.weight": torch.zeros(3, 8, 3, 3)}
    extra = {**published(), "conv_hr.weight": torch.zeros(8, 8, 3, 3)}
    wrong_shape = {**published(), "body.1.conv2.weight": torch.zeros(8, 8, 1, 1)}
    rcan_original = {"head.0.weight": torch.zeros(8, 3, 3, 3), "body.0.body.0.body.0.weight": torch.zeros(8, 8, 3, 3),
                     "tail.1.weight": torch.zeros(3, 8, 3, 3)}
    for foreign in ({}, rrdb_like, extra, wrong_shape, rcan_original, {"conv_first.weight": "x", "upsample.0.weight": 3}):
        assert detect_edsr(foreign) is None


def test_one_adam_step():
    assert_one_adam_step(sz.build_generator("gen=edsr(features=8,blocks=2)+se(reduction=4)", in_channels=2, scale=2), 2, 2)


def test_seeded_weights_fill_every_key():
    model = edsr(3, 3, 2, features=8, blocks=1)
    assert seeded_weights(model, 0, 1.0).keys() == model.state_dict().keys()
