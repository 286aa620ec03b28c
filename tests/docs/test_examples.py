"""The example scripts: their options, the ablation the weather script plans, and the photo
helpers of the natural-images script (everything short of training)."""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEATHER = ROOT / "examples" / "weather_downscaling" / "run.sh"
NATURAL = ROOT / "examples" / "natural_images" / "run.py"


def load_natural():
    spec = importlib.util.spec_from_file_location("natural_images_run", NATURAL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_weather_script_help():
    out = subprocess.run(["bash", str(WEATHER), "--help"], capture_output=True, text=True, check=True).stdout
    assert "ITERS=5000" in out and "--data" in out and "set -e" not in out


def test_weather_script_plans_four_arms_times_three_seeds_with_the_same_options(tmp_path):
    wrapper = tmp_path / "srzoo"
    wrapper.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m srzoo_core.cli \"$@\"\n")
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRZOO_")} | {"SRZOO": str(wrapper)}
    result = subprocess.run(["bash", str(WEATHER), "--print-commands", "--out", str(tmp_path / "abl")],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    runs = [shlex.split(line) for line in result.stdout.splitlines() if line.startswith("srzoo train ")]
    assert len(runs) == 12
    specs = {r[2] for r in runs}
    assert specs == {f"gen=srresnet(blocks=8){b} disc=patchgan loss=l1+ssim+0.01*gan metric=wrmse+quantile(q=0.999)+rapsd+mass"
                     for b in ("", "+se", "+multiscale", "+se+multiscale")}
    assert sorted(r[r.index("--seed") + 1] for r in runs) == sorted(["0", "1", "2"] * 4)

    def shared(r: list[str]) -> list[str]:
        drop = {"--seed", "--out", "--name"}
        return [w for i, w in enumerate(r[3:]) if w not in drop and r[3:][i - 1] not in drop]

    assert len({tuple(shared(r)) for r in runs}) == 1
    assert ["--data", f"{tmp_path}/era5_like.nc:vars=t2m,u10:split=time:2019-04-21"] == shared(runs[0])[:2]  # the generated sample


def test_natural_images_script_options():
    with pytest.raises(SystemExit) as exit_:
        load_natural().main(["--help"])
    assert exit_.value.code == 0


def test_natural_images_photo_is_written_and_scored_like_the_model(tmp_path, capsys):
    import shutil

    natural = load_natural()
    hr, lr = natural.write_test_photo(None, tmp_path)
    from srzoo_core.data import read_image, upsample, write_image

    assert read_image(hr).shape == (512, 512, 3) and read_image(lr).shape == (128, 128, 3)
    import torch

    bicubic = upsample(torch.as_tensor(read_image(lr)).permute(2, 0, 1).double(), 4, "bicubic").permute(1, 2, 0)
    sr = write_image(tmp_path / "sr.png", bicubic.numpy())
    natural.score(sr, hr, lr)
    lines = capsys.readouterr().out.splitlines()
    for line in lines:  # a "model" that is bicubic scores exactly as bicubic
        model, base = line.split("model ")[1].split(", bicubic ")
        assert model == base
    assert [line.split(" ")[0] for line in lines] == ["psnr", "ssim"]
    shutil.rmtree(tmp_path)
