"""`srzoo import`: published weights in, a self-contained checkpoint out.

Reference figures: BasicSR's RRDBNet (basicsr/archs/rrdbnet_arch.py, run outside the repository)
with the values of ``tests/weights_files.py`` on the 28×24 astronaut LR below, its output
clamped, ×255 and rounded as BasicSR's ``tensor2img`` does: sha256 of the (H, W, 3) uint8 array."""

from __future__ import annotations

import hashlib
import json

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from srzoo_core.training.checkpoint import load_model
from tests.weights_files import TINY, astronaut_lr, import_checkpoint, rrdbnet_state, write_pth

BASICSR_OUTPUT_SHA256 = {
    4: "97e55c21b1f74844f0936a3adcae995e667242388cc87a5569e0e74e5aadeffd",
    2: "8a63614eec5618474b2f2b27aee783122b20163e77f6925cb49d28e898cd1faa",
    1: "2b59ee29a4c99c83fb16d908aee7c65986b622fb3c9a849521c2630343bd492d",
}


@pytest.mark.parametrize("scale", [4, 2, 1])
def test_imported_basicsr_rrdbnet_upscales_as_the_reference_and_needs_no_pth(cli, tmp_path, scale):
    weights = write_pth(tmp_path / "RRDB.pth", scale)
    code, out, err = cli("import", str(weights))
    assert code == 0, err
    checkpoint = tmp_path / "RRDB.safetensors"
    assert f"wrote {checkpoint}" in out and "rrdbnet" in out and f"×{scale}" in out
    weights.unlink()  # the checkpoint holds every tensor: the .pth is never read again
    iio.imwrite(tmp_path / "lr.png", astronaut_lr())
    code, _, err = cli("upscale", str(checkpoint), str(tmp_path / "lr.png"), str(tmp_path / "sr.png"), "--device", "cpu", "--precision", "fp32")
    assert code == 0, err  # fp32: the reference figures are BasicSR's fp32 outputs (auto picks bf16 on CPU)
    sr = iio.imread(tmp_path / "sr.png")
    assert sr.shape == (24 * scale, 28 * scale, 3)
    assert hashlib.sha256(np.ascontiguousarray(sr).tobytes()).hexdigest() == BASICSR_OUTPUT_SHA256[scale]


def test_a_photo_upscales_in_bf16_by_default_on_the_cpu_within_a_few_levels_of_fp32(cli, tmp_path):
    checkpoint = import_checkpoint(cli, tmp_path)
    iio.imwrite(tmp_path / "lr.png", astronaut_lr())
    outputs = {}
    for precision in ("auto", "fp32"):
        code, out, err = cli("upscale", str(checkpoint), str(tmp_path / "lr.png"), str(tmp_path / f"{precision}.png"),
                             "--device", "cpu", "--precision", precision)
        assert code == 0, err
        assert (", bf16" if precision == "auto" else ", fp32") in out, out
        outputs[precision] = iio.imread(tmp_path / f"{precision}.png").astype(int)
    assert np.abs(outputs["auto"] - outputs["fp32"]).max() <= 3


def test_the_checkpoint_describes_the_model(cli, tmp_path):
    checkpoint = import_checkpoint(cli, tmp_path)
    generator, description = load_model(checkpoint)
    assert description.roles["gen"] == "rrdbnet(blocks=1,features=8,growth=4)"
    assert description.scale == 4 and description.channel_names == ["R", "G", "B"] and description.modality == "photo"
    assert description.normaliser["kind"] == "unit"
    assert description.data["imported"]["file"] == "tiny_x4.pth" and description.data["imported"]["architecture"] == "rrdbnet"
    assert [c.dist for c in description.generator_components()] == ["srzoo-esrgan"]
    for key, value in rrdbnet_state(4).items():
        assert torch.equal(generator.state_dict()[key], value)


@pytest.mark.parametrize("wrapper,prefix", [("params", ""), ("state_dict", "module."), (None, "module."), ("model", "")])
def test_wrappers_and_prefixes_are_unwrapped(cli, tmp_path, wrapper, prefix):
    weights = write_pth(tmp_path / "w.pth", wrapper=wrapper, prefix=prefix)
    code, out, err = cli("import", str(weights), "--json")
    assert code == 0, err
    assert json.loads(out)["architecture"] == "rrdbnet"
    generator, _ = load_model(tmp_path / "w.safetensors")
    assert torch.equal(generator.state_dict()["conv_first.weight"], rrdbnet_state()["conv_first.weight"])


def test_params_ema_wins_over_params(cli, tmp_path):
    state = rrdbnet_state()
    raw = {k: torch.zeros_like(v) for k, v in state.items()}
    torch.save({"params": raw, "params_ema": state}, tmp_path / "both.pth")
    assert cli("import", str(tmp_path / "both.pth"))[0] == 0
    generator, _ = load_model(tmp_path / "both.safetensors")
    assert torch.equal(generator.state_dict()["conv_last.bias"], state["conv_last.bias"])


def test_safetensors_input_and_grey_model(cli, tmp_path):
    save_file(rrdbnet_state(4, channels=1), str(tmp_path / "grey.safetensors"))
    code, _, err = cli("import", str(tmp_path / "grey.safetensors"), "--arch", "rrdbnet")
    assert code == 0, err
    _, description = load_model(tmp_path / "grey.srzoo.safetensors")
    assert description.channel_names == ["L"]


