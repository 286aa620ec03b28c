"""Tiled inference (srzoo_core.training.inference) and the ``srzoo upscale`` command."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from srzoo_core.errors import UsageError
from srzoo_core.training.inference import blend_weights, tile_layout, upscale_array, upscale_tiled


class ConvStack(nn.Module):
    """``depth`` 3×3 convolutions (receptive-field radius ``depth`` LR pixels) then a PixelShuffle."""

    def __init__(self, channels: int = 3, scale: int = 2, depth: int = 3, features: int = 8):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, features, 3, padding=1), nn.PReLU(features)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(features, features, 3, padding=1), nn.PReLU(features)]
        layers += [nn.Conv2d(features, channels * scale * scale, 3, padding=1), nn.PixelShuffle(scale)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


@pytest.fixture
def stack() -> ConvStack:
    torch.manual_seed(0)
    return ConvStack(depth=4).eval()  # radius 4 = overlap 16 // 4: tiling must be exact


@pytest.mark.parametrize("size", [(64, 64), (37, 53), (129, 70), (17, 200)])
def test_tiled_matches_untiled_when_receptive_field_fits_the_margin(stack: ConvStack, size: tuple[int, int]) -> None:
    torch.manual_seed(1)
    lr = torch.randn(2, 3, *size)
    untiled = upscale_tiled(stack, lr, 2, tile=0)
    tiled = upscale_tiled(stack, lr, 2, tile=32, overlap=16)
    assert tiled.shape == untiled.shape == (2, 3, size[0] * 2, size[1] * 2)
    assert tiled.dtype == torch.float32
    assert (tiled - untiled).abs().max().item() < 1e-4


def test_deeper_model_is_close_and_seamless() -> None:
    """Receptive field wider than the margin: not exact, but close (no seam-sized jumps)."""
    torch.manual_seed(0)
    model = ConvStack(depth=12).eval()
    lr = torch.randn(1, 3, 60, 60)
    untiled = upscale_tiled(model, lr, 2, tile=0)
    tiled = upscale_tiled(model, lr, 2, tile=24, overlap=16)
    scale = untiled.abs().max().item()
    assert (tiled - untiled).abs().max().item() < 0.05 * scale


def test_odd_sizes_and_scale_three() -> None:
    torch.manual_seed(0)
    model = ConvStack(channels=2, scale=3, depth=3).eval()  # radius 3 = overlap 12 // 4
    lr = torch.randn(1, 2, 41, 23)
    out = upscale_tiled(model, lr, 3, tile=16, overlap=12)
    assert out.shape == (1, 2, 123, 69)
    assert (out - upscale_tiled(model, lr, 3, tile=0)).abs().max().item() < 1e-4


def test_image_smaller_than_tile_runs_whole(stack: ConvStack) -> None:
    lr = torch.randn(5, 3, 9, 11)
    out = upscale_tiled(stack, lr, 2, tile=128, overlap=16)
    assert out.shape == (5, 3, 18, 22)
    assert torch.allclose(out, upscale_tiled(stack, lr, 2, tile=0), atol=1e-6)


def test_small_images_are_batched_in_chunks(stack: ConvStack) -> None:
    """Whole-image batches are cut so one pass holds about one tile of pixels."""
    calls: list[int] = []
    handle = stack.register_forward_hook(lambda module, args, out: calls.append(args[0].shape[0]))
    try:
        out = upscale_tiled(stack, torch.randn(10, 3, 8, 8), 2, tile=16, overlap=4)  # 16²/8² = 4 per pass
    finally:
        handle.remove()
    assert out.shape == (10, 3, 16, 16)
    assert calls == [4, 4, 2]


def test_restores_training_mode_and_runs_without_grad(stack: ConvStack) -> None:
    stack.train()
    out = upscale_tiled(stack, torch.randn(1, 3, 40, 40), 2, tile=16, overlap=8)
    assert stack.training
    assert not out.requires_grad and not out.is_inference()
    out.clamp_(0, 1)  # callers may modify the result in place


@pytest.mark.parametrize("tile,overlap", [(16, 16), (8, 12), (-1, 0), (16, -2)])
def test_bad_tiling_is_rejected(stack: ConvStack, tile: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        upscale_tiled(stack, torch.randn(1, 3, 20, 20), 2, tile=tile, overlap=overlap)


def test_wrong_output_size_is_reported() -> None:
    with pytest.raises(ValueError, match="expected"):
        upscale_tiled(nn.Identity(), torch.randn(1, 3, 20, 20), 2, tile=0)


@pytest.mark.parametrize("size,tile,overlap", [(100, 32, 16), (33, 32, 8), (32, 32, 8), (5, 32, 8), (1000, 128, 16),
                                               (256, 128, 16), (2048, 128, 16), (41, 16, 12)])
def test_tile_layout_covers_with_at_least_the_overlap(size: int, tile: int, overlap: int) -> None:
    length, starts = tile_layout(size, tile, overlap)
    assert length <= tile and length == min(size, length)
    assert starts[0] == 0 and starts[-1] + length == size
    for a, b in zip(starts, starts[1:]):
        assert 0 < b - a <= length - overlap
    if size > tile:  # as few tiles as tiles of the full size would need
        assert len(starts) == math.ceil((size - overlap) / (tile - overlap))


def test_tile_layout_wastes_little() -> None:
    assert tile_layout(256, 128, 16) == (96, [0, 80, 160])  # not three tiles of 128 (1.5× the work)


@pytest.mark.parametrize("overlap,scale", [(16, 4), (8, 2), (5, 3), (2, 1), (1, 2)])
def test_blend_weights_cross_fade_sums_to_one(overlap: int, scale: int) -> None:
    length = 40 * scale
    left = blend_weights(length, scale, overlap, first=True, last=False)
    right = blend_weights(length, scale, overlap, first=False, last=True)
    shift = (40 - overlap) * scale  # right tile starts where the left one's overlap begins
    total = torch.zeros(length + shift)
    total[:length] += left
    total[shift:] += right
    assert torch.allclose(total, torch.ones_like(total), atol=1e-6)
    assert (left > 0).sum() >= 1 and left[0] == 1 and right[-1] == 1
    margin = (overlap // 4) * scale
    if margin:
        assert (left[-margin:] == 0).all() and (right[:margin] == 0).all()


# --------------------------------------------------------------------------------------------
# Arrays with a checkpoint's normaliser, and the CLI


SPEC = "gen=srresnet(blocks=1,features=8)"


def make_checkpoint(path: Path, kind: str = "photo", channels: int = 3, scale: int = 2,
                    normaliser: dict | None = None) -> Path:
    """A tiny model checkpoint as the trainer writes it."""
    from srzoo_core import build_generator
    from srzoo_core.training.checkpoint import save_model

    torch.manual_seed(0)
    generator = build_generator(SPEC, in_channels=channels, scale=scale)
    if normaliser is None:
        normaliser = ({"kind": "unit", "mean": [0.0] * channels, "std": [1.0] * channels} if kind == "photo"
                      else {"kind": "zscore", "mean": [float(10 * c) for c in range(channels)],
                            "std": [float(2 + c) for c in range(channels)]})
    names = ["R", "G", "B"][:channels] if kind == "photo" else ["u", "v", "t", "q"][:channels]
    metadata = {
        "spec": SPEC, "scale": scale, "channels": channels, "normaliser": normaliser,
        "data": {"kind": kind, "channel_names": names}, "step": 7,
    }
    save_model(path, generator.state_dict(), metadata)
    return path


@pytest.fixture
def photo_ckpt(tmp_path: Path) -> Path:
    return make_checkpoint(tmp_path / "photo.safetensors", "photo")


@pytest.fixture
def grid_ckpt(tmp_path: Path) -> Path:
    return make_checkpoint(tmp_path / "grid.safetensors", "grid", channels=2)


def test_upscale_array_photo_layout_and_clip(photo_ckpt: Path) -> None:
    from srzoo_core.training.checkpoint import load_model

    generator, metadata = load_model(photo_ckpt)
    image = np.random.default_rng(0).random((21, 34, 3), dtype=np.float32)
    out = upscale_array(generator, metadata, image, tile=16, overlap=8)
    assert out.shape == (42, 68, 3) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    with pytest.raises(UsageError, match="channel"):
        upscale_array(generator, metadata, image[:, :, :1])


def test_upscale_array_grid_applies_the_normaliser(grid_ckpt: Path) -> None:
    """The model sees z-scored data and the output comes back in physical units."""
    from srzoo_core.training.checkpoint import load_model

    generator, metadata = load_model(grid_ckpt)
    mean, std = metadata.normaliser["mean"], metadata.normaliser["std"]
    grid = np.random.default_rng(0).normal(size=(3, 2, 16, 16)).astype(np.float32)
    physical = grid * np.array(std, np.float32)[:, None, None] + np.array(mean, np.float32)[:, None, None]
    out = upscale_array(generator, metadata, physical, tile=0)
    direct = upscale_tiled(generator, torch.from_numpy(grid), 2, tile=0).numpy()
    expected = direct * np.array(std, np.float32)[:, None, None] + np.array(mean, np.float32)[:, None, None]
    assert out.shape == (3, 2, 32, 32)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)
    single = upscale_array(generator, metadata, physical[1], tile=0)
    assert single.shape == (2, 32, 32)
    np.testing.assert_allclose(single, out[1], rtol=1e-5, atol=1e-4)
    with pytest.raises(UsageError, match="channel"):
        upscale_array(generator, metadata, physical[:, :1])
    with pytest.raises(UsageError, match="shaped"):
        upscale_array(generator, metadata, physical[0, 0])


def _invoke(*args: str):
    from typer.testing import CliRunner

    from srzoo_core.cli import upscale as _  # noqa: F401  (attaches the command)
    from srzoo_core.cli.app import app

    return CliRunner().invoke(app, ["upscale", *args])


def test_cli_upscales_a_grid(grid_ckpt: Path, tmp_path: Path) -> None:
    source = tmp_path / "lr.npy"
    np.save(source, np.random.default_rng(0).normal(5.0, 2.0, size=(2, 12, 20)).astype(np.float32))
    target = tmp_path / "sr.npy"
    result = _invoke(str(grid_ckpt), str(source), str(target), "--tile", "8", "--overlap", "4", "--device", "cpu")
    assert result.exit_code == 0, result.output + repr(result.exception)
    out = np.load(target)
    assert out.shape == (2, 24, 40) and np.isfinite(out).all()
    assert str(target) in result.output and "peak RSS" in result.output and "24×40" in result.output


def test_cli_upscales_a_photo(photo_ckpt: Path, tmp_path: Path) -> None:
    from srzoo_core.data import read_image, write_image

    source = tmp_path / "lr.png"
    write_image(source, np.random.default_rng(0).random((10, 14, 3)).astype(np.float32))
    target = tmp_path / "sr.png"
    result = _invoke(str(photo_ckpt), str(source), str(target), "--device", "cpu")
    assert result.exit_code == 0, result.output + repr(result.exception)
    out = read_image(target)
    assert out.shape == (20, 28, 3)
    assert "28×20" in result.output


def _usage_error(result) -> str:
    assert result.exit_code != 0
    assert isinstance(result.exception, UsageError), repr(result.exception)
    return result.exception.message


def test_cli_rejects_bad_inputs(photo_ckpt: Path, grid_ckpt: Path, tmp_path: Path) -> None:
    grid = tmp_path / "lr.npy"
    np.save(grid, np.zeros((2, 8, 8), np.float32))
    three = tmp_path / "three.npy"
    np.save(three, np.zeros((3, 8, 8), np.float32))
    text = tmp_path / "lr.txt"
    text.write_text("hello")
    ok_out = str(tmp_path / "out.npy")

    assert "not found" in _usage_error(_invoke(str(grid_ckpt), str(tmp_path / "missing.npy"), ok_out))
    assert "unsupported input" in _usage_error(_invoke(str(grid_ckpt), str(text), ok_out))
    assert "3 channel" in _usage_error(_invoke(str(grid_ckpt), str(three), ok_out, "--device", "cpu"))
    assert "trained on photo data" in _usage_error(_invoke(str(photo_ckpt), str(grid), ok_out, "--device", "cpu"))
    assert "unsupported output" in _usage_error(_invoke(str(grid_ckpt), str(grid), str(tmp_path / "out.gif")))
    assert "output" in _usage_error(_invoke(str(grid_ckpt), str(grid), str(tmp_path / "out.png")))
    assert "does not exist" in _usage_error(_invoke(str(grid_ckpt), str(grid), str(tmp_path / "nope" / "out.npy")))
    assert "not a folder" in _usage_error(_invoke(str(grid_ckpt), str(grid), str(text / "out.npy")))
    folder = tmp_path / "folder.npy"
    folder.mkdir()
    assert "is a folder" in _usage_error(_invoke(str(grid_ckpt), str(grid), str(folder)))
    assert "--overlap" in _usage_error(_invoke(str(grid_ckpt), str(grid), ok_out, "--tile", "8", "--overlap", "8"))
    assert "device" in _usage_error(_invoke(str(grid_ckpt), str(grid), ok_out, "--device", "tpu"))
    assert "checkpoint not found" in _usage_error(_invoke(str(tmp_path / "none.safetensors"), str(grid), ok_out))
    if not torch.cuda.is_available():
        assert "CUDA" in _usage_error(_invoke(str(grid_ckpt), str(grid), ok_out, "--device", "cuda"))


def test_cli_rejects_an_image_for_a_grid_model(grid_ckpt: Path, tmp_path: Path) -> None:
    from srzoo_core.data import write_image

    image = tmp_path / "lr.png"
    write_image(image, np.zeros((8, 8, 3), np.float32))
    message = _usage_error(_invoke(str(grid_ckpt), str(image), str(tmp_path / "out.png"), "--device", "cpu"))
    assert "trained on grid data" in message and "u, v" in message


def test_cli_rejects_a_colour_photo_for_a_grey_model(tmp_path: Path) -> None:
    from srzoo_core.data import write_image

    grey_ckpt = make_checkpoint(tmp_path / "grey.safetensors", "photo", channels=1)
    image = tmp_path / "colour.png"
    write_image(image, np.zeros((8, 8, 3), np.float32))
    message = _usage_error(_invoke(str(grey_ckpt), str(image), str(tmp_path / "out.png"), "--device", "cpu"))
    assert "grey" in message and "colour" in message


def test_peak_rss_is_reported_in_mib() -> None:
    from srzoo_core.cli.upscale import peak_rss_mib

    assert 1 < peak_rss_mib() < 1024 * 1024
    assert not math.isnan(peak_rss_mib())
