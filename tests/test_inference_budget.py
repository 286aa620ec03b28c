"""Tiles from a memory budget, the overlap from the receptive field, and the inference fast path
(srzoo_core.training.tiling, srzoo_core.training.inference) — and their ``srzoo upscale`` options."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from srzoo_core.errors import UsageError
from srzoo_core.training import inference, tiling
from srzoo_core.training.inference import resolve_precision, upscale_tiled
from srzoo_core.training.tiling import (
    SAFETY,
    MemoryEstimate,
    overlap_for,
    parse_memory,
    plan_tiles,
)
from tests.test_inference import ConvStack, make_checkpoint

MIB = 2 ** 20


@pytest.fixture
def stack() -> ConvStack:
    torch.manual_seed(0)
    return ConvStack(depth=4).eval()


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch):
    """``machine(available_bytes)``: what the default budget (half of it) sees."""
    return lambda available: monkeypatch.setattr(tiling, "available_memory", lambda device: available)


def _estimate(per_pixel: float = 1000.0, fixed: float = 0.0, channels: int = 3) -> MemoryEstimate:
    return MemoryEstimate(fixed, per_pixel, channels, "test")


@pytest.mark.parametrize("text,expected", [("2GiB", 2 * 1024 ** 3), ("512MiB", 512 * MIB), ("1.5G", int(1.5 * 1024 ** 3)),
                                           ("800MB", 800 * 1000 ** 2), ("64k", 65536), ("4096", 4096), (3 * MIB, 3 * MIB)])
def test_memory_sizes_are_read_in_binary_and_decimal_units(text, expected) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text,message", [("lots", "not an amount of memory"), ("2 GiBs", "not an amount of memory"),
                                          ("0", "more than 0"), ("-1G", "not an amount of memory")])
def test_bad_memory_sizes_are_usage_errors(text, message) -> None:
    with pytest.raises(UsageError, match=message):
        parse_memory(text)


def test_an_input_that_fits_runs_untiled_with_as_many_images_per_pass_as_fit() -> None:
    estimate = _estimate(per_pixel=1000.0)
    plan = plan_tiles(4, 100, 100, estimate, budget=int(SAFETY * 1000 * 100 * 100 * 2.5), overlap=16, reserved=0, explicit=True)
    assert not plan.tiled and plan.batch == 2 and plan.tiles == 1
    assert plan.estimate <= plan.budget


def test_a_large_input_gets_the_fewest_tiles_that_fit_the_budget() -> None:
    estimate = _estimate(per_pixel=1000.0, fixed=50_000.0)
    budget, reserved = 400 * MIB, 100 * MIB
    plan = plan_tiles(1, 1000, 700, estimate, budget, overlap=32, reserved=reserved, explicit=True)
    fit = int(((budget - reserved) / SAFETY - 50_000) / 1000)  # pixels one pass may hold
    assert plan.tiled and plan.tile_h * plan.tile_w <= fit
    assert plan.estimate <= budget
    rows = len(tiling.tile_layout(1000, plan.tile_h, 32)[1])
    cols = len(tiling.tile_layout(700, plan.tile_w, 32)[1])
    assert rows * cols == plan.tiles
    # no square tiling of at most `fit` pixels needs fewer tiles
    side = int(fit ** 0.5)
    square = len(tiling.tile_layout(1000, side, 32)[1]) * len(tiling.tile_layout(700, side, 32)[1])
    assert plan.tiles <= square


def test_a_wide_strip_is_cut_along_its_long_side_only() -> None:
    plan = plan_tiles(1, 40, 5000, _estimate(per_pixel=100.0), budget=int(SAFETY * 100 * 40 * 2000), overlap=16, reserved=0,
                      explicit=True)
    assert plan.tiled and plan.tile_h == 40 and plan.tiles == 3


def test_a_stated_budget_too_small_is_a_usage_error_and_the_default_runs_the_smallest_tile() -> None:
    estimate = _estimate(per_pixel=1000.0)
    with pytest.raises(UsageError, match="too small") as caught:
        plan_tiles(1, 500, 500, estimate, budget=2 * MIB, overlap=32, reserved=MIB, explicit=True)
    assert "for the output" in caught.value.message and "--max-memory" in caught.value.hint
    plan = plan_tiles(1, 500, 500, estimate, budget=2 * MIB, overlap=32, reserved=MIB, explicit=False)
    assert plan.tiled and not plan.fits and (plan.tile_h, plan.tile_w) == (64, 64)


def test_an_upper_bound_that_does_not_fit_is_refined_before_tiling() -> None:
    bound = MemoryEstimate(0.0, 3000.0, 3, "test", floor=0.0, exact=False)
    exact = _estimate(per_pixel=1000.0)
    budget = int(SAFETY * 1000 * 200 * 200 * 1.2)
    plan = plan_tiles(1, 200, 200, bound, budget, overlap=16, reserved=0, explicit=True, refine=lambda: exact)
    assert not plan.tiled  # the exact estimate fits it whole
    assert plan_tiles(1, 200, 200, bound, budget, overlap=16, reserved=0, explicit=True).tiled


def test_upscale_tiled_plans_from_the_default_budget(stack: ConvStack, machine) -> None:
    stack.receptive_field = 9  # radius 4: overlap 16, tiles exact
    lr = torch.randn(1, 3, 40, 50)
    reference = upscale_tiled(stack, lr, 2, tile=0)
    machine(1024 ** 4)
    info: dict = {}
    out = upscale_tiled(stack, lr, 2, info=info)
    assert info["tiles"] == 1 and info["tile"] == (0, 0) and "untiled" in info["plan"]
    assert info["budget"] == 1024 ** 4 // 2
    assert torch.equal(out, reference)
    estimate = inference._Runner(stack, 2, torch.device("cpu"), "fp32", True).estimate(3)
    whole = estimate.bytes_for(40 * 50) + 3 * 80 * 100 * 4
    machine(2 * int(0.6 * whole))  # a default budget of 60 % of what the whole input needs
    out = upscale_tiled(stack, lr, 2, info=info)
    assert info["tiles"] > 1 and info["estimate"] <= info["budget"]
    assert (out - reference).abs().max().item() < 1e-4  # the ConvStack's radius 4 fits the default overlap


def test_the_memory_probe_counts_activations(stack: ConvStack) -> None:
    runner = inference._Runner(stack, 2, torch.device("cpu"), "fp32", False)
    estimate = runner.estimate(3)
    features = 8  # ConvStack: 8-channel float32 activations, an input and an output live at once
    assert 2 * features * 4 <= estimate.per_pixel <= 20 * features * 4
    assert estimate.out_channels == 3 and estimate.exact
    assert runner.estimate(3, exact=False).per_pixel >= estimate.per_pixel  # one probe: an upper bound
    tiling.forget_estimates()


@pytest.mark.parametrize("field,expected", [(None, 32), (3, 8), (9, 16), (17, 32), (33, 64), (827, 64), (True, 32), (-5, 32)])
def test_overlap_follows_the_declared_receptive_field_with_a_cap(stack: ConvStack, field, expected) -> None:
    if field is not None:
        stack.receptive_field = field
    assert overlap_for(stack) == expected


def test_a_forced_tile_keeps_the_overlap_below_half_of_it(stack: ConvStack) -> None:
    stack.receptive_field = 33  # overlap 64 whole-image, at most tile // 2 with a forced tile
    info: dict = {}
    upscale_tiled(stack, torch.randn(1, 3, 70, 70), 2, tile=40, info=info)
    assert info["overlap"] == 20 and info["tiles"] == 9


def test_small_forced_tiles_run_several_per_pass_with_the_same_result(stack: ConvStack, monkeypatch) -> None:
    sizes: list[int] = []
    handle = stack.register_forward_hook(lambda module, args, out: sizes.append(args[0].shape[0]))
    lr = torch.randn(2, 3, 48, 48)
    info: dict = {}
    try:
        batched = upscale_tiled(stack, lr, 2, tile=24, overlap=8, info=info)
        probe_calls = len(sizes) - 3  # the memory probe's passes come first
        assert info["batch"] == 8 and info["tiles"] == 9 and sizes[probe_calls:] == [8, 8, 2]
        monkeypatch.setattr(inference, "MAX_TILE_BATCH", 1)
        one_by_one = upscale_tiled(stack, lr, 2, tile=24, overlap=8)
    finally:
        handle.remove()
    assert torch.allclose(batched, one_by_one, atol=1e-6)


def test_bf16_is_finite_and_close_to_fp32(stack: ConvStack) -> None:
    lr = torch.rand(1, 3, 33, 47)
    fp32 = upscale_tiled(stack, lr, 2, tile=0, precision="fp32")
    bf16 = upscale_tiled(stack, lr, 2, tile=0, precision="bf16")
    assert bf16.dtype == torch.float32 and torch.isfinite(bf16).all()
    assert 0 < (bf16 - fp32).abs().max().item() < 0.02 * fp32.abs().max().item()


def test_channels_last_gives_the_fp32_result_and_restores_the_module(stack: ConvStack) -> None:
    lr = torch.rand(2, 3, 29, 31)
    nchw = upscale_tiled(stack, lr, 2, tile=0, precision="fp32", channels_last=False)
    nhwc = upscale_tiled(stack, lr, 2, tile=0, precision="fp32", channels_last=True)
    assert torch.allclose(nchw, nhwc, atol=1e-5)
    assert all(p.is_contiguous() for p in stack.parameters())


class _Flattening(nn.Module):
    """A forward that views its input as (N, C·H·W): refuses channels_last memory."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        return nn.functional.pixel_shuffle(self.conv(x.view(n, c * h * w).view(n, c, h, w)), 2)