def test_pickled_code_is_refused(cli, tmp_path):
    torch.save(torch.nn.Conv2d(3, 3, 3), tmp_path / "module.pth")  # a whole module: unpickling it runs code
    code, _, err = cli("import", str(tmp_path / "module.pth"))
    assert code == 2 and "refused to load" in err and "weights_only" in err and "Traceback" not in err
    assert "re-save the weights as a plain state dict" in err


def test_unknown_architecture_lists_what_was_tried(cli, tmp_path):
    torch.save({"encoder.weight": torch.zeros(4, 3, 3, 3)}, tmp_path / "other.pth")
    code, _, err = cli("import", str(tmp_path / "other.pth"))
    assert code == 2 and "matches no installed architecture" in err
    assert "tried:" in err and "rrdbnet" in err and "edsr" in err and "encoder.weight" in err


@pytest.mark.parametrize("arch,message", [
    ("rrdbnett", "unknown generator 'rrdbnett'"),
    ("srresnet", "cannot read published weights"),
    ("edsr", "is not edsr weights"),
])
def test_arch_errors(cli, tmp_path, arch, message):
    weights = write_pth(tmp_path / "w.pth")
    code, _, err = cli("import", str(weights), "--arch", arch)
    assert code == 2 and message in err, err


def test_bad_files_and_outputs(cli, tmp_path):
    assert "weights file not found" in cli("import", str(tmp_path / "missing.pth"))[2]
    (tmp_path / "w.ckpt").write_bytes(b"x")
    assert "reads .pth, .pt, .safetensors files" in cli("import", str(tmp_path / "w.ckpt"))[2]
    (tmp_path / "bad.pth").write_bytes(b"not a zip")
    code, _, err = cli("import", str(tmp_path / "bad.pth"))
    assert code == 2 and "cannot read" in err
    torch.save({"params": {"a": 1}}, tmp_path / "ints.pth")
    assert "are not tensors" in cli("import", str(tmp_path / "ints.pth"))[2]
    weights = write_pth(tmp_path / "w.pth")
    assert cli("import", str(weights))[0] == 0
    code, _, err = cli("import", str(weights))
    assert code == 2 and "already exists" in err and "--force" in err
    assert cli("import", str(weights), "--force")[0] == 0
    code, _, err = cli("import", str(weights), "--out", str(tmp_path / "x.pth"))
    assert code == 2 and ".safetensors" in err


def test_several_detectors_claiming_ask_for_arch(tmp_path):
    from srzoo_core import PluginHost, hookimpl
    from srzoo_core.errors import UsageError
    from srzoo_core.training.importer import detect

    def claims(state):
        return ({"in_channels": 3, "out_channels": 3, "scale": 4}, state)

    class Two:
        @hookimpl
        def srzoo_register_generators(self, register):
            register("first", lambda in_channels, out_channels, scale: None, detect_weights=claims)
            register("second", lambda in_channels, out_channels, scale: None, detect_weights=claims)

    host = PluginHost()
    host.add_plugin(Two(), name="two")
    with pytest.raises(UsageError) as caught:
        detect({"w": torch.zeros(1)}, host)
    assert "fits several architectures: first, second" in caught.value.message and "--arch first" in caught.value.hint
    assert detect({"w": torch.zeros(1)}, host, arch="second")[0].name == "second"


def test_trained_from_weights_option_survives_moving_the_file(cli, tmp_path, photo_folder):
    """A run started from gen=rrdbnet(weights=…) writes checkpoints that never read the file again."""
    weights = write_pth(tmp_path / "start.pth")
    spec = f"gen=rrdbnet(blocks=1,features=8,growth=4,weights={weights}) loss=l1"
    code, _, err = cli("train", spec, "--data", str(photo_folder), "--patch", "32", "--batch", "2", "--iters", "2",
                       "--ema", "0", "--out", str(tmp_path / "runs"), "--name", "w")
    assert code == 0, err
    weights.rename(tmp_path / "moved.pth")
    generator, _ = load_model(tmp_path / "runs" / "w" / "best.safetensors")
    assert generator.conv_first.weight.shape == (TINY["features"], 3, 3, 3)
    iio.imwrite(tmp_path / "lr.png", astronaut_lr())
    code, _, err = cli("upscale", str(tmp_path / "runs" / "w" / "best.safetensors"), str(tmp_path / "lr.png"), str(tmp_path / "sr.png"))
    assert code == 0, err


def test_a_file_of_another_scale_names_its_scale(cli, tmp_path, photo_folder):
    weights = write_pth(tmp_path / "x2.pth", scale=2)
    code, _, err = cli("train", f"gen=rrdbnet(blocks=1,features=8,growth=4,weights={weights}) loss=l1", "--data",
                       str(photo_folder), "--patch", "32", "--iters", "1", "--scale", "4", "--out", str(tmp_path / "runs"))
    assert code == 2 and "×2" in err and "--scale 2" in err


@pytest.fixture
def photo_folder(tmp_path):
    import skimage.data

    folder = tmp_path / "photos"
    folder.mkdir()
    for i, image in enumerate((skimage.data.astronaut(), skimage.data.chelsea(), skimage.data.coffee())):
        iio.imwrite(folder / f"p{i}.png", image[:64, :64])
    return folder
