"""rrdbnet ×1 (BasicSR's pixel-unshuffle by 4) and the published-weights detector: BasicSR files at
×1/×2/×4 and both original-ESRGAN layouts are recognised with their options and load strictly;
foreign dicts are not claimed; a file of another scale is refused with a hint naming its scale.

Reference figures come from BasicSR's ``basicsr/archs/rrdbnet_arch.py`` run in a scratch folder on
the same seeded weights and input (bit-identical to srzoo's output there)."""

from __future__ import annotations

import re

import pytest
import torch

import srzoo_core
from srzoo_core.errors import UsageError
from srzoo_esrgan.rrdbnet import rrdbnet
from srzoo_esrgan.weights import detect_rrdbnet

# BasicSR RRDBNet(3, 3, scale=1, num_feat=8, num_block=1, num_grow_ch=4): every weight in order, each followed
# by its bias of shape (out,)
REFERENCE_X1_WEIGHTS = {
    "conv_first.weight": (8, 48, 3, 3),
    "body.0.rdb1.conv1.weight": (4, 8, 3, 3), "body.0.rdb1.conv2.weight": (4, 12, 3, 3), "body.0.rdb1.conv3.weight": (4, 16, 3, 3),
    "body.0.rdb1.conv4.weight": (4, 20, 3, 3), "body.0.rdb1.conv5.weight": (8, 24, 3, 3),
    "body.0.rdb2.conv1.weight": (4, 8, 3, 3), "body.0.rdb2.conv2.weight": (4, 12, 3, 3), "body.0.rdb2.conv3.weight": (4, 16, 3, 3),
    "body.0.rdb2.conv4.weight": (4, 20, 3, 3), "body.0.rdb2.conv5.weight": (8, 24, 3, 3),
    "body.0.rdb3.conv1.weight": (4, 8, 3, 3), "body.0.rdb3.conv2.weight": (4, 12, 3, 3), "body.0.rdb3.conv3.weight": (4, 16, 3, 3),
    "body.0.rdb3.conv4.weight": (4, 20, 3, 3), "body.0.rdb3.conv5.weight": (8, 24, 3, 3),
    "conv_body.weight": (8, 8, 3, 3), "conv_up1.weight": (8, 8, 3, 3), "conv_up2.weight": (8, 8, 3, 3),
    "conv_hr.weight": (8, 8, 3, 3), "conv_last.weight": (3, 8, 3, 3),
}
REFERENCE_X1 = {k: s for w, shape in REFERENCE_X1_WEIGHTS.items() for k, s in ((w, shape), (w.replace("weight", "bias"), shape[:1]))}


def basicsr_shapes(in_ch: int, features: int, blocks: int, growth: int, scale: int) -> dict[str, tuple[int, ...]]:
    """The published key set for other options, by the rule the pinned one follows."""
    shapes = {}
    for key, shape in REFERENCE_X1.items():
        name, rdb = key.split(".")[0], re.match(r"body\.0\.(rdb\d\.conv(\d))\.", key)
        if rdb:
            out = features if rdb[2] == "5" else growth
            for n in range(blocks):
                shapes[f"body.{n}.{key[len('body.0.'):]}"] = (out, features + (int(rdb[2]) - 1) * growth, 3, 3) if len(shape) == 4 else (out,)
            continue
        out = {"conv_last": in_ch}.get(name, features)
        inp = {"conv_first": in_ch * {1: 16, 2: 4, 4: 1}[scale]}.get(name, features)
        shapes[key] = (out, inp, 3, 3) if len(shape) == 4 else (out,)
    return dict(sorted(shapes.items(), key=lambda kv: _order(kv[0])))


