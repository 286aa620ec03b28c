"""Numerical faults: NaN/Inf in the data is named before training; a non-finite loss or gradient
(the generator's or the discriminator's) skips the whole step — neither network moves — and is
logged; too many in a row stop the run with the last good checkpoint intact; a discriminator that
wins outright for long is reported. Faults are injected by test components registered through a
plugin host, never by touching srzoo's code."""

from __future__ import annotations

import io
import json
from typing import Literal

import numpy as np
import pytest
import torch
from rich.console import Console
from torch import nn

import srzoo_core
from srzoo_core import PluginHost, hookimpl
from srzoo_core.training import checkpoint
from srzoo_core.training.config import TrainConfig
from srzoo_core.training.progress import Reporter
from srzoo_core.training.rundir import LAST, RESUME, RunDir
from srzoo_core.training.trainer import Trainer, TrainingStopped
from tests.reliability.common import TINY_ARGS, TINY_SPEC, error_count, flat


pytestmark = pytest.mark.usefixtures("no_plots")

class Faulty(nn.Module):
    """L1, then from call ``after`` on: a NaN or Inf loss, or a finite loss whose gradient is NaN."""

    role = "pixel"

    def __init__(self, after: int = 2, fault: Literal["nan", "inf", "nangrad"] = "nan"):
        super().__init__()
        self.after, self.fault, self.calls = after, fault, 0

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        loss = (sr - hr).abs().mean()
        if self.calls <= self.after:
            return loss
        if self.fault == "nangrad":
            return loss + torch.sqrt((sr * 0).sum())  # sqrt at 0: the value is 0, its gradient inf * 0 = NaN
        return loss * float(self.fault)


class Flat(nn.Module):
    """A generator whose output is one learnt value per channel: no texture at all."""

    def __init__(self, in_channels: int, out_channels: int, scale: int):
        super().__init__()
        self.scale = scale
        self.level = nn.Parameter(torch.zeros(1, out_channels, 1, 1))

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        n, _, h, w = lr.shape
        return self.level.expand(n, -1, h * self.scale, w * self.scale) + 0 * lr.mean()


class Oracle(nn.Module):
    """A discriminator that is trivially right against Flat: real fields have texture, fakes none.
    ``broken=True``: NaN logits on real samples (its loss is NaN, the generator's is not)."""

    def __init__(self, in_channels: int, broken: bool = False):
        super().__init__()
        self.broken = broken
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        texture = x.flatten(1).std(dim=1, keepdim=True)
        logits = 10 * texture - 1
        if self.broken:
            logits = torch.where(texture > 1e-6, torch.full_like(logits, float("nan")), logits)
        return logits + self.bias


class FaultPlugin:
    @hookimpl
    def srzoo_register_generators(self, register):
        register("flat", Flat, scales=(2, 4))

    @hookimpl
    def srzoo_register_discriminators(self, register):
        register("oracle", Oracle)

    @hookimpl
    def srzoo_register_losses(self, register):
        register("faulty", Faulty)


@pytest.fixture
def host() -> PluginHost:
    h = PluginHost()
    h.load_entry_points()
    h.add_plugin(FaultPlugin(), name="faults")
    return h


def train(host, tmp_path, spec: str, **options) -> tuple[Trainer, str, BaseException | None]:
    """Train in this process; return the trainer, what it reported, and what it raised."""
    config = TrainConfig(spec=spec, data="synthetic-grid:20", batch=4, val_batch=8, precision="fp32", deterministic=True,
                         out=str(tmp_path), name="run", **options)
    buffer = io.StringIO()
    trainer = Trainer(config, host=host, reporter=Reporter(console=Console(file=buffer, width=400))).setup()
    try:
        trainer.run()
        raised = None
    except (TrainingStopped, KeyboardInterrupt) as exc:
        raised = exc
    return trainer, buffer.getvalue(), raised


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_inf_in_the_data_is_named_before_training(cli, tmp_path, value):
    rng = np.random.default_rng(0)
    fields = np.kron(rng.normal(size=(12, 2, 8, 8)), np.ones((1, 1, 8, 8)))
    fields[7, 0, 3, 3] = value
    path = tmp_path / "grids.npy"
    np.save(path, fields)
    code, _, err = cli("train", TINY_SPEC, "--data", str(path), "--iters", "1", "--out", str(tmp_path / "runs"))
    err = flat(err)
    assert code == 2 and f"{path}: NaN or Inf values, first in sample 7 (1 of 12 samples affected)" in err, err
    assert error_count(err) == 1 and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("fault, reason", [("nan", "non-finite loss"), ("inf", "non-finite loss"), ("nangrad", "non-finite gradients")])
