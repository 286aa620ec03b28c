"""swinir by behaviour: the conformance kit, scales and channels, presets and options, any input
size, slots, and a training step."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from srzoo_swinir.swinir import swinir

import srzoo_core as sz
from srzoo_core.errors import UsageError

TINY = {"embed_dim": 12, "depths": (1, 1), "num_heads": (2, 2), "window_size": 4, "img_size": 16, "num_feat": 8}
TINY_SPEC = 'swinir(embed_dim=12,depths="1,1",num_heads=2,window_size=4,img_size=16,num_feat=8)'


def test_conformance(srzoo_conformance):
    srzoo_conformance("swinir", swinir=TINY)
    srzoo_conformance("swinir", swinir={**TINY, "upsampling": "pixelshuffledirect"})
    # nearest_conv (×2, ×4 only) is covered by test_scales_and_channels: the kit tries every declared scale


def test_entry_module_imports_no_torch():
    code = "import sys, srzoo_swinir; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


@pytest.mark.parametrize("upsampling,scales", [("pixelshuffle", (2, 3, 4, 8)), ("pixelshuffledirect", (2, 3, 4, 8)),
                                               ("nearest_conv", (2, 4))])
def test_scales_and_channels(upsampling, scales):
    for scale in scales:
        for cin, cout in ((1, 1), (2, 2), (3, 3), (2, 1)):
            model = swinir(cin, cout, scale, **TINY, upsampling=upsampling)
            assert model(torch.rand(1, cin, 8, 12)).shape == (1, cout, 8 * scale, 12 * scale)


def test_unsupported_scales_are_refused_with_the_supported_ones():
    with pytest.raises(UsageError, match="nearest_conv upsampling supports scales 2, 4, not 3"):
        sz.build_generator(f"gen={TINY_SPEC[:-1]},upsampling=nearest_conv)", scale=3)
    with pytest.raises(UsageError, match="supports scales 2, 3, 4, 8, not 6"):
        sz.build_generator(f"gen={TINY_SPEC}", scale=6)


def test_presets_and_explicit_options():
    with torch.device("meta"):
        light = swinir(3, 3, 2, preset="lightweight")
        wider = swinir(3, 3, 2, preset="lightweight", embed_dim=24, depths="2,2", num_heads=3)
        large = swinir(3, 3, 4, preset="real_large")
    assert light.conv_first.out_channels == 60 and len(light.layers) == 4 and light.upsampling == "pixelshuffledirect"
    assert [len(layer.residual_group.blocks) for layer in light.layers] == [6] * 4
    assert wider.conv_first.out_channels == 24 and [len(layer.residual_group.blocks) for layer in wider.layers] == [2, 2]
    assert wider.layers[0].residual_group.blocks[0].attn.heads == 3 and wider.upsampling == "pixelshuffledirect"
    assert large.conv_first.out_channels == 240 and len(large.layers) == 9 and isinstance(large.conv_after_body, torch.nn.Sequential)
    assert large.layers[0].residual_group.blocks[0].attn.heads == 8


@pytest.mark.parametrize("options,message", [
    ({"depths": "6,x"}, "depths must be"), ({"depths": (1, 1), "num_heads": (2, 2, 2)}, "one number per group"),
    ({"embed_dim": 10, "num_heads": 3}, "divisible"), ({"img_size": 18}, "multiple"), ({"window_size": 1}, "at least 2"),
    ({"preset": "huge"}, "unknown preset"), ({"mlp_ratio": 0.0}, "positive"),
])
def test_bad_options_are_value_errors(options, message):
    with pytest.raises(ValueError, match=message):
        swinir(**{**TINY, **options})


def test_spec_lists_and_one_head_count():
    model = sz.build_generator('gen=swinir(embed_dim=12,depths="(2, 1)",num_heads=3,window_size=4,img_size=8)', scale=2)
    assert [len(layer.residual_group.blocks) for layer in model.layers] == [2, 1]
    assert [layer.residual_group.blocks[0].attn.heads for layer in model.layers] == [3, 3]


@pytest.mark.parametrize("size", [(16, 16), (15, 13), (5, 3), (1, 1), (4, 9)])
def test_any_input_size(size):
    model = swinir(2, 2, 2, **TINY).eval()
    assert model.size_multiple == 4 and model.receptive_field == 16
    x = torch.rand(1, 2, *size)
    with torch.no_grad():
        assert model(x).shape == (1, 2, 2 * size[0], 2 * size[1])


def test_odd_sizes_are_reflect_padded_to_the_window_and_cropped():
    torch.manual_seed(0)
    model = swinir(1, 1, 2, **{**TINY, "depths": (2,), "num_heads": 2}).eval()
    x = torch.rand(1, 1, 15, 13)
    padded = torch.nn.functional.pad(x, (0, 3, 0, 1), mode="reflect")
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(padded)[..., :30, :26], rtol=0, atol=0)


def test_slots_hold_blocks_and_keep_the_shape():
    for blocks in ("se", "multiscale", "se+multiscale"):
        model = sz.build_generator(f"gen={TINY_SPEC}+{blocks}", in_channels=2, scale=4)
        assert model(torch.rand(1, 2, 15, 13)).shape == (1, 2, 60, 52)
    plain = set(swinir(2, 2, 4, **TINY).state_dict())
    extra = set(sz.build_generator(f"gen={TINY_SPEC}+se+multiscale", in_channels=2, scale=4).state_dict()) - plain
    assert extra and all(k.startswith(("fusion.", "layers.0.attention.", "layers.1.attention.")) for k in extra)


def test_upsampler_slot_replaces_the_reconstruction():
    made = []

    def upsampler(channels, scale):
        made.append((channels, scale))
        return torch.nn.Sequential(torch.nn.Conv2d(channels, channels * scale * scale, 3, padding=1), torch.nn.PixelShuffle(scale))

    model = swinir(3, 1, 5, **TINY, upsampler=upsampler)
    assert made == [(12, 5)] and model(torch.rand(1, 3, 6, 7)).shape == (1, 1, 30, 35)
    assert not any(k.startswith("conv_before_upsample") for k in model.state_dict())


def test_mean_shift_only_for_three_channels():
    assert swinir(3, 3, 2, **TINY).in_mean.flatten().tolist() == pytest.approx([0.4488, 0.4371, 0.4040])
    model = swinir(2, 1, 2, **TINY)
    assert model.in_mean.abs().sum() == 0 and model.out_mean.abs().sum() == 0
    assert "in_mean" not in model.state_dict()  # not in the official files either


def test_one_training_step():
    torch.manual_seed(0)
    model = sz.build_generator(f"gen={TINY_SPEC}", in_channels=2, scale=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    lr, hr = torch.rand(2, 2, 12, 12), torch.rand(2, 2, 24, 24)
    loss = torch.nn.functional.l1_loss(model(lr), hr)
    loss.backward()
    optimiser.step()
    assert torch.isfinite(loss)
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert "conv_first.weight" in changed and "layers.1.residual_group.blocks.0.attn.relative_position_bias_table" in changed
    assert not any(k.endswith(("relative_position_index", "attn_mask")) for k in changed)
