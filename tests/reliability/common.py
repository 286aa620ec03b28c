"""Helpers for the reliability tests: the tiny run they all train, the CLI in-process and in a
subprocess, and reading what a run left behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from srzoo_core.registry.host import ENV_DISABLED, ENV_ONLY, ENV_STRICT
from srzoo_core.training.rundir import RunDir

TINY_SPEC = "gen=srresnet(blocks=1,features=8) loss=l1"
TINY_ARGS = ["--data", "synthetic-grid:20", "--batch", "4", "--val-batch", "8"]
# The run the crash and Ctrl-C tests interrupt: a validation (and so a checkpoint) every 2 steps.
CRASH_ITERS = 12
CRASH_ARGS = [*TINY_ARGS, "--deterministic", "--precision", "fp32", "--val-every", "2", "--iters", str(CRASH_ITERS)]


def clean_env() -> dict[str, str]:
    """The caller's environment without plugin selection or strict mode (`make test` sets it), one
    torch thread per process (two runs share the two cores), output unbuffered."""
    env = {k: v for k, v in os.environ.items() if k not in (ENV_ONLY, ENV_DISABLED, ENV_STRICT)}
    return {**env, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def srzoo(*args: str) -> list[str]:
    return [sys.executable, "-m", "srzoo_core.cli", *args]


def flat(text: str) -> str:
    """Text with every run of whitespace as one space: the CLI's console wraps lines at 160 columns."""
    return " ".join(text.split())


def error_count(text: str) -> int:
    """How many error messages the text holds (``error: `` at the start of a line or after a space)."""
    return len(re.findall(r"(?:^|\s)error: ", text))


class Training:
    """`srzoo train TINY_SPEC CRASH_ARGS --out OUT --name NAME [extra]` in a subprocess, output to a log."""

    def __init__(self, out: Path, name: str, *extra: str):
        self.path = Path(out) / name
        self.log = Path(out) / f"{name}.log"
        command = srzoo("train", TINY_SPEC, *CRASH_ARGS, "--out", str(out), "--name", name, *extra)
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=clean_env(), start_new_session=True)

    def wait(self) -> int:
        return self.process.wait()

    def output(self) -> str:
        return self.log.read_text()

    def finished_ok(self) -> "Training":
        code = self.wait()
        assert code == 0, f"exit {code}\n{self.output()[-3000:]}"
        return self

    def wait_for_step(self, step: int) -> int:
        """Block until the run has logged training step >= ``step``; return the step it logged."""
        while True:
            done = [r["step"] for r in RunDir(self.path).records() if "it_per_s" in r]
            if done and done[-1] >= step:
                return done[-1]
            assert self.process.poll() is None, f"the run ended (exit {self.process.returncode}) before step {step}\n{self.output()[-3000:]}"
            time.sleep(0.02)


def assert_same_tensors(first: Path, second: Path) -> None:
    a, b = load_file(first), load_file(second)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"{key} differs between {first} and {second}"


def assert_complete_history(run: Path, iters: int, val_every: int) -> None:
    """Every training step logged once, every validation once: nothing lost, nothing doubled."""
    records = RunDir(run).records()
    assert [r["step"] for r in records if "it_per_s" in r] == list(range(1, iters + 1))
    assert [r["step"] for r in records if "val/psnr" in r] == list(range(val_every, iters + 1, val_every))


# A photo model: ×2 on 32×32 images, so a run takes a second or two.
PHOTO_ARGS = ["--scale", "2", "--patch", "16", "--batch", "2", "--val-batch", "4", "--iters", "2", "--val-every", "2"]


def photo_folder(folder: Path, count: int = 3, shape: tuple[int, ...] = (32, 32, 3), seed: int = 0) -> Path:
    """``count`` random 8-bit PNGs (``shape`` (H, W) for grey) in ``folder``."""
    import imageio.v3 as iio
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        iio.imwrite(folder / f"im{i}.png", (rng.random(shape) * 255).astype(np.uint8))
    return folder


def train_photo_model(root: Path, name: str = "photo") -> Path:
    """A two-step photo run on ``photo_folder(root / "photos")`` through the Python API; its folder."""
    import srzoo_core.api as api

    folder = photo_folder(root / "photos")
    api.train(TINY_SPEC, data=str(folder), scale=2, patch=16, batch=2, val_batch=4, iters=2, val_every=2, precision="fp32",
              out=str(root), name=name, quiet=True)
    return root / name
