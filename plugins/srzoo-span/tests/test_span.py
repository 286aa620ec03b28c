"""span: registration, contract, slots, parity with the official code, re-parameterisation, training."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from srzoo_span.span import span

import srzoo_core
from srzoo_core.registry import PluginHost

SMALL = "gen=span(features=8,blocks=2)"


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost(only={"span", "blocks"})
    host.load_entry_points()
    assert host.records["span"].status == "ok", host.records["span"].error
    return host


def test_registration(host):
    info = host.registry.get("span", "gen")
    assert info.scales == (2, 3, 4) and set(info.slots) == {"attention", "fusion", "upsampler"}
    assert [p.name for p in info.params] == ["preset", "features", "blocks", "norm", "img_range"]
    assert isinstance(info.factory, str) and info.detect_weights == "srzoo_span.weights:detect_span"


def test_entry_module_imports_no_torch():
    code = "import sys, srzoo_span; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_conformance(srzoo_conformance):
    srzoo_conformance("span", span={"features": 8, "blocks": 2})


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_output_shape(scale, channels):
    model = span(channels, channels, scale, features=8, blocks=1).eval()
    with torch.no_grad():
        assert model(torch.rand(2, channels, 7, 5)).shape == (2, channels, 7 * scale, 5 * scale)


def test_presets_and_bad_options():
    assert span().conv_1.sk.out_channels == 48 and span(preset="ch52").conv_1.sk.out_channels == 52
    assert span(preset="ch52", features=24).conv_1.sk.out_channels == 24
    assert span().receptive_field == 43 and span().size_multiple == 1
    with pytest.raises(ValueError, match="scales 2, 3, 4"):
        span(scale=8)
    with pytest.raises(ValueError, match="preset"):
        span(preset="ch64")


@pytest.mark.parametrize("block", ["se", "multiscale"])
def test_blocks_from_srzoo_blocks_fit(host, block):
    model = srzoo_core.build_generator(f"{SMALL}+{block}", in_channels=2, scale=3, host=host).eval()
    slot = {"se": "block_1.attention.", "multiscale": "fusion."}[block]
    assert any(k.startswith(slot) for k in model.state_dict())
    with torch.no_grad():
        assert model(torch.rand(1, 2, 6, 7)).shape == (1, 2, 18, 21)


def test_empty_slots_keep_the_official_keys():
    keys = list(span(features=8).state_dict())
    conv3xc = ("sk.weight", "sk.bias", "conv.0.weight", "conv.0.bias", "conv.1.weight", "conv.1.bias",
               "conv.2.weight", "conv.2.bias", "eval_conv.weight", "eval_conv.bias")
    blocks = [f"block_{b}.{c}.{k}" for b in range(1, 7) for c in ("c1_r", "c2_r", "c3_r") for k in conv3xc]
    assert keys == ([f"conv_1.{k}" for k in conv3xc] + blocks + ["conv_cat.weight", "conv_cat.bias"]
                    + [f"conv_2.{k}" for k in conv3xc] + ["upsampler.0.weight", "upsampler.0.bias"])
    assert "no_norm" in span(features=8, norm=False).state_dict() and "mean" not in span().state_dict()


# Figures from the official basicsr/archs/span_arch.py (hongyuanyu/SPAN) and traiNNer-redux's span_arch.py,
# run in /tmp on the same seeded build and input: (sum, sum of |y|, y.flatten()[[0, 777, -1]]).
OFFICIAL_X4 = {"train": (4429.232120409608, 114132.50602487475, (-5.757694721221924, -0.1750328540802002, -0.5799643993377686)),
               "eval": (4429.231879621744, 114132.50511582941, (-5.757696628570557, -0.1750333309173584, -0.5799628496170044))}
REDUX_NO_NORM = {"train": (1.066620273515582, 63.18041999451816, (-0.0010046400129795074, 0.05563949793577194, 0.08366832882165909)),
                 "eval": (1.066619141958654, 63.1804185481742, (-0.0010046381503343582, 0.05563950538635254, 0.0836682990193367))}


def _check_pins(model, x, pins, rtol):
    for mode, (total, absolute, values) in pins.items():
        model.train(mode == "train")
        with torch.no_grad():
            y = model(x).double()
        assert y.sum().item() == pytest.approx(total, rel=rtol, abs=1e-4)
        assert y.abs().sum().item() == pytest.approx(absolute, rel=rtol)
        # relative to the output's range: the fused 3×3 sums its terms in another order than the official code
        assert y.flatten()[[0, 777, -1]].tolist() == pytest.approx(values, abs=rtol * y.abs().max().item())


def test_matches_the_official_span():
    """Same seed, same construction order: the official code's weights; train mode is bit-identical,
    eval mode (fused Conv3XC) within 5e-7 of the output's range."""
    torch.manual_seed(0)
    model = span(scale=4)
    _check_pins(model, torch.rand(2, 3, 15, 13, generator=torch.Generator().manual_seed(1)), OFFICIAL_X4, 1e-6)


def test_matches_traiNNer_redux_no_norm_variant():
    torch.manual_seed(0)
    model = span(1, 1, 2, features=16, blocks=3, norm=False)
    _check_pins(model, torch.randn(2, 1, 9, 11, generator=torch.Generator().manual_seed(3)), REDUX_NO_NORM, 1e-5)


def test_eval_conv_is_recomputed_from_the_branches():
    torch.manual_seed(3)
    model = span(2, 2, 2, features=8, blocks=2)
    x = torch.randn(1, 2, 10, 9)
    with torch.no_grad():
        model.block_2.c2_r.conv[1].weight.mul_(3.0)  # as an optimizer step would
        stale = model.block_2.c2_r.eval_conv.weight.clone()
        train_out = model.train()(x)
        eval_out = model.eval()(x)
    assert not torch.equal(stale, model.block_2.c2_r.eval_conv.weight)
    torch.testing.assert_close(eval_out, train_out, rtol=1e-4, atol=1e-5)


def test_one_training_step(host):
    model = srzoo_core.build_generator(SMALL, in_channels=2, scale=2, host=host)
    fused_before = model.conv_2.eval_conv.weight.clone()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    lr, hr = torch.rand(2, 2, 8, 8), torch.rand(2, 2, 16, 16)
    loss = (model(lr) - hr).abs().mean()
    loss.backward()
    assert model.conv_2.eval_conv.weight.grad is None and model.conv_1.conv[1].weight.grad.abs().sum() > 0
    optimizer.step()
    assert torch.equal(model.conv_2.eval_conv.weight, fused_before)  # never trained, only recomputed
    with torch.no_grad():
        assert (model(lr) - hr).abs().mean() < loss