def _order(key: str) -> tuple:
    top = ["conv_first", "body", "conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]
    parts = key.split(".")
    return (top.index(parts[0]), *(int(p) if p.isdigit() else p for p in parts[1:-1]), parts[-1] != "weight")


def reference_state(in_ch: int = 3, features: int = 8, blocks: int = 1, growth: int = 4, scale: int = 1, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(s, generator=g) * 0.1 for k, s in basicsr_shapes(in_ch, features, blocks, growth, scale).items()}


def test_rule_gives_the_pinned_reference():
    assert list(basicsr_shapes(3, 8, 1, 4, 1).items()) == list(REFERENCE_X1.items())


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_state_dict_is_basicsr_at_every_scale(scale):
    model = rrdbnet(3, 3, scale, features=8, blocks=2, growth=4)
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == list(basicsr_shapes(3, 8, 2, 4, scale).items())


def test_x1_matches_basicsr():
    """BasicSR RRDBNet(3, 3, scale=1, num_feat=8, num_block=2, num_grow_ch=4), weights randn × 0.1 in key
    order from Generator seed 601, input rand(2, 3, 8, 12) from seed 1."""
    model = rrdbnet(3, 3, 1, features=8, blocks=2, growth=4).eval()
    g = torch.Generator().manual_seed(601)
    model.load_state_dict({k: torch.randn(v.shape, generator=g) * 0.1 for k, v in model.state_dict().items()})
    x = torch.rand(2, 3, 8, 12, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = model(x)
    assert y.shape == x.shape
    assert y.double().sum().item() == pytest.approx(51.664832, rel=1e-5)
    assert y.double().std().item() == pytest.approx(0.27015166, rel=1e-5)
    torch.testing.assert_close(y.flatten()[:: y.numel() // 4][:4], torch.tensor([0.1273146, -0.1422905, 0.1476771, -0.1086416]),
                               rtol=1e-5, atol=1e-6)


def test_x1_pads_nothing_and_refuses_sizes_it_cannot_unshuffle():
    model = rrdbnet(2, 2, 1, features=8, blocks=1, growth=4)
    assert model.size_multiple == 4 and rrdbnet(2, 2, 2, features=8, blocks=1, growth=4).size_multiple == 2
    with pytest.raises(ValueError, match="multiples of 4"):
        model(torch.rand(1, 2, 6, 8))
    assert model(torch.rand(1, 2, 8, 12)).shape == (1, 2, 8, 12)


@pytest.mark.parametrize("scale", [1, 2, 4])
@pytest.mark.parametrize("in_ch", [1, 3])
def test_detects_basicsr_files_and_loads_them_strictly(scale, in_ch):
    state = reference_state(in_ch, features=8, blocks=2, growth=4, scale=scale, seed=scale)
    options, converted = detect_rrdbnet(state)
    assert options == {"in_channels": in_ch, "out_channels": in_ch, "scale": scale, "features": 8, "blocks": 2, "growth": 4}
    rrdbnet(**options).load_state_dict(converted, strict=True)


def _original_layout(state: dict, blocks: int) -> dict:
    """BasicSR keys → the original ESRGAN repository's first layout (one nn.Sequential ``model``)."""
    top = {"conv_first": "model.0", "conv_body": f"model.1.sub.{blocks}", "conv_up1": "model.3", "conv_up2": "model.6",
           "conv_hr": "model.8", "conv_last": "model.10"}
    out = {}
    for key, value in state.items():
        if m := re.match(r"body\.(\d+)\.rdb(\d)\.(conv\d)\.(\w+)$", key):
            out[f"model.1.sub.{m[1]}.RDB{m[2]}.{m[3]}.0.{m[4]}"] = value
        else:
            name, param = key.split(".")
            out[f"{top[name]}.{param}"] = value
    return out


def _layout_2019(state: dict) -> dict:
    names = {"body": "RRDB_trunk", "conv_body": "trunk_conv", "conv_up1": "upconv1", "conv_up2": "upconv2", "conv_hr": "HRconv"}
    return {f"{names.get(k.split('.')[0], k.split('.')[0])}.{k.partition('.')[2]}".replace(".rdb", ".RDB"): v for k, v in state.items()}


@pytest.mark.parametrize("layout", [_original_layout, _layout_2019])
def test_detects_both_original_esrgan_layouts(layout):
    state = reference_state(3, features=8, blocks=2, growth=4, scale=4, seed=7)
    original = layout(state, 2) if layout is _original_layout else layout(state)
    options, converted = detect_rrdbnet(original)
    assert options == {"in_channels": 3, "out_channels": 3, "scale": 4, "features": 8, "blocks": 2, "growth": 4}
    assert converted.keys() == state.keys() and all(converted[k] is state[k] for k in state)


@pytest.mark.parametrize("options", [dict(scale=4), dict(scale=2, in_channels=1, out_channels=1), dict(scale=1, blocks=3, growth=8)])
def test_round_trip(options):
    full = {"in_channels": 3, "out_channels": 3, "features": 8, "blocks": 1, "growth": 4, **options}
    assert detect_rrdbnet(rrdbnet(**full).state_dict())[0] == full


def test_foreign_dicts_are_not_claimed():
    state = reference_state(scale=4)
    x2_old = {k: v for k, v in _original_layout(state, 1).items() if not k.startswith("model.6.")}  # one up stage
    edsr_like = {"conv_first.weight": torch.zeros(8, 3, 3, 3), "body.0.conv1.weight": torch.zeros(8, 8, 3, 3),
                 "conv_after_body.weight": torch.zeros(8, 8, 3, 3), "conv_last.weight": torch.zeros(3, 8, 3, 3)}
    extra = {**state, "conv_extra.weight": torch.zeros(1)}
    not_tensors = {"conv_first.weight": "x", "conv_body.weight": 1, "body.0.rdb1.conv1.weight": None, "conv_last.weight": []}
    for foreign in ({}, edsr_like, x2_old, extra, not_tensors, {"model.0.weight": torch.zeros(1)}):
        assert detect_rrdbnet(foreign) is None


def test_scale_mismatch_hint_names_the_files_scale(tmp_path, host):
    path = tmp_path / "RealESRGAN_x2plus.pth"
    torch.save({"params_ema": reference_state(3, features=8, blocks=1, growth=4, scale=2)}, path)
    with pytest.raises(UsageError) as info:
        srzoo_core.build_generator(f'gen=rrdbnet(features=8,blocks=1,growth=4,weights="{path}")', in_channels=3, scale=4, host=host)
    assert "the file holds a ×2 rrdbnet" in str(info.value) and "not ×4: build it with scale 2 (--scale 2)" in str(info.value)
    model = srzoo_core.build_generator(f'gen=rrdbnet(features=8,blocks=1,growth=4,weights="{path}")', in_channels=3, scale=2, host=host)
    assert model(torch.rand(1, 3, 4, 6)).shape == (1, 3, 8, 12)
