"""hat by behaviour: the conformance kit, scales and channels, presets and options, any input size,
slots, and a training step."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from srzoo_hat.hat import hat

import srzoo_core as sz
from srzoo_core.errors import UsageError

TINY = {"embed_dim": 12, "depths": (1, 1), "num_heads": (2, 2), "window_size": 4, "squeeze_factor": 4, "num_feat": 8}
TINY_SPEC = 'hat(embed_dim=12,depths="1,1",num_heads=2,window_size=4,squeeze_factor=4,num_feat=8)'


def test_conformance(srzoo_conformance):
    srzoo_conformance("hat", hat=TINY)


def test_entry_module_imports_no_torch():
    code = "import sys, srzoo_hat; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_scales_and_channels():
    for scale in (2, 3, 4, 8):
        for cin, cout in ((1, 1), (2, 2), (3, 3), (3, 1)):
            model = hat(cin, cout, scale, **TINY)
            assert model(torch.rand(1, cin, 8, 12)).shape == (1, cout, 8 * scale, 12 * scale)


def test_unsupported_scale_is_refused_with_the_supported_ones():
    with pytest.raises(UsageError, match="supports scales 2, 3, 4, 8, not 5"):
        sz.build_generator(f"gen={TINY_SPEC}", scale=5)


def test_presets_and_explicit_options():
    with torch.device("meta"):
        small, large = hat(preset="hat_s"), hat(preset="hat_l")
        custom = hat(preset="hat_s", depths="2,2,2", num_heads=4, compress_ratio=12)
    assert small.conv_first.out_channels == 144 and len(small.layers) == 6
    assert small.layers[0].residual_group.blocks[0].conv_block.cab[0].out_channels == 6  # 144 / 24
    assert large.conv_first.out_channels == 180 and len(large.layers) == 12 and small.window == large.window == 16
    assert [len(layer.residual_group.blocks) for layer in custom.layers] == [2, 2, 2]
    assert custom.layers[0].residual_group.blocks[0].attn.heads == 4
    assert custom.layers[0].residual_group.blocks[0].conv_block.cab[0].out_channels == 12
    assert custom.layers[0].residual_group.overlap_attn.overlap_window == 24


@pytest.mark.parametrize("options,message", [
    ({"depths": "a"}, "depths must be"), ({"depths": (1, 1), "num_heads": (2, 2, 2)}, "one number per group"),
    ({"embed_dim": 10, "num_heads": 3}, "divisible"), ({"window_size": 6, "overlap_ratio": 0.5}, "even"),
    ({"compress_ratio": 13}, "between 1 and embed_dim"), ({"preset": "xl"}, "unknown preset"),
])
def test_bad_options_are_value_errors(options, message):
    with pytest.raises(ValueError, match=message):
        hat(**{**TINY, **options})


@pytest.mark.parametrize("size", [(16, 16), (15, 13), (5, 3), (1, 1), (4, 9)])
def test_any_input_size(size):
    model = hat(2, 2, 2, **TINY).eval()
    assert model.size_multiple == 4 and model.receptive_field == 16
    with torch.no_grad():
        assert model(torch.rand(1, 2, *size)).shape == (1, 2, 2 * size[0], 2 * size[1])


def test_odd_sizes_are_reflect_padded_to_the_window_and_cropped():
    torch.manual_seed(0)
    model = hat(1, 1, 2, **TINY).eval()
    x = torch.rand(1, 1, 15, 13)
    padded = torch.nn.functional.pad(x, (0, 3, 0, 1), mode="reflect")
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(padded)[..., :30, :26], rtol=0, atol=0)


def test_slots_hold_blocks_and_keep_the_shape():
    for blocks in ("se", "multiscale", "se+multiscale"):
        model = sz.build_generator(f"gen={TINY_SPEC}+{blocks}", in_channels=2, scale=4)
        assert model(torch.rand(1, 2, 15, 13)).shape == (1, 2, 60, 52)
    plain = set(hat(2, 2, 4, **TINY).state_dict())
    extra = set(sz.build_generator(f"gen={TINY_SPEC}+se+multiscale", in_channels=2, scale=4).state_dict()) - plain
    assert extra and all(k.startswith(("fusion.", "layers.0.attention.", "layers.1.attention.")) for k in extra)


def test_upsampler_slot_replaces_the_reconstruction():
    def upsampler(channels, scale):
        return torch.nn.Sequential(torch.nn.Upsample(scale_factor=scale), torch.nn.Conv2d(channels, channels, 3, padding=1))

    model = hat(3, 2, 6, **TINY, upsampler=upsampler)
    assert model(torch.rand(1, 3, 6, 7)).shape == (1, 2, 36, 42)
    assert not any(k.startswith("conv_before_upsample") for k in model.state_dict())


def test_mean_shift_only_for_three_channels():
    assert hat(3, 3, 2, **TINY).in_mean.flatten().tolist() == pytest.approx([0.4488, 0.4371, 0.4040])
    model = hat(2, 1, 2, **TINY)
    assert model.in_mean.abs().sum() == 0 and model.out_mean.abs().sum() == 0 and "in_mean" not in model.state_dict()


def test_one_training_step():
    torch.manual_seed(0)
    model = sz.build_generator(f"gen={TINY_SPEC}", in_channels=2, scale=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.nn.functional.l1_loss(model(torch.rand(2, 2, 12, 12)), torch.rand(2, 2, 24, 24))
    loss.backward()
    optimiser.step()
    assert torch.isfinite(loss)
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert {"conv_first.weight", "layers.1.residual_group.overlap_attn.relative_position_bias_table",
            "layers.0.residual_group.blocks.0.conv_block.cab.3.attention.1.weight"} <= changed
    assert not any(k.startswith("relative_position_index") for k in changed)
