"""`srzoo train` and `srzoo eval` end to end on tiny models and data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

TINY_GRID_SPEC = "gen=srresnet(blocks=1,features=8) loss=l1"
TINY_ARGS = ["--data", "synthetic-grid:20", "--batch", "4", "--val-batch", "8"]

RUN_FILES = ["spec.txt", "config.yaml", "env.json", "metrics.csv", "metrics.jsonl", "curves.png", "run.json",
             "last.safetensors", "best.safetensors", "last.resume.safetensors"]


def test_grid_training_writes_a_complete_run_folder(cli, tmp_path):
    code, out, err = cli("train", TINY_GRID_SPEC, *TINY_ARGS, "--iters", "6", "--out", str(tmp_path), "--name", "grid")
    assert code == 0, err
    run = tmp_path / "grid"
    for name in RUN_FILES:
        assert (run / name).is_file(), name
    assert list((run / "samples").glob("step_*.png"))
    assert (run / "spec.txt").read_text().strip() == (
        "gen=srresnet(blocks=1,features=8) loss=l1 metric=psnr(space=channel)+ssim(space=channel)+rmse+mae+bias+corr"
    )
    status = json.loads((run / "run.json").read_text())
    assert status["status"] == "finished" and status["step"] == 6
    env = json.loads((run / "env.json").read_text())
    assert {"python", "torch", "srzoo", "plugins"} <= set(env) and env["plugins"]["srgan"]["status"] == "ok"
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["iters"] == 6 and config["batch"] == 4
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    validation = [r for r in records if "val/rmse_ch0" in r]
    assert validation and all("bicubic/rmse_ch0" in r for r in validation)
    assert "model" in out and "bicubic" in out and "rmse ch1" in out and str(run) in out


def test_eval_scores_model_and_bicubic_from_the_checkpoint_alone(cli, tmp_path):
    cli("train", TINY_GRID_SPEC, *TINY_ARGS, "--iters", "4", "--out", str(tmp_path), "--name", "g")
    code, out, err = cli("eval", str(tmp_path / "g" / "best.safetensors"), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["data"] == "synthetic-grid" and result["split"] == "val"
    for key in ("rmse_ch0", "rmse_ch1", "bias_ch0", "corr_ch1", "psnr"):
        assert key in result["model"] and key in result["bicubic"]
    assert result["protocol"]["output"] == "de-normalised to physical units"
    code, out, _ = cli("eval", str(tmp_path / "g" / "best.safetensors"), "--split", "test")
    assert code == 0 and "bicubic" in out and "rmse ch0" in out


def test_seed004_shaped_npy_trains(cli, tmp_path, grid_file):
    code, out, err = cli("train", TINY_GRID_SPEC, "--data", str(grid_file), "--batch", "4", "--iters", "3",
                         "--out", str(tmp_path), "--name", "npy")
    assert code == 0, err
    described = json.loads((tmp_path / "npy" / "run.json").read_text())["data"]
    assert described["channels"] == 2 and described["kind"] == "grid"


def test_yaml_config_gives_the_same_options_as_flags(cli, tmp_path):
    config = tmp_path / "exp.yaml"
    config.write_text(yaml.safe_dump({"spec": TINY_GRID_SPEC, "data": "synthetic-grid:20", "batch": 4, "iters": 2,
                                      "val-batch": 8, "out": str(tmp_path), "name": "fromyaml"}))
    code, _, err = cli("train", "--config", str(config))
    assert code == 0, err
    assert yaml.safe_load((tmp_path / "fromyaml" / "config.yaml").read_text())["iters"] == 2


def test_unknown_yaml_key_names_the_closest_valid_key(cli, tmp_path):
    config = tmp_path / "exp.yaml"
    config.write_text("spec: gen=srresnet\nitres: 10\n")
    code, _, err = cli("train", "--config", str(config), "--out", str(tmp_path))
    assert code == 2
    assert f"error: unknown key 'itres' in {config}" in err and "did you mean 'iters'?" in err
    assert "Traceback" not in err and not any(tmp_path.glob("srresnet*"))


def test_a_run_resumed_from_last_matches_an_uninterrupted_run(cli, tmp_path, monkeypatch):
    from safetensors.torch import load_file

    from srzoo_core.training.loop import TrainingLoop

    common = [TINY_GRID_SPEC, *TINY_ARGS, "--iters", "8", "--val-every", "4", "--out", str(tmp_path), "--deterministic"]
    assert cli("train", *common, "--name", "straight")[0] == 0
    original = TrainingLoop.finished
    monkeypatch.setattr(TrainingLoop, "finished", lambda self: self.t.step >= 4 or original(self))
    assert cli("train", *common, "--name", "resumed")[0] == 0
    monkeypatch.setattr(TrainingLoop, "finished", original)
    code, out, err = cli("train", *common, "--name", "resumed", "--resume")
    assert code == 0, err
    straight = load_file(tmp_path / "straight" / "last.safetensors")
    resumed = load_file(tmp_path / "resumed" / "last.safetensors")
    assert straight.keys() == resumed.keys()
    for key in straight:
        assert np.array_equal(straight[key].numpy(), resumed[key].numpy()), key
    final = lambda name: json.loads((tmp_path / name / "run.json").read_text())["final"]  # noqa: E731
    assert final("straight") == final("resumed")


def test_existing_named_run_is_not_overwritten(cli, tmp_path):
    args = [TINY_GRID_SPEC, *TINY_ARGS, "--iters", "1", "--out", str(tmp_path), "--name", "once"]
    assert cli("train", *args)[0] == 0
    code, _, err = cli("train", *args)
    assert code == 2 and f"run folder {tmp_path / 'once'} already exists" in err
    code, _, err = cli("train", "gen=srresnet(blocks=2,features=8) loss=l1", *TINY_ARGS, "--iters", "1",
                       "--out", str(tmp_path), "--name", "once")
    assert code == 2 and "holds a different spec" in err


@pytest.mark.parametrize("flags, message", [
    (["--iters", "5", "--time", "1m"], "give one training budget, not --iters and --time"),
    (["--time", "soon"], "--time 'soon' is not a duration"),
    (["--precision", "fp8"], "precision must be one of auto, fp32, bf16, fp16, not 'fp8'"),
    (["--ema", "1.5"], "--ema is a decay in [0, 1)"),
    (["--scale", "3"], "generator 'srresnet' supports scale 2, 4, 8, not 3"),
    (["--betas", "0.9"], "--betas '0.9' must be two numbers"),
])
def test_bad_options_fail_before_training(cli, tmp_path, flags, message):
    code, _, err = cli("train", TINY_GRID_SPEC, *TINY_ARGS, *flags, "--out", str(tmp_path))
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_unwritable_output_folder(cli, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, _, err = cli("train", TINY_GRID_SPEC, *TINY_ARGS, "--iters", "1", "--out", str(locked / "runs"))
    finally:
        locked.chmod(0o700)
    import os

    if os.geteuid() == 0:  # root ignores permission bits; the check is exercised through a file in the way
        (tmp_path / "file").write_text("")
        code, _, err = cli("train", TINY_GRID_SPEC, *TINY_ARGS, "--iters", "1", "--out", str(tmp_path / "file"))
        assert code == 2 and "exists and is not a folder" in err
    else:
        assert code == 2 and "permission denied" in err


def test_nan_in_data_is_named_before_training(cli, tmp_path, grid_file):
    array = np.load(grid_file)
    array[3, 1, 5, 5] = np.nan
    np.save(grid_file, array)
    code, _, err = cli("train", TINY_GRID_SPEC, "--data", str(grid_file), "--iters", "1", "--out", str(tmp_path / "runs"))
    assert code == 2 and str(grid_file) in err and "3" in err and "NaN" in err
    assert not (tmp_path / "runs").exists()


def _bad_sources(tmp_path):
    from skimage import io

    np.save(tmp_path / "rank3.npy", np.zeros((4, 64, 64)))
    np.save(tmp_path / "hr.npy", np.random.default_rng(0).random((8, 2, 64, 64)))
    np.save(tmp_path / "lr.npy", np.random.default_rng(1).random((8, 2, 20, 20)))
    (tmp_path / "small").mkdir()
    for i in range(3):
        io.imsave(tmp_path / "small" / f"{i}.png", np.full((40, 40, 3), 100 + i, np.uint8), check_contrast=False)
    return {
        "missing": (["--data", str(tmp_path / "nope.npy")], f"data source not found: {tmp_path / 'nope.npy'}"),
        "rank": (["--data", str(tmp_path / "rank3.npy")], "expected an array shaped (N, C, H, W), found 3-D shape (4, 64, 64)"),
        "scale": (["--data", str(tmp_path / "hr.npy"), "--lr-data", str(tmp_path / "lr.npy")],
                  "LR size 20x20 x scale 4 = 80x80 does not match HR size 64x64"),
        "small": (["--data", str(tmp_path / "small")], "training image 0.png is 40x40, smaller than the 96x96 crop"),
    }


@pytest.mark.parametrize("case", ["missing", "rank", "scale", "small"])
def test_bad_data_fails_with_one_message_before_training(cli, tmp_path, case):
    flags, message = _bad_sources(tmp_path)[case]
    code, _, err = cli("train", TINY_GRID_SPEC, *flags, "--iters", "1", "--out", str(tmp_path / "runs"))
    assert code == 2 and message in err and "Traceback" not in err
    assert err.count("error:") == 1
    assert not (tmp_path / "runs").exists()


def test_the_defaults_named_in_train_help_are_the_defaults_it_uses():
    import inspect
    import re

    from srzoo_core.cli.train import train
    from srzoo_core.training.config import TrainConfig

    defaults = TrainConfig()
    checked = 0
    for name, parameter in inspect.signature(train).parameters.items():
        found = re.search(r"\(default ([^)%,;]+)\)", getattr(parameter.default, "help", None) or "")
        value = getattr(defaults, name, None)
        if not found or value is None or isinstance(value, bool):
            continue
        stated = found.group(1).strip()
        assert (float(stated) == float(value)) if isinstance(value, (int, float)) else stated == str(value), f"--{name}: help says {stated}, default is {value}"
        checked += 1
    assert checked >= 8
