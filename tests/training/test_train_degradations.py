"""``deg=`` from the command line: a Real-ESRGAN-degraded GAN run, the same weights whatever the
number of loader workers and across a resume, the run folder's panel and description, ``srzoo
list deg``, ``srzoo degrade`` and the mistakes each refuses with one message."""

from __future__ import annotations

import json

import numpy as np
import pytest

from srzoo_core.data import write_image

TINY = "gen=srresnet(blocks=1,features=8) loss=l1 deg=realesrgan"
FAST = ["--patch", "32", "--batch", "2", "--precision", "fp32", "--deterministic"]


@pytest.fixture
def photos(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "photos"
    for i in range(3):
        y, x = np.mgrid[0:48, 0:52]
        image = 0.5 + 0.3 * np.sin(x[..., None] / (3 + i) + np.arange(3)) * np.cos(y[..., None] / 5)
        write_image(folder / f"img{i}.png", np.clip(image + 0.05 * rng.standard_normal(image.shape), 0, 1))
    return folder


def description(run) -> dict:
    return json.loads((run / "run.json").read_text())["description"]


def test_the_realesrgan_gan_run_of_the_issue(cli, tmp_path):
    spec = "gen=srresnet(blocks=1,features=8) disc=patchgan(layers=1) loss=l1+vgg(weights=random)+0.1*gan deg=realesrgan"
    code, out, err = cli("train", spec, "--iters", "3", "--patch", "32", "--batch", "2", "--samples", "2",
                         "--out", str(tmp_path), "--name", "real")
    assert code == 0, err
    run = tmp_path / "real"
    assert (run / "samples" / "degradations.png").stat().st_size > 0
    described = description(run)
    assert described["roles"]["deg"] == "realesrgan" and "deg=realesrgan" in (run / "spec.txt").read_text()
    assert [c["name"] for c in described["components"] if c["role"] == "deg"] == ["realesrgan"]
    made = json.loads((run / "run.json").read_text())["training_lr"]
    assert made["per_sample"] and made["terms"] == [{"name": "realesrgan", "options": {"quantise": True}}]
    assert "bicubic" in made["validation_lr"] and described["data"]["degradation"] == "bicubic"
    assert "training LR by deg=realesrgan, per item, in the data loader; validation LR by bicubic" in " ".join(err.split())


def test_same_weights_with_0_or_2_workers_and_after_a_resume(cli, tmp_path, photos, monkeypatch):
    from safetensors.torch import load_file

    from srzoo_core.training.loop import TrainingLoop

    common = [TINY, "--data", str(photos), *FAST, "--iters", "6", "--val-every", "3", "--out", str(tmp_path)]
    assert cli("train", *common, "--name", "straight")[0] == 0
    original = TrainingLoop.finished
    monkeypatch.setattr(TrainingLoop, "finished", lambda self: self.t.step >= 3 or original(self))
    assert cli("train", *common, "--workers", "2", "--name", "resumed")[0] == 0
    monkeypatch.setattr(TrainingLoop, "finished", original)
    code, _, err = cli("train", *common, "--workers", "2", "--name", "resumed", "--resume")
    assert code == 0, err
    straight, resumed = (load_file(tmp_path / name / "last.safetensors") for name in ("straight", "resumed"))
    assert straight.keys() == resumed.keys()
    assert all(np.array_equal(straight[k].numpy(), resumed[k].numpy()) for k in straight)


def test_srzoo_list_deg_names_every_kind_with_its_plugin(cli):
    code, out, _ = cli("list", "deg", "--json")
    listed = {c["name"]: c["dist"] for c in json.loads(out)}
    assert code == 0
    assert listed == {name: "srzoo-degradations" for name in
                      ("bicubic", "blur", "coarsen", "jpeg", "noise", "realesrgan", "resize", "sinc", "smooth")}


@pytest.mark.parametrize("spec, data, message", [
    ("gen=srresnet(blocks=1,features=8) deg=jpeg+bicubic", "synthetic-grid:12",
     "deg=jpeg+bicubic: degradation 'jpeg' cannot degrade physical grids"),
    ("gen=srresnet(blocks=1,features=8) deg=blur+resize", "builtin", "the chain does not end at H/scale × W/scale"),
])
def test_a_chain_that_cannot_run_fails_before_training(cli, tmp_path, spec, data, message):
    code, _, err = cli("train", spec, "--data", data, "--iters", "1", "--out", str(tmp_path))
    assert code == 2 and message in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_degrade_writes_samples_with_their_parameters(cli, tmp_path, photos):
    out = tmp_path / "lr"
    code, stdout, err = cli("degrade", "deg=realesrgan", str(photos), str(out), "--n", "2", "--seed", "5")
    assert code == 0, err
    assert "wrote 6 LR sample(s) of 3 input(s) by deg=realesrgan (×4, seed 5)" in " ".join(stdout.split())
    assert sorted(p.name for p in out.iterdir()) == sorted(f"img{i}_{k}{s}" for i in range(3) for k in range(2) for s in (".png", ".json"))
    record = json.loads((out / "img1_0.json").read_text())
    assert record["lr_size"] == [12, 13] and record["hr_size"] == [48, 52] and record["generator"].endswith("(5, 1, 0)")
    assert record["terms"][0]["name"] == "realesrgan" and "quality" in record["terms"][0]["params"]["jpeg"]
    assert cli("degrade", "deg=realesrgan", str(photos), str(tmp_path / "again"), "--n", "2", "--seed", "5")[0] == 0
    assert all((out / name).read_bytes() == (tmp_path / "again" / name).read_bytes() for name in ("img1_0.png", "img2_1.json"))
    assert (out / "img1_0.png").read_bytes() != (out / "img1_1.png").read_bytes()
    assert cli("degrade", "deg=bicubic", str(photos / "img1.png"), str(tmp_path / "pair"))[0] == 0   # --n 1: same names
    assert sorted(p.name for p in (tmp_path / "pair").iterdir()) == ["img1.json", "img1.png"]


def test_degrade_grids_in_physical_units(cli, tmp_path):
    field = 280 + np.random.default_rng(1).standard_normal((2, 2, 16, 16))
    np.save(tmp_path / "fields.npy", field)
    code, _, err = cli("degrade", "deg=coarsen+noise(sigma=0.01)", str(tmp_path / "fields.npy"), str(tmp_path / "out"))
    assert code == 0, err
    lr = np.load(tmp_path / "out" / "fields.npy")
    coarse = field.reshape(2, 2, 4, 4, 4, 4).mean(axis=(3, 5))
    assert lr.shape == (2, 2, 4, 4) and np.abs(lr - coarse).max() < 0.1


@pytest.mark.parametrize("args, message", [
    (["gen=srresnet", "IN", "OUT"], "the spec has no deg=: nothing to degrade with"),
    (["deg=realesrgan", "missing.png", "OUT"], "input not found"),
    (["deg=realesrgan", "IN", "FILE"], "is a file, not a folder"),
    (["deg=jpeg+bicubic", "GRID", "OUT"], "degradation 'jpeg' cannot degrade physical grids"),
    (["deg=realesrgan", "IN", "OUT", "--n", "0"], "--n must be at least 1, not 0"),
])
def test_degrade_mistakes(cli, tmp_path, photos, args, message):
    (tmp_path / "file.txt").write_text("x")
    np.save(tmp_path / "grid.npy", np.zeros((1, 8, 8)))
    paths = {"IN": str(photos), "OUT": str(tmp_path / "out"), "FILE": str(tmp_path / "file.txt"), "GRID": str(tmp_path / "grid.npy"),
             "missing.png": str(tmp_path / "missing.png")}
    code, _, err = cli("degrade", *[paths.get(a, a) for a in args])
    assert code == 2 and message in err and "Traceback" not in err


def test_an_ablation_over_deg_is_reported_with_deg_in_the_arm_spec(cli, tmp_path, photos):
    out = tmp_path / "abl"
    code, _, err = cli("ablate", "gen=srresnet(blocks=1,features=8) loss=l1 deg=bicubic", "--swap", "deg:bicubic=realesrgan",
                       "--seeds", "1", "--data", str(photos), "--iters", "1", *FAST, "--out", str(out))
    assert code == 0, err
    code, report, err = cli("report", str(out))
    assert code == 0, err
    assert "`gen=srresnet(blocks=1,features=8) loss=l1 deg=realesrgan`" in report and "deg=bicubic`" in report
    assert "differ in options" not in report   # what deg= makes is in the spec, not an option
