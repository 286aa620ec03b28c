"""Tests of srzoo-example-plugin: srzoo's conformance kit, then what this plugin promises itself.

Run them with ``python -m pytest`` in this folder, installed or not.
"""

from __future__ import annotations

import pytest
import torch

import srzoo_example_plugin
from srzoo_core import PluginHost, SpecError, build_generator, build_losses, resolve
from srzoo_core.testing import check_plugin
from srzoo_example_plugin.attention import PixelAttention, pixel_attention
from srzoo_example_plugin.fft_loss import FFTL1Loss


@pytest.fixture
def host() -> PluginHost:
    """The installed plugins (srzoo-srgan provides srresnet) plus this one, loaded from source."""
    host = PluginHost()
    host.load_entry_points()
    if "example" in host.records:  # installed: its entry point already loaded it
        assert host.records["example"].status == "ok", host.records["example"].error
    else:
        host.add_plugin(srzoo_example_plugin, name="example")
    return host


def test_conformance():
    """Every component passes srzoo's checks (shapes, gradients, state dicts, bf16, loss minimum…)."""
    passed = check_plugin(srzoo_example_plugin)
    assert any(line.startswith("[block pixel_attention]") for line in passed)
    assert any(line.startswith("[loss fft_l1]") for line in passed)


def test_entry_module_registers_lazily(host):
    info = host.registry.get("pixel_attention", "block")
    assert info.factory == "srzoo_example_plugin.attention:pixel_attention"  # a string: no import until used
    assert info.slot == "attention" and info.aliases == ("pa",)
    assert host.registry.get("fft_l1", "loss").provider.plugin == "example"


def test_the_block_fills_the_attention_slot_of_every_trunk_unit(host):
    gen = build_generator("gen=srresnet(blocks=3)+pixel_attention(kernel_size=3)", in_channels=2, scale=4, host=host)
    units = [m for m in gen.modules() if isinstance(m, PixelAttention)]
    assert len(units) == 3 and units[0].gate.kernel_size == (3, 3)
    assert gen(torch.randn(1, 2, 16, 16)).shape == (1, 2, 64, 64)


def test_gate_is_in_0_1_and_per_pixel():
    block = pixel_attention(8)
    x = torch.rand(2, 8, 6, 7) + 0.5
    ratio = block(x) / x
    assert ((ratio > 0) & (ratio < 1)).all()
    assert ratio.flatten(2).std(dim=2).gt(0).all()  # unlike squeeze-excitation, the gate varies over pixels


def test_even_kernel_is_a_spec_users_error(host):
    from srzoo_core import UsageError

    with pytest.raises(UsageError, match="kernel_size must be odd"):
        build_generator("gen=srresnet(blocks=1)+pa(kernel_size=2)", host=host)


def test_spec_checks_the_loss_options(host):
    with pytest.raises(SpecError, match="expects ortho\\|forward\\|backward"):
        resolve("gen=srresnet loss=l1+fft_l1(norm=half)", host)
    terms = build_losses("loss=l1+0.1*fft_l1(norm=forward)", host=host)
    assert [(t.name, t.weight, t.role) for t in terms] == [("l1", 1.0, "pixel"), ("fft_l1", 0.1, "pixel")]


def test_fft_l1_weighs_fine_detail_like_coarse_structure():
    """An error at the highest frequency (a ±0.1 checkerboard) costs as much as one at the lowest
    (a constant 0.1 offset): each is a single Fourier coefficient of the same size."""
    loss = FFTL1Loss()
    hr = torch.zeros(1, 1, 8, 8)
    checker = (torch.arange(8)[:, None] + torch.arange(8)[None, :]) % 2 * 2.0 - 1.0
    fine = loss(0.1 * checker.view(1, 1, 8, 8), hr)
    coarse = loss(torch.full((1, 1, 8, 8), 0.1), hr)
    assert torch.allclose(fine, coarse)
    assert loss(hr, hr) == 0


def test_fft_l1_runs_under_bf16_autocast():
    sr = torch.rand(2, 3, 16, 16, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = FFTL1Loss()(sr, torch.rand(2, 3, 16, 16))
    value.backward()
    assert value.dtype == torch.float32 and torch.isfinite(sr.grad).all()


def test_entry_module_imports_no_torch():
    """`srzoo list` imports every entry module: this one must stay cheap."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(srzoo_example_plugin.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    code = "import sys, srzoo_example_plugin; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
