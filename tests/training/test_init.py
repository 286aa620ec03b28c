"""`srzoo train --init`: fine-tuning from an imported checkpoint or from a run's checkpoint."""

from __future__ import annotations

import json

import imageio.v3 as iio
import pytest
import skimage.data as skd
import torch

from srzoo_core.training.checkpoint import load_model
from srzoo_core.training.config import TrainConfig, make_config
from tests.weights_files import import_checkpoint, rrdbnet_state

RRDB = "gen=rrdbnet(blocks=1,features=8,growth=4) loss=l1"
GAN = "gen=srresnet(blocks=1,features=8) disc=patchgan(layers=1,features=8) loss=l1+0.01*gan"


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, image in enumerate((skd.astronaut(), skd.chelsea(), skd.coffee())):
        iio.imwrite(folder / f"p{i}.png", image[:64, :64])
    return folder


def args(photos, out, name, *extra):
    return ["--data", str(photos), "--patch", "32", "--batch", "2", "--val-batch", "4", "--out", str(out), "--name", name, *extra]


def run_json(path):
    return json.loads((path / "run.json").read_text())["description"]


def test_setup_starts_from_an_imported_checkpoint(cli, tmp_path, photos):
    from srzoo_core.training.trainer import Trainer

    checkpoint = import_checkpoint(cli, tmp_path)
    config = make_config(None, {"spec": RRDB, "data": str(photos), "patch": 32, "iters": 1, "out": str(tmp_path / "runs"),
                                "init": str(checkpoint)})
    trainer = Trainer(config).setup()
    try:
        for key, value in rrdbnet_state().items():
            assert torch.equal(trainer.generator.state_dict()[key].float().cpu(), value)
            assert torch.equal(trainer.ema.model.state_dict()[key].float().cpu(), value)
        training = trainer.description.training
        assert training["init"] == str(checkpoint) and training["init_strict"] is True
        assert training["init_source"]["generator"] == "42 of 42 tensors"
        assert "tiny_x4.safetensors" in training["init_source"]["source"]
    finally:
        trainer.release()


def test_fine_tuning_an_imported_checkpoint_runs_and_is_recorded(cli, tmp_path, photos):
    checkpoint = import_checkpoint(cli, tmp_path)
    code, out, err = cli("train", RRDB, *args(photos, tmp_path / "runs", "ft", "--iters", "2", "--init", str(checkpoint)))
    assert code == 0, err
    assert "--init generator: 42 of 42 tensors" in out + err
    assert run_json(tmp_path / "runs" / "ft")["training"]["init"] == str(checkpoint)


def test_from_a_run_resume_file_the_discriminator_follows(cli, tmp_path, photos):
    assert cli("train", GAN, *args(photos, tmp_path / "runs", "a", "--iters", "2", "--pretrain", "0"))[0] == 0
    first = tmp_path / "runs" / "a"
    code, _, err = cli("train", GAN, *args(photos, tmp_path / "runs", "b", "--iters", "2", "--pretrain", "0",
                                             "--init", str(first / "last.resume.safetensors")))
    assert code == 0, err
    loaded = run_json(tmp_path / "runs" / "b")["training"]["init_source"]
    assert loaded["generator"].endswith("tensors") and "not loaded" not in loaded["generator"]
    assert loaded["discriminator"].endswith("tensors") and "resume checkpoint" in loaded["source"]
    disc_then = load_disc(first / "last.resume.safetensors")
    code, _, err = cli("train", GAN, *args(photos, tmp_path / "runs", "c", "--iters", "1", "--init", str(first / "best.safetensors")))
    assert code == 0, err
    loaded = run_json(tmp_path / "runs" / "c")["training"]["init_source"]
    assert loaded["discriminator"].startswith("from scratch: model checkpoints hold only the generator")
    assert disc_then  # the resume file does hold one


def load_disc(path):
    from srzoo_core.training import checkpoint as ckpt

    tensors, meta = ckpt.read(path)
    return ckpt.join_state(meta["state"], tensors).get("disc")


def test_a_run_with_init_resumes(cli, tmp_path, photos):
    checkpoint = import_checkpoint(cli, tmp_path)
    common = args(photos, tmp_path / "runs", "r", "--init", str(checkpoint))
    assert cli("train", RRDB, *common, "--iters", "2")[0] == 0
    code, _, err = cli("train", RRDB, *common, "--iters", "3", "--resume")
    assert code == 0, err
    assert json.loads((tmp_path / "runs" / "r" / "run.json").read_text())["step"] == 3


def test_strict_mismatches_list_what_did_not_fit(cli, tmp_path, photos):
    checkpoint = import_checkpoint(cli, tmp_path)
    code, _, err = cli("train", "gen=srresnet(blocks=1,features=8) loss=l1", *args(photos, tmp_path / "runs", "s", "--iters", "1",
                                                                                    "--init", str(checkpoint)))
    assert code == 2 and "does not fit this run's generator" in err
    assert "missing from the checkpoint:" in err and "not in this run's network: conv_first.weight" not in err
    assert "not in this run's network:" in err and "gen=rrdbnet(blocks=1,features=8,growth=4)" in err and "--no-init-strict" in err
    assert not (tmp_path / "runs" / "s").exists()


def test_a_checkpoint_of_another_scale_names_its_scale_or_loads_what_fits(cli, tmp_path, photos):
    x2 = import_checkpoint(cli, tmp_path, scale=2, name="two")
    code, _, err = cli("train", RRDB, *args(photos, tmp_path / "runs", "x", "--iters", "1", "--init", str(x2)))
    assert code == 2 and "is a ×2 model: use --scale 2" in err and "shape mismatch: conv_first.weight (8, 12, 3, 3)" in err
    code, _, err = cli("train", RRDB, *args(photos, tmp_path / "runs", "y", "--iters", "1", "--init", str(x2), "--no-init-strict"))
    assert code == 0, err
    loaded = run_json(tmp_path / "runs" / "y")["training"]["init_source"]["generator"]
    assert loaded.startswith("41 of 42 tensors (not loaded: shape mismatch: conv_first.weight (8, 12, 3, 3)")
    generator, _ = load_model(tmp_path / "runs" / "y" / "last.safetensors")
    assert generator.conv_first.weight.shape == (8, 3, 3, 3)


def test_bad_init_checkpoints(cli, tmp_path, photos):
    code, _, err = cli("train", RRDB, *args(photos, tmp_path / "runs", "m", "--iters", "1", "--init", str(tmp_path / "none.safetensors")))
    assert code == 2 and "--init checkpoint not found" in err
    torch.save({"w": torch.zeros(1)}, tmp_path / "w.pth")
    code, _, err = cli("train", RRDB, *args(photos, tmp_path / "runs", "m", "--iters", "1", "--init", str(tmp_path / "w.pth")))
    assert code == 2 and "is a PyTorch file" in err and "srzoo import" in err


def test_pretraining_can_be_skipped_whatever_the_budget():
    assert TrainConfig(pretrain="0", time="1m").validate().pretrain_fraction() == 0.0
    assert TrainConfig(pretrain="0%").validate().pretrain_fraction() == 0.0
    assert TrainConfig(pretrain="20").validate().pretrain_fraction() == 20