def test_non_finite_steps_are_skipped_logged_and_stop_the_run_with_the_checkpoint_intact(host, tmp_path, fault, reason):
    spec = f"gen=srresnet(blocks=1,features=8) loss=l1+faulty(after=2,fault={fault})"
    trainer, report, raised = train(host, tmp_path, spec, iters=20, val_every=2, max_bad_steps=3, ema=0.0)
    assert isinstance(raised, TrainingStopped), report
    run = trainer.rundir.path
    assert raised.message == f"training stopped at step 5: 3 steps in a row had a {reason} and were skipped (--max-bad-steps 3)"
    assert f"the last good checkpoint, {run / LAST} (step 2), is intact" in raised.hint
    events = [r for r in RunDir(run).records() if "event" in r]
    assert [(r["step"], r["event"]) for r in events] == [(s, f"{reason}, step skipped") for s in (3, 4, 5)]
    if fault != "nangrad":
        assert all(not np.isfinite(r["loss/faulty"]) for r in events)
    status = RunDir(run).status()
    assert status["status"] == "failed" and status["reason"] == f"3 steps in a row skipped: {reason}"
    tensors, meta = checkpoint.read(run / RESUME)
    saved = checkpoint.join_state(meta["state"], tensors)
    assert meta["step"] == 2
    for key, value in trainer.generator.state_dict().items():  # the skipped steps moved nothing
        assert torch.equal(value, saved["gen_raw"][key]), key
    assert {int(s["step"]) for s in trainer.opt_g.state_dict()["state"].values()} == {2}
    assert all(torch.isfinite(p).all() for p in trainer.generator.parameters())


def test_a_non_finite_discriminator_loss_leaves_the_generator_where_it_was(host, tmp_path):
    trainer, report, raised = train(host, tmp_path, "gen=flat disc=oracle(broken=true) loss=l1+0.1*gan", iters=10, val_every=10,
                                    pretrain="0", max_bad_steps=2, ema=0.0)
    assert isinstance(raised, TrainingStopped) and "2 steps in a row had a non-finite loss" in raised.message, report
    assert "no checkpoint had been written yet" in raised.hint
    assert torch.equal(trainer.generator.level.detach(), torch.zeros(1, 2, 1, 1))  # its step was dropped with the discriminator's
    assert trainer.opt_g.state_dict()["state"] == {} and trainer.opt_d.state_dict()["state"] == {}
    events = [r for r in RunDir(trainer.rundir.path).records() if "event" in r]
    assert len(events) == 2 and all(np.isnan(r["loss/disc"]) and np.isfinite(r["loss/gan"]) for r in events)


def test_a_discriminator_that_always_wins_is_logged_and_reported(host, tmp_path):
    trainer, report, raised = train(host, tmp_path, "gen=flat disc=oracle loss=l1+0.1*gan", iters=60, val_every=60, pretrain="0")
    assert raised is None, report
    logged = [r for r in RunDir(trainer.rundir.path).records() if "loss/d_real" in r]
    assert len(logged) == 60 and all(r["loss/d_real"] > 0 > r["loss/d_fake"] for r in logged)
    warnings = [line for line in report.splitlines() if line.startswith("warning: the discriminator has been right")]
    assert len(warnings) == 1, report
    assert "on every real and fake sample for 50 steps" in warnings[0] and "--lr-disc" in warnings[0]


def test_a_nan_loss_at_the_command_line_stops_with_one_message(cli, tmp_path, plugin_env):
    srzoo_core.add_plugin(FaultPlugin(), name="faults")
    code, _, err = cli("train", "gen=srresnet(blocks=1,features=8) loss=faulty(after=2)", *TINY_ARGS, "--precision", "fp32",
                       "--iters", "20", "--val-every", "2", "--max-bad-steps", "2", "--out", str(tmp_path), "--name", "nan")
    err = flat(err)
    assert code == 1 and "error: training stopped at step 4: 2 steps in a row had a non-finite loss" in err, err
    assert "warning: step 3: non-finite loss (faulty=nan); step skipped" in err
    assert f"hint: the last good checkpoint, {tmp_path / 'nan' / LAST} (step 2), is intact" in err
    assert error_count(err) == 1 and "Traceback" not in err
    assert json.loads((tmp_path / "nan" / "run.json").read_text())["status"] == "failed"
