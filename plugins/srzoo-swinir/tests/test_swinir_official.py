"""swinir against the official implementation (github.com/JingyunLiang/SwinIR, models/network_swinir.py):
the state-dict layout, outputs on seeded weights, and the published-weights detector.

The official code was run in a scratch folder (timm helpers stubbed) on the constructions in
OFFICIAL; data/official_layouts.json holds its state-dict keys and shapes in order, and
PINNED the figures of its outputs (srzoo's agree to the last bit on the machine that made them)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from srzoo_core.testing.reference import assert_magnitude_figures, seeded_weights
from srzoo_swinir.detect import detect_swinir
from srzoo_swinir.swinir import swinir

OFFICIAL = {  # network_swinir.SwinIR(**arguments)
    "ps_x4": {"upscale": 4, "in_chans": 3, "img_size": 16, "window_size": 4, "depths": [2, 2], "embed_dim": 12,
              "num_heads": [2, 3], "mlp_ratio": 2.0, "upsampler": "pixelshuffle", "resi_connection": "1conv"},
    "direct_x3": {"upscale": 3, "in_chans": 1, "img_size": 8, "window_size": 4, "depths": [3], "embed_dim": 12,
                  "num_heads": [4], "mlp_ratio": 1.5, "upsampler": "pixelshuffledirect", "resi_connection": "1conv"},
    "nearest_x2": {"upscale": 2, "in_chans": 3, "img_size": 16, "window_size": 4, "depths": [2, 1], "embed_dim": 16,
                   "num_heads": [2, 2], "mlp_ratio": 2.0, "upsampler": "nearest+conv", "resi_connection": "3conv"},
}
UPSAMPLING = {"pixelshuffle": "pixelshuffle", "pixelshuffledirect": "pixelshuffledirect", "nearest+conv": "nearest_conv"}
LAYOUTS = {name: {k: tuple(s) for k, s in keys.items()}
           for name, keys in json.loads((Path(__file__).parent / "data" / "official_layouts.json").read_text()).items()}

# Official model, weights by seeded_weights(sort_keys=True, keep=("attn_mask",)) (std 0.1, seed 0), input torch.rand(2, C, h, w) from Generator seed h*100 + w,
# eval, no grad: output sum, sum of |output|, and the output's flat elements FLAT.
FLAT = (0, 101, 777, 2001)
PINNED = {
    ("ps_x4", 16, 16): (-116.25624778866768, 74505.32106301188, (-1.0622478723526, 4.820322036743164, -0.11605259776115417, 2.725825309753418)),
    ("ps_x4", 13, 10): (-96.46094228327274, 40243.62792174518, (-0.799185037612915, -0.569749116897583, 0.7386943101882935, 3.1846725940704346)),
    ("direct_x3", 16, 16): (-297.43653552327305, 657.7118329023942, (-0.08608193695545197, 0.10028628259897232, 0.08626579493284225, -0.14437155425548553)),
    ("direct_x3", 13, 10): (-160.6553207184188, 331.8560734973289, (-0.057155441492795944, -0.2763587236404419, 0.03228430077433586, -0.3519168496131897)),
    ("nearest_x2", 16, 16): (6572.3128907084465, 10958.150188028812, (0.6521692872047424, 2.888498306274414, 5.161386013031006, 1.2563278675079346)),
    ("nearest_x2", 13, 10): (3215.6015514582396, 5378.848202750087, (1.2436347007751465, 2.6689395904541016, 2.749316692352295, 3.9534764289855957)),
}

# The presets against the official define_model() of main_test_swinir.py: sha256 (first 16 hex digits)
# of the "key:shape" lines of the official state dict, its number of entries and of parameters
PRESET_DIGESTS = {
    ("classical", 2): ("8e50bafc68fde25c", 548, 11752487), ("classical", 4): ("353e010c43c43e45", 550, 11900199),
    ("lightweight", 2): ("b335126ddf6666f6", 366, 910152), ("lightweight", 4): ("6ec6654ac2cebacd", 366, 929628),
    ("real", 2): ("a62b316800921e71", 550, 11678631), ("real", 4): ("078c54a99bc1b188", 552, 11715559),
    ("real_large", 2): ("21d4adb5fa5243ac", 857, 27976131), ("real_large", 4): ("9864438e2cfd326d", 859, 28013059),
}


def srzoo_options(name: str) -> dict:
    official = OFFICIAL[name]
    return {"in_channels": official["in_chans"], "out_channels": official["in_chans"], "scale": official["upscale"],
            "upsampling": UPSAMPLING[official["upsampler"]], "num_feat": 64, "embed_dim": official["embed_dim"],
            "depths": tuple(official["depths"]), "num_heads": tuple(official["num_heads"]),
            "window_size": official["window_size"], "mlp_ratio": official["mlp_ratio"],
            "resi_connection": official["resi_connection"], "img_size": official["img_size"]}


def official_file(name: str) -> dict:
    """A state dict in the official layout: random floats, index buffers and masks with valid values."""
    gen = torch.Generator().manual_seed(5)
    return {k: torch.zeros(s, dtype=torch.long) if k.endswith("relative_position_index") else
            torch.zeros(s) if k.endswith("attn_mask") else torch.randn(s, generator=gen) for k, s in LAYOUTS[name].items()}


@pytest.mark.parametrize("name", list(OFFICIAL))
def test_state_dict_is_the_official_layout(name):
    model = swinir(**srzoo_options(name))
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == list(LAYOUTS[name].items())


@pytest.mark.parametrize("preset,scale", list(PRESET_DIGESTS))
def test_presets_are_the_official_models(preset, scale):
    with torch.device("meta"):
        state = swinir(3, 3, scale, preset=preset).state_dict()
    lines = "\n".join(f"{k}:{tuple(v.shape)}" for k, v in state.items())
    params = sum(v.numel() for k, v in state.items() if v.is_floating_point() and not k.endswith("attn_mask"))
    assert (hashlib.sha256(lines.encode()).hexdigest()[:16], len(state), params) == PRESET_DIGESTS[preset, scale]


def test_buffers_hold_the_official_values():
    model = swinir(**srzoo_options("ps_x4"))
    index = model.layers[0].residual_group.blocks[0].attn.relative_position_index
    assert index.dtype == torch.long and index.shape == (16, 16)
    # official: (dy + 3) * 7 + (dx + 3) for the offsets between tokens of a 4×4 window, row-major
    assert index[0].tolist() == [24, 23, 22, 21, 17, 16, 15, 14, 10, 9, 8, 7, 3, 2, 1, 0]
    assert index.sum().item() == 24 * 256 and torch.equal(index, index.flip(0).flip(1).T)
    mask = model.layers[0].residual_group.blocks[1].attn_mask
    assert mask.shape == (16, 16, 16) and set(mask.unique().tolist()) == {-100.0, 0.0}
    # unmasked pairs: 9 windows of one region (9 · 16²), 6 edge windows of two halves (6 · 2 · 8²),
    # the corner window of four quarters (4 · 4²)
    assert (mask == 0).sum().item() == 9 * 256 + 6 * 128 + 64
    assert model.layers[0].residual_group.blocks[0].attn_mask is None


@pytest.mark.parametrize("name,h,w", list(PINNED))
def test_outputs_match_the_official_code(name, h, w):
    """16×16 uses the stored masks (img_size 16), 13×10 is padded and gets masks made for its size."""
    options = srzoo_options(name)
    model = swinir(**options).eval()
    model.load_state_dict(seeded_weights(model, sort_keys=True, keep=("attn_mask",)), strict=True)
    x = torch.rand(2, options["in_channels"], h, w, generator=torch.Generator().manual_seed(h * 100 + w))
    with torch.no_grad():
        y = model(x)
    assert y.shape == (2, options["out_channels"], h * options["scale"], w * options["scale"])
    assert_magnitude_figures(y, PINNED[name, h, w], FLAT)


@pytest.mark.parametrize("name", list(OFFICIAL))
def test_detects_official_files_and_loads_them_strictly(name):
    state = official_file(name)
    options, to_load = detect_swinir(state)
    assert options == srzoo_options(name)
    swinir(**options).load_state_dict(to_load, strict=True)


def test_files_without_the_computed_buffers_get_them():
    state = {k: v for k, v in official_file("ps_x4").items() if not k.endswith(("relative_position_index", "attn_mask"))}
    options, to_load = detect_swinir(state)
    assert options == {**srzoo_options("ps_x4"), "img_size": 64}  # no mask to read it from: the official default
    model = swinir(**options)
    model.load_state_dict(to_load, strict=True)
    for key, value in model.state_dict().items():
        if key.endswith(("relative_position_index", "attn_mask")):
            assert torch.equal(to_load[key], value), key


@pytest.mark.parametrize("options", [
    {"preset": "classical", "scale": 4, "img_size": 48}, {"preset": "lightweight", "scale": 2}, {"preset": "real", "scale": 2},
    {"preset": "real_large", "scale": 4}, {"preset": "classical", "scale": 3, "in_channels": 1, "out_channels": 2},
    {"preset": "lightweight", "scale": 8, "in_channels": 2, "out_channels": 2, "mlp_ratio": 1.7},
])
def test_round_trip(options):
    with torch.device("meta"):
        model = swinir(**options)
        detected, _ = detect_swinir(model.state_dict())
        again = swinir(**detected)
    assert {k: v.shape for k, v in again.state_dict().items()} == {k: v.shape for k, v in model.state_dict().items()}
    cfg = {"in_channels": 3, "out_channels": 3, **options}
    assert {k: detected[k] for k in ("in_channels", "out_channels", "scale")} == {k: cfg[k] for k in ("in_channels", "out_channels", "scale")}
    assert int(detected["embed_dim"] * detected["mlp_ratio"]) == int(detected["embed_dim"] * options.get("mlp_ratio", 2.0))


def test_round_trip_gives_back_explicit_options():
    options = srzoo_options("nearest_x2") | {"scale": 4, "in_channels": 2, "out_channels": 1, "num_feat": 8}
    assert detect_swinir(swinir(**options).state_dict())[0] == options


def test_foreign_dicts_are_not_claimed():
    state = official_file("ps_x4")
    hat_like = {**state, "layers.0.residual_group.blocks.0.conv_block.cab.0.weight": torch.zeros(4, 12, 3, 3)}
    denoiser = {k: v for k, v in state.items() if not k.startswith(("conv_before_upsample", "upsample"))}
    denoiser["conv_last.weight"] = torch.zeros(3, 12, 3, 3)
    wrong_shape = {**state, "norm.weight": torch.zeros(13)}
    extra = {**state, "absolute_pos_embed": torch.zeros(1, 256, 12)}
    missing = {k: v for k, v in state.items() if k != "layers.1.conv.bias"}
    rrdbnet_like = {"conv_first.weight": torch.zeros(8, 3, 3, 3), "body.0.rdb1.conv1.weight": torch.zeros(4, 8, 3, 3)}
    not_tensors = {k: "x" for k in state}
    for foreign in ({}, hat_like, denoiser, wrong_shape, extra, missing, rrdbnet_like, not_tensors):
        assert detect_swinir(foreign) is None
