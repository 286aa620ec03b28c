"""ONNX export (srzoo_core.training.export) and ``srzoo export``: the file matches PyTorch in
onnxruntime at several sizes, carries what a consumer needs, and fails clearly."""

from __future__ import annotations

import copy
import json
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

pytest.importorskip("onnxruntime", reason="needs the export extra: pip install 'srzoo[export]'")

from srzoo_core import build_generator, get_registry  # noqa: E402
from srzoo_core.cli.app import main  # noqa: E402
from srzoo_core.errors import UsageError  # noqa: E402
from srzoo_core.training.export import ExportError, export_onnx, read_metadata, verify_onnx  # noqa: E402

TINY_SPEC = "gen=srresnet(blocks=1,features=8) loss=l1"


class Unshuffled(nn.Module):
    """Refuses sizes that are not multiples of 4 and says so with ``size_multiple``, as the tiler expects."""

    size_multiple = 4

    def __init__(self, channels: int = 1, scale: int = 2):
        super().__init__()
        self.conv = nn.Conv2d(channels * 16, channels * 16 * scale * scale, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] % 4 or x.shape[-1] % 4:
            raise ValueError("height and width must be multiples of 4")
        return F.pixel_shuffle(self.conv(F.pixel_unshuffle(x, 4)), 8)


class Branchy(nn.Module):
    """Control flow on tensor values: torch.export cannot trace it."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.pixel_shuffle(self.conv(x), 2)
        return y if y.mean() > 0 else -y


def _generator(case: str) -> tuple[nn.Module, int, int]:
    torch.manual_seed(0)
    if case == "srresnet_residual":
        model = build_generator("gen=srresnet(blocks=1,features=8,residual=true)", in_channels=3, scale=4)
        nn.init.normal_(model.tail.weight, std=0.01)  # residual=true starts as bicubic alone; make the trunk count
        return model, 3, 4
    if case == "unet":
        return build_generator("gen=unet(features=8,depth=2)", in_channels=3, scale=4), 3, 4
    if case == "rrdbnet_x2":
        if get_registry().find("rrdbnet", "gen") is None:
            pytest.skip("rrdbnet is in the srzoo-esrgan add-on, not installed")
        return build_generator("gen=rrdbnet(blocks=1,features=8,growth=4)", in_channels=3, scale=2), 3, 2
    return Unshuffled(), 1, 2


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 2-channel grid checkpoint from `srzoo train --iters 2`."""
    out = tmp_path_factory.mktemp("runs")
    try:
        main(["train", TINY_SPEC, "--data", "synthetic-grid:20", "--batch", "4", "--val-batch", "8", "--iters", "2",
              "--out", str(out), "--name", "grid"])
    except SystemExit as stop:
        assert not stop.code, "the tiny training run failed"
    return out / "grid" / "best.safetensors"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """``exported(case)``: (generator, path of its ONNX file), each case exported once per module."""
    folder, done = tmp_path_factory.mktemp("onnx"), {}

    def export(case: str) -> tuple[nn.Module, object]:
        if case not in done:
            generator, channels, scale = _generator(case)
            generator.train()
            path = export_onnx(generator, folder / f"{case}.onnx", in_channels=channels, scale=scale, metadata={"generator": case})
            done[case] = generator, path
        return done[case]

    return export


@pytest.mark.parametrize("case", ["srresnet_residual", "unet", "rrdbnet_x2", "size_multiple"])
def test_onnx_matches_pytorch_at_three_sizes(case, exported):
    generator, path = exported(case)
    assert generator.training, "export must leave the caller's module in its mode"
    differences = verify_onnx(path, generator)
    assert len(differences) == 3 and max(differences.values()) <= 1e-4
    if case != "rrdbnet_x2":  # (rrdbnet ×2 takes odd sizes only where it declares size_multiple)
        assert [shape[2:] for shape in differences] == [(16, 16), (23, 37), (40, 32)]
        assert read_metadata(path)["size_multiple"] == "1"  # padded in the graph, as the tiler pads


def test_verify_fails_when_the_file_does_not_match(exported):
    generator, path = exported("size_multiple")
    changed = copy.deepcopy(generator)
    with torch.no_grad():
        changed.conv.bias.add_(0.01)
    with pytest.raises(ExportError, match="differs from PyTorch"):
        verify_onnx(path, changed)


def test_a_generator_that_cannot_be_traced_is_named(tmp_path):
    target = tmp_path / "branchy.onnx"
    with pytest.raises(ExportError, match="generator 'Branchy' cannot be exported to ONNX"):
        export_onnx(Branchy(), target, in_channels=1, scale=2, metadata={})
    assert not list(tmp_path.iterdir()), "a failed export leaves no file behind"


def test_cli_export_of_a_trained_checkpoint(tiny_run, tmp_path, cli):
    import onnx
    import onnxruntime as ort

    from srzoo_core.training.checkpoint import load_model
    from srzoo_core.training.inference import upscale_array

    target = tmp_path / "model.onnx"
    code, out, err = cli("export", str(tiny_run), str(target), "--opset", "17")
    assert code == 0, err
    assert f"wrote {target}" in out and "checked with onnxruntime at 1x2x16x16, 1x2x23x37, 2x2x40x32" in out
    assert [(o.domain, o.version) for o in onnx.load(str(target)).opset_import if o.domain == ""] == [("", 17)]
    meta = read_metadata(target)
    assert meta["scale"] == "4" and meta["in_channels"] == "2" and meta["srzoo_version"]
    assert meta["generator"] == "gen=srresnet(blocks=1,features=8)" and meta["spec"].startswith(meta["generator"])
    assert json.loads(meta["channel_names"]) == ["ch0", "ch1"] and meta["modality"] == "grid"
    norm = json.loads(meta["normalisation"])
    assert norm["kind"] == "zscore" and len(norm["mean"]) == len(norm["std"]) == 2

    # A consumer without srzoo: normalise with the metadata, run the file, denormalise.
    grid = np.random.default_rng(0).normal(280.0, 3.0, size=(2, 12, 10)).astype(np.float32)
    mean, std = (np.asarray(norm[k], dtype=np.float32).reshape(-1, 1, 1) for k in ("mean", "std"))
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    sr = session.run([meta["output"]], {meta["input"]: ((grid - mean) / std)[None]})[0][0] * std + mean
    generator, description = load_model(tiny_run)
    expected = upscale_array(generator, description, grid, tile=0)
    assert sr.shape == (2, 48, 40)
    np.testing.assert_allclose(sr, expected, rtol=0, atol=1e-3)  # physical units (~280): 1e-4 relative to the data


def test_cli_refuses_a_target_that_is_not_onnx(tiny_run, tmp_path, cli):
    code, _, err = cli("export", str(tiny_run), str(tmp_path / "model.pt"))
    assert code == 2 and "should end in .onnx" in err and "Traceback" not in err


def test_missing_onnxruntime_names_the_extra(exported, tiny_run, tmp_path, cli, monkeypatch):
    generator, path = exported("size_multiple")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    with pytest.raises(UsageError) as caught:
        verify_onnx(path, generator)
    assert "pip install 'srzoo[export]'" in caught.value.render()
    code, _, err = cli("export", str(tiny_run), str(tmp_path / "model.onnx"))
    assert code == 2 and "'onnxruntime' package, which is not installed" in err and "pip install 'srzoo[export]'" in err