def test_a_generator_that_refuses_channels_last_runs_nchw() -> None:
    torch.manual_seed(0)
    model = _Flattening().eval()
    info: dict = {}
    out = upscale_tiled(model, torch.rand(1, 3, 10, 12), 2, tile=0, info=info)
    assert out.shape == (1, 3, 20, 24) and not info["channels_last"] and "NCHW" in info["fell_back"]


def test_precisions_are_checked() -> None:
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu) == inference.AUTO_PRECISION["cpu"]
    assert resolve_precision("BF16", cpu) == "bf16"
    with pytest.raises(UsageError, match="CUDA"):
        resolve_precision("fp16", cpu)
    with pytest.raises(UsageError, match="unknown precision"):
        resolve_precision("fp8", cpu)


def test_a_size_multiple_model_upscales_an_odd_input_through_tiles() -> None:
    import srzoo_core as sz

    torch.manual_seed(0)
    swinir = sz.build_generator('gen=swinir(preset=lightweight,embed_dim=12,depths="2",num_heads=2,window_size=4)',
                                in_channels=3, scale=2).eval()
    assert swinir.size_multiple == 4
    seen: list[tuple[int, int]] = []
    handle = swinir.register_forward_pre_hook(lambda module, args: seen.append(tuple(args[0].shape[-2:])))
    lr = torch.rand(1, 3, 37, 53)
    info: dict = {}
    try:
        untiled = upscale_tiled(swinir, lr, 2, tile=0)
        planned = upscale_tiled(swinir, lr, 2)
        tiled = upscale_tiled(swinir, lr, 2, tile=24, info=info)
    finally:
        handle.remove()
    assert untiled.shape == planned.shape == tiled.shape == (1, 3, 74, 106)
    assert torch.isfinite(tiled).all() and info["tiles"] > 1
    assert all(h % 4 == 0 and w % 4 == 0 for h, w in seen)  # every pass padded to the multiple
    assert torch.allclose(planned, untiled, atol=1e-5)


