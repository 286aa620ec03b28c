"""rcan: BasicSR's layout, initialisation and numbers; defaults; slots; published weights (BasicSR's
and the original RCAN repository's layouts).

Pinned figures: BasicSR's ``basicsr/archs/rcan_arch.py`` run in a scratch folder (torchvision and the
registry stubbed) on the same seeded weights and inputs; srzoo's output was bit-identical there. The
original repository's model (``RCAN_TestCode/code/model/rcan.py``) on ×255 inputs agreed with
srzoo's on the detected, renamed weights to 1.6e-7 relative."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import srzoo_core as sz
from srzoo_core.testing.reference import assert_one_adam_step, check_against_reference, seeded_input
from srzoo_rcan.rcan import ChannelAttention, rcan
from srzoo_rcan.weights import detect_rcan

# BasicSR RCAN(3, 3, num_feat=16, num_group=1, num_block=1, squeeze_factor=4, upscale=3): weights in order,
# each followed by its bias (out,)
REFERENCE_X3 = {
    "conv_first.weight": (16, 3, 3, 3), "body.0.residual_group.0.rcab.0.weight": (16, 16, 3, 3),
    "body.0.residual_group.0.rcab.2.weight": (16, 16, 3, 3), "body.0.residual_group.0.rcab.3.attention.1.weight": (4, 16, 1, 1),
    "body.0.residual_group.0.rcab.3.attention.3.weight": (16, 4, 1, 1), "body.0.conv.weight": (16, 16, 3, 3),
    "conv_after_body.weight": (16, 16, 3, 3), "upsample.0.weight": (144, 16, 3, 3), "conv_last.weight": (3, 16, 3, 3),
}
# RCAN(3, 3, 16, num_group=2, num_block=2, squeeze_factor=4, upscale=s), weights randn × 0.05 from seed 200 + s,
# input rand(2, 3, 7, 9) from seed s
PINNED = {
    2: (650.279544, 0.03338474, [0.4603674, 0.4482388, 0.4303129, 0.4377832]),
    3: (1464.283346, 0.03704143, [0.4377416, 0.4172577, 0.4086139, 0.3919001]),
    4: (2601.609476, 0.02497785, [0.4510748, 0.4463293, 0.4495052, 0.4489457]),
}
SMALL = dict(features=16, groups=2, blocks=2, reduction=4)


def reference_keys(groups: int, blocks: int, scale: int, features: int = 16) -> dict[str, tuple[int, ...]]:
    """The pinned ×3 key set grown to ``groups`` × ``blocks`` and to ×2 / ×4 (n × (conv to 4 × features, shuffle))."""
    rcab = {k.removeprefix("body.0.residual_group.0."): v for k, v in REFERENCE_X3.items() if ".residual_group." in k}
    weights = {"conv_first.weight": REFERENCE_X3["conv_first.weight"]}
    for g in range(groups):
        weights.update({f"body.{g}.residual_group.{b}.{k}": v for b in range(blocks) for k, v in rcab.items()})
        weights[f"body.{g}.conv.weight"] = REFERENCE_X3["body.0.conv.weight"]
    weights["conv_after_body.weight"] = REFERENCE_X3["conv_after_body.weight"]
    if scale == 3:
        weights["upsample.0.weight"] = REFERENCE_X3["upsample.0.weight"]
    else:
        weights.update({f"upsample.{2 * i}.weight": (4 * features, features, 3, 3) for i in range(scale.bit_length() - 1)})
    weights["conv_last.weight"] = REFERENCE_X3["conv_last.weight"]
    return {k: s for w, shape in weights.items() for k, s in ((w, shape), (w.replace("weight", "bias"), shape[:1]))}


def test_entry_module_is_lazy_and_registers():
    """Loading the hooks (what `srzoo list` does) imports neither torch nor an architecture module."""
    code = ("import sys, srzoo_rcan; from srzoo_core.registry import PluginHost; h = PluginHost(); "
            "h.add_plugin(srzoo_rcan, name='rcan'); print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('srzoo_rcan.')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    gen = sz.get_registry().get("rcan", "gen")
    assert (gen.scales, set(gen.slots)) == ((2, 3, 4), {"body", "attention", "fusion", "upsampler"})
    assert gen.detect_weights == "srzoo_rcan.weights:detect_rcan"
    assert [p.name for p in gen.params] == ["features", "groups", "blocks", "reduction", "res_scale", "img_range", "rgb_mean"]


def test_conformance(srzoo_conformance):
    srzoo_conformance("rcan", rcan={"features": 16, "groups": 1, "blocks": 1, "reduction": 4})


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_keys_are_basicsr(scale):
    model = rcan(3, 3, scale, **SMALL)
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == list(reference_keys(2, 2, scale).items())


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_matches_basicsr(scale):
    check_against_reference(rcan(3, 3, scale, **SMALL), 200 + scale, 0.05, seeded_input(scale), PINNED[scale])


def test_same_initialisation_as_basicsr():
    torch.manual_seed(0)
    state = rcan(3, 3, 4, **SMALL).state_dict()
    pinned = {"conv_first.weight": 0.111045, "body.1.residual_group.1.rcab.3.attention.3.weight": 0.2877196,
              "body.1.conv.weight": 0.04798991, "upsample.2.weight": 0.04790463}
    assert {k: round(state[k].double().std().item(), 8) for k in pinned} == pinned


def test_defaults_are_the_published_model():
    with torch.device("meta"):
        model = rcan()
    assert len(model.body) == 10 and all(len(group.residual_group) == 20 for group in model.body)
    assert model.conv_first.out_channels == 64
    assert model.body[0].residual_group[0].rcab[3].attention[1].out_channels == 4  # 64 // 16


@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_any_channels_and_scales(channels, scale):
    gen = sz.build_generator("gen=rcan(features=16,groups=1,blocks=1)", in_channels=channels, scale=scale)
    with torch.no_grad():
        assert gen(torch.rand(1, channels, 5, 6)).shape == (1, channels, 5 * scale, 6 * scale)
    assert bool(gen.mean_in.any()) == (channels == 3)


def test_unsupported_options():
    with pytest.raises(sz.UsageError, match="scale must be 2, 3 or 4"):
        sz.build_generator("gen=rcan", scale=8)
    with pytest.raises(sz.UsageError, match="groups=0"):
        sz.build_generator("gen=rcan(groups=0)")


def test_se_replaces_the_channel_attention():
    """rcan+se: squeeze-excitation takes channel attention's place in every RCAB (the same computation
    at the same reduction, so the parameter count does not change)."""
    plain = sz.build_generator("gen=rcan(features=16,groups=2,blocks=2)", scale=2)
    with_se = sz.build_generator("gen=rcan(features=16,groups=2,blocks=2)+se(reduction=16)", scale=2)
    assert not any(isinstance(m, ChannelAttention) for m in with_se.modules())
    assert sum(isinstance(m, ChannelAttention) for m in plain.modules()) == 4
    assert sz.count_parameters(with_se) == sz.count_parameters(plain)
    assert all(type(group.residual_group[b].rcab[3]).__name__ == "SqueezeExcitation" for group in with_se.body for b in range(2))
    with torch.no_grad():
        assert with_se(torch.rand(1, 3, 6, 6)).shape == (1, 3, 12, 12)


def test_body_and_fusion_slots():
    model = rcan(2, 2, 4, features=8, groups=2, blocks=3, reduction=4, body=lambda c: nn.Conv2d(c, c, 1),
                 fusion=lambda c: nn.Conv2d(c, c, 3, padding=1))
    assert all(isinstance(u, nn.Conv2d) and u.kernel_size == (1, 1) for g in model.body for u in g.residual_group)
    assert all(hasattr(g, "conv") for g in model.body) and "fusion.weight" in model.state_dict()
    gen = sz.build_generator("gen=rcan(features=16,groups=1,blocks=1)+multiscale", in_channels=2, scale=3)
    with torch.no_grad():
        assert gen(torch.rand(1, 2, 5, 4)).shape == (1, 2, 15, 12)


def published(groups: int = 2, blocks: int = 2, scale: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(s, generator=g) * 0.05 for k, s in reference_keys(groups, blocks, scale).items()}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_detects_basicsr_files(scale):
    state = published(2, 3, scale)
    options, converted = detect_rcan(state)
    assert options == {"in_channels": 3, "out_channels": 3, "scale": scale, "features": 16, "groups": 2, "blocks": 3, "reduction": 4}
    rcan(**options).load_state_dict(converted, strict=True)


def to_original(state: dict[str, torch.Tensor], groups: int, blocks: int, rgb_range: float = 255.0) -> dict[str, torch.Tensor]:
    """BasicSR keys → the original repository's (the inverse of BasicSR's convert_rcan_model), with its mean-shift convs."""
    out = {}
    for key, value in state.items():
        parts = key.split(".")
        if ".residual_group." in key:
            g, b, layer = parts[1], parts[3], parts[5]
            tail = f"3.conv_du.{int(parts[7]) - 1}.{parts[8]}" if "attention" in key else f"{layer}.{parts[6]}"
            key = f"body.{g}.body.{b}.body.{tail}"
        elif parts[0] == "body":
            key = f"body.{parts[1]}.body.{blocks}.{parts[3]}"
        else:
            key = {"conv_first": "head.0", "conv_after_body": f"body.{groups}", "conv_last": "tail.1"}.get(parts[0], f"tail.0.{parts[1]}")
            key += "." + parts[-1]
        out[key] = value
    mean = torch.tensor([0.4488, 0.4371, 0.4040])
    for name, sign in (("sub_mean", -1), ("add_mean", 1)):
        out[f"{name}.weight"], out[f"{name}.bias"] = torch.eye(3).view(3, 3, 1, 1), sign * rgb_range * mean
    return out


def test_detects_original_rcan_files_as_basicsr_converts_them():
    state = published(2, 3, 4, seed=5)
    original = to_original(state, 2, 3)
    assert {"body.1.body.2.body.3.conv_du.2.weight", "body.1.body.3.weight", "body.2.bias", "tail.0.2.weight"} <= original.keys()
    options, converted = detect_rcan(original)
    assert options == {"in_channels": 3, "out_channels": 3, "scale": 4, "features": 16, "groups": 2, "blocks": 3, "reduction": 4}
    assert converted.keys() == state.keys() and all(converted[k] is state[k] for k in state)
    assert detect_rcan(to_original(state, 2, 3, rgb_range=1.0))[0]["img_range"] == 1.0


@pytest.mark.parametrize("options", [dict(scale=4), dict(scale=3, groups=1, blocks=5, in_channels=2, out_channels=2),
                                     dict(scale=2, features=32, reduction=8, groups=2, blocks=3)])
def test_round_trip(options):
    full = {"in_channels": 3, "out_channels": 3, "features": 64, "groups": 10, "blocks": 20, "reduction": 16, **options}
    with torch.device("meta"):
        state = rcan(**full).state_dict()
    assert detect_rcan(state) == (full, state)


def test_foreign_dicts_are_not_claimed():
    edsr_like = {"conv_first.weight": torch.zeros(16, 3, 3, 3), "body.0.conv1.weight": torch.zeros(16, 16, 3, 3),
                 "conv_after_body.weight": torch.zeros(16, 16, 3, 3), "upsample.0.weight": torch.zeros(64, 16, 3, 3),
                 "conv_last.weight": torch.zeros(3, 16, 3, 3)}
    edsr_original = {"head.0.weight": torch.zeros(16, 3, 3, 3), "body.0.body.0.weight": torch.zeros(16, 16, 3, 3),
                     "body.0.body.2.weight": torch.zeros(16, 16, 3, 3), "body.1.weight": torch.zeros(16, 16, 3, 3),
                     "tail.0.0.weight": torch.zeros(64, 16, 3, 3), "tail.1.weight": torch.zeros(3, 16, 3, 3)}
    ragged = {k: v for k, v in published(2, 3).items() if not k.startswith("body.1.residual_group.2.")}
    for foreign in ({}, edsr_like, edsr_original, ragged, {**published(), "extra.weight": torch.zeros(1)}, {"head.0.weight": 1, "tail.1.weight": 2}):
        assert detect_rcan(foreign) is None


def test_one_adam_step():
    assert_one_adam_step(sz.build_generator("gen=rcan(features=16,groups=2,blocks=2)+se(reduction=4)", in_channels=2, scale=2), 2, 2)
