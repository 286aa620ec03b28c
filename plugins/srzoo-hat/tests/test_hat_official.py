"""hat against the official implementation (github.com/XPixelGroup/HAT, hat/archs/hat_arch.py): the
state-dict layout, the index buffers, outputs on seeded weights, and the published-weights detector.

The official code was run in a scratch folder (basicsr helpers stubbed, einops installed) on the
constructions in OFFICIAL; data/official_layouts.json holds its state-dict keys and shapes in
order, and PINNED the figures of its outputs (srzoo's agree to the last bit on the machine that
made them). The official network does not pad: its test model (hat_model.py) reflect-pads the
input to a multiple of the window and crops the output, which srzoo's hat does inside forward."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from srzoo_core.testing.reference import assert_magnitude_figures, seeded_weights
from srzoo_hat.detect import detect_hat
from srzoo_hat.hat import hat

OFFICIAL = {  # hat_arch.HAT(img_size=64, conv_scale=0.01, img_range=1., upsampler="pixelshuffle", **arguments)
    "small_x4": {"upscale": 4, "in_chans": 3, "window_size": 4, "embed_dim": 12, "depths": [2, 2], "num_heads": [2, 3],
                 "compress_ratio": 3, "squeeze_factor": 6, "overlap_ratio": 0.5, "mlp_ratio": 2.0, "resi_connection": "1conv"},
    "odd_x3": {"upscale": 3, "in_chans": 2, "window_size": 8, "embed_dim": 16, "depths": [3], "num_heads": [4],
               "compress_ratio": 4, "squeeze_factor": 4, "overlap_ratio": 0.25, "mlp_ratio": 1.5, "resi_connection": "identity"},
}
LAYOUTS = {name: {k: tuple(s) for k, s in keys.items()}
           for name, keys in json.loads((Path(__file__).parent / "data" / "official_layouts.json").read_text()).items()}

# Official model, weights by seeded_weights(sort_keys=True) (std 0.1, seed 0), input torch.rand(2, C, h, w) from Generator seed h*100 + w,
# reflect-padded to the window and cropped, eval, no grad: output sum, sum of |output|, flat elements FLAT.
FLAT = (0, 101, 777, 2001)
PINNED = {
    ("small_x4", 16, 16): (11867.31129913032, 67798.0266070813, (-0.7920937538146973, -3.2869253158569336, 8.739984512329102, 2.7759485244750977)),
    ("small_x4", 13, 10): (5949.821637779474, 34872.90279749036, (-1.177533507347107, 2.8817780017852783, -0.1998940408229828, 3.1226179599761963)),
    ("odd_x3", 16, 16): (2729.029894073494, 10653.383730293252, (-0.8108109831809998, 1.1253128051757812, 0.03358045220375061, -0.48910725116729736)),
    ("odd_x3", 13, 10): (1365.4005970358849, 5636.176042530686, (-0.5198918581008911, 2.1682910919189453, 0.24675364792346954, 2.3001551628112793)),
}

# The presets against the official test options (options/test/HAT-S_SRx*.yml, HAT_SRx*.yml, HAT-L_SRx*.yml):
# sha256 (first 16 hex digits) of the "key:shape" lines of the official state dict, entries, parameters
PRESET_DIGESTS = {
    ("hat_s", 2): ("9ed86c533ebb97e8", 862, 9473471), ("hat_s", 3): ("3da3e00def645d59", 862, 9658111),
    ("hat_s", 4): ("026e3466541fe6ea", 864, 9621183), ("hat", 2): ("7b5036853799afc7", 862, 20624795),
    ("hat", 3): ("e4ac58011e46424f", 862, 20809435), ("hat", 4): ("f8f290ca4bc9dd74", 864, 20772507),
    ("hat_l", 2): ("f64f15e3111cb025", 1708, 40698863), ("hat_l", 4): ("3e331895fedd553d", 1710, 40846575),
}


def srzoo_options(name: str) -> dict:
    o = OFFICIAL[name]
    return {"in_channels": o["in_chans"], "out_channels": o["in_chans"], "scale": o["upscale"], "embed_dim": o["embed_dim"],
            "depths": tuple(o["depths"]), "num_heads": tuple(o["num_heads"]), "window_size": o["window_size"],
            "compress_ratio": o["compress_ratio"], "squeeze_factor": o["squeeze_factor"], "overlap_ratio": o["overlap_ratio"],
            "mlp_ratio": o["mlp_ratio"], "resi_connection": o["resi_connection"], "num_feat": 64}


def official_file(name: str) -> dict:
    gen = torch.Generator().manual_seed(5)
    return {k: torch.zeros(s, dtype=torch.long) if k.startswith("relative_position_index") else torch.randn(s, generator=gen)
            for k, s in LAYOUTS[name].items()}


@pytest.mark.parametrize("name", list(OFFICIAL))
def test_state_dict_is_the_official_layout(name):
    model = hat(**srzoo_options(name))
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == list(LAYOUTS[name].items())


@pytest.mark.parametrize("preset,scale", list(PRESET_DIGESTS))
def test_presets_are_the_official_models(preset, scale):
    with torch.device("meta"):
        state = hat(3, 3, scale, preset=preset).state_dict()
    lines = "\n".join(f"{k}:{tuple(v.shape)}" for k, v in state.items())
    params = sum(v.numel() for v in state.values() if v.is_floating_point())
    assert (hashlib.sha256(lines.encode()).hexdigest()[:16], len(state), params) == PRESET_DIGESTS[preset, scale]


def test_index_buffers_hold_the_official_values():
    small = hat(**srzoo_options("small_x4"))
    sa, oca = small.relative_position_index_SA, small.relative_position_index_OCA
    assert sa.dtype == oca.dtype == torch.long and sa.shape == (16, 16) and oca.shape == (16, 36)
    assert sa.sum().item() == 6144 and sa[0].tolist() == [24, 23, 22, 21, 17, 16, 15, 14, 10, 9, 8, 7, 3, 2, 1, 0]
    # official: negative entries, which index the bias table from its end
    assert (oca.sum().item(), oca.min().item(), oca.max().item()) == (0, -40, 40)
    assert oca[0, :6].tolist() == [-10, -9, -8, -7, -6, -5] and oca[-1, -6:].tolist() == [5, 6, 7, 8, 9, 10]
    with torch.device("meta"):
        released = hat(3, 3, 4)  # window 16, overlap 0.5: the official buffers' figures
    oca = hat(**{**srzoo_options("small_x4"), "window_size": 16}).relative_position_index_OCA
    assert released.relative_position_index_OCA.shape == oca.shape == (256, 576)
    assert (oca.sum().item(), oca.min().item(), oca.max().item()) == (-17694720, -880, 640)


@pytest.mark.parametrize("name,h,w", list(PINNED))
def test_outputs_match_the_official_code(name, h, w):
    options = srzoo_options(name)
    model = hat(**options).eval()
    model.load_state_dict(seeded_weights(model, sort_keys=True), strict=True)
    x = torch.rand(2, options["in_channels"], h, w, generator=torch.Generator().manual_seed(h * 100 + w))
    with torch.no_grad():
        y = model(x)
    assert y.shape == (2, options["out_channels"], h * options["scale"], w * options["scale"])
    assert_magnitude_figures(y, PINNED[name, h, w], FLAT)


@pytest.mark.parametrize("name", list(OFFICIAL))
def test_detects_official_files_and_loads_them_strictly(name):
    options, to_load = detect_hat(official_file(name))
    assert options == srzoo_options(name)
    hat(**options).load_state_dict(to_load, strict=True)


def test_files_without_the_index_buffers_get_them():
    state = {k: v for k, v in official_file("small_x4").items() if not k.startswith("relative_position_index")}
    options, to_load = detect_hat(state)
    model = hat(**options)
    model.load_state_dict(to_load, strict=True)
    assert torch.equal(to_load["relative_position_index_OCA"], model.relative_position_index_OCA)
    assert torch.equal(to_load["relative_position_index_SA"], model.relative_position_index_SA)


@pytest.mark.parametrize("options", [
    {"preset": "hat_s", "scale": 4}, {"preset": "hat", "scale": 3}, {"preset": "hat_l", "scale": 2},
    {"preset": "hat_s", "scale": 8, "in_channels": 1, "out_channels": 2, "overlap_ratio": 0.25},
])
def test_round_trip_of_the_presets(options):
    with torch.device("meta"):
        model = hat(**options)
        detected, _ = detect_hat(model.state_dict())
        again = hat(**detected)
    assert {k: v.shape for k, v in again.state_dict().items()} == {k: v.shape for k, v in model.state_dict().items()}
    expected = {"in_channels": 3, "out_channels": 3, "overlap_ratio": 0.5, **options}
    assert all(detected[k] == expected[k] for k in ("in_channels", "out_channels", "scale", "overlap_ratio"))


def test_round_trip_gives_back_explicit_options():
    options = srzoo_options("odd_x3") | {"scale": 8, "in_channels": 4, "out_channels": 1, "num_feat": 8, "mlp_ratio": 1.25}
    assert detect_hat(hat(**options).state_dict())[0] == options


def test_foreign_dicts_are_not_claimed():
    state = official_file("small_x4")
    swinir_like = {k: v for k, v in state.items() if ".conv_block." not in k and "overlap_attn" not in k}
    wrong_shape = {**state, "norm.weight": torch.zeros(13)}
    extra = {**state, "conv_up1.weight": torch.zeros(64, 64, 3, 3)}
    missing = {k: v for k, v in state.items() if k != "layers.1.residual_group.overlap_attn.proj.bias"}
    not_tensors = {k: 1.5 for k in state}
    for foreign in ({}, swinir_like, wrong_shape, extra, missing, not_tensors, {"conv_first.weight": torch.zeros(1)}):
        assert detect_hat(foreign) is None