# --------------------------------------------------------------------------------------------
# The command line


@pytest.fixture
def grid_ckpt(tmp_path: Path) -> Path:
    return make_checkpoint(tmp_path / "grid.safetensors", "grid", channels=2)


@pytest.fixture
def grid_file(tmp_path: Path) -> Path:
    path = tmp_path / "lr.npy"
    np.save(path, np.random.default_rng(0).normal(5.0, 2.0, size=(2, 30, 26)).astype(np.float32))
    return path


def test_cli_reports_the_plan_and_the_precision(cli, grid_ckpt: Path, grid_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "sr.npy"
    code, out, err = cli("upscale", str(grid_ckpt), str(grid_file), str(target), "--device", "cpu", "--max-memory", "1GiB")
    assert code == 0, err
    assert "untiled; est." in out and "of 1.0 GiB budget" in out
    assert "budget, fp32" in out, out  # auto keeps a grid's physical values in fp32
    auto = np.load(target)
    code, _, err = cli("upscale", str(grid_ckpt), str(grid_file), str(target), "--device", "cpu", "--precision", "fp32")
    assert code == 0, err
    assert np.array_equal(auto, np.load(target))
    large = tmp_path / "large.npy"
    np.save(large, np.random.default_rng(0).normal(5.0, 2.0, size=(2, 100, 90)).astype(np.float32))
    code, out, err = cli("upscale", str(grid_ckpt), str(large), str(target), "--device", "cpu", "--max-memory", "2.5MiB",
                         "--precision", "bf16")
    assert code == 0, err
    assert re.search(r"\d tiles of ≤\d+×\d+, overlap 32; est\. [\d.]+ MiB of 2\.5 MiB budget, bf16", out), out
    assert np.load(target).shape == (2, 200, 180)


@pytest.mark.parametrize("options,message", [
    (["--max-memory", "lots"], "--max-memory 'lots' is not an amount of memory"),
    (["--max-memory", "0"], "--max-memory must be more than 0"),
    (["--max-memory", "4KiB"], "--max-memory 4.0 KiB is too small"),
    (["--precision", "fp16"], "--precision fp16 needs a CUDA device"),
    (["--precision", "fp8"], "unknown precision 'fp8'"),
    (["--tile", "-3"], "--tile must be >= 0"),
    (["--tile", "16", "--overlap", "16"], "--overlap (16) must be smaller than --tile (16)"),
])
def test_cli_option_errors_are_one_message(cli, grid_ckpt: Path, grid_file: Path, tmp_path: Path, options, message) -> None:
    code, out, err = cli("upscale", str(grid_ckpt), str(grid_file), str(tmp_path / "sr.npy"), "--device", "cpu", *options)
    assert code == 2, out + err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "sr.npy").exists()
