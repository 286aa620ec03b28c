"""Learning-rate schedules (cosine, constant, multistep, linear warm-up) and gradient accumulation."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from srzoo_core.build import LossTerm
from srzoo_core.training.config import TrainConfig
from srzoo_core.training.device import Placement
from srzoo_core.training.schedules import parse_milestones, schedule_factor, warmup_factor
from srzoo_core.training.steps import GAN, PIXEL, StepRunner
from srzoo_core.training.trainer import Trainer

WITHIN = [0.0, 0.25, 0.5, 0.74, 0.75, 1.0]


def test_each_schedule_over_a_phase():
    assert [schedule_factor("constant", w) for w in WITHIN] == [1.0] * 6
    assert [schedule_factor("cosine", w) for w in WITHIN] == pytest.approx(
        [1.0, 0.5 + 0.5 * math.cos(math.pi / 4), 0.5, 0.5 + 0.5 * math.cos(math.pi * 0.74), 0.5 + 0.5 * math.cos(math.pi * 0.75), 0.0])
    assert [schedule_factor("multistep", w, (0.5, 0.75), 0.5) for w in WITHIN] == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert [schedule_factor("multistep", w, (0.3,), 0.1) for w in (0.29, 3 / 10, 0.9)] == pytest.approx([1, 0.1, 0.1])


def test_linear_warmup_reaches_the_scheduled_rate_at_step_n():
    assert [warmup_factor(s, 4) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert [warmup_factor(s, 0) for s in range(2)] == [1.0, 1.0]


def _factors(steps: int, adversarial: bool, **options) -> list[float]:
    """The trainer's factor before each of ``steps`` steps of an --iters budget."""
    trainer = Trainer.__new__(Trainer)
    trainer.config = TrainConfig(iters=steps, **options).validate()
    trainer.spec = SimpleNamespace(adversarial=adversarial)
    trainer.elapsed, trainer.steps_per_epoch = 0.0, 1
    factors = []
    for step in range(steps):
        trainer.step = step
        factors.append(trainer.learning_rate_factor())
    return factors


def test_the_schedule_restarts_with_the_adversarial_phase_and_warmup_starts_the_run():
    multistep = _factors(8, True, schedule="multistep", milestones="0.5", warmup=2, pretrain="50%")
    assert multistep == [0.5, 1, 0.5, 0.5, 1, 1, 0.5, 0.5]  # pretraining 0-3, adversarial 4-7
    cosine = _factors(4, False, warmup=2)
    assert cosine == pytest.approx([0.5 * 1.0, 0.5 + 0.5 * math.cos(math.pi / 4), 0.5, 0.5 + 0.5 * math.cos(3 * math.pi / 4)])
    assert _factors(3, False, schedule="constant", warmup=3) == pytest.approx([1 / 3, 2 / 3, 1])


@pytest.mark.parametrize("options, message", [
    (["--milestones", "0.5"], "--schedule cosine takes no --milestones (they are for --schedule multistep)"),
    (["--schedule", "multistep", "--milestones", "300,400"], "300 is not a fraction strictly between 0 and 1"),
    (["--schedule", "multistep", "--milestones", "0.75,0.5"], "must increase"),
    (["--schedule", "multistep", "--gamma", "2"], "--gamma is the factor at each milestone, in (0, 1]"),
    (["--schedule", "step"], "schedule must be one of cosine, constant, multistep"),
    (["--warmup", "-1"], "--warmup is a number of steps"),
    (["--accumulate", "0"], "--accumulate is a number of micro-batches"),
])
def test_bad_schedule_options_are_one_clear_error(cli, tmp_path, options, message):
    code, _, err = cli("train", "gen=srresnet(blocks=1,features=8) loss=l1", "--data", "synthetic-grid:12",
                       "--out", str(tmp_path), *options)
    assert code == 2 and message in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_milestones_read_from_yaml_lists():
    from srzoo_core.training.config import make_config

    assert parse_milestones("0.25,0.5") == (0.25, 0.5)
    config = make_config(None, {"schedule": "multistep", "milestones": [0.25, 0.5], "gamma": 0.1})
    assert config.milestone_fractions == (0.25, 0.5) and config.lr_gamma == 0.1


def test_a_run_logs_the_scheduled_rates_and_counts_optimizer_steps(cli, tmp_path):
    code, _, err = cli("train", "gen=srresnet(blocks=1,features=8) loss=l1", "--data", "synthetic-grid:12", "--batch", "2",
                       "--iters", "4", "--val-every", "4", "--precision", "fp32", "--schedule", "multistep",
                       "--milestones", "0.5", "--gamma", "0.5", "--warmup", "2", "--lr", "1e-3", "--accumulate", "2",
                       "--out", str(tmp_path), "--name", "ms")
    assert code == 0, err
    records = [json.loads(line) for line in (tmp_path / "ms" / "metrics.jsonl").read_text().splitlines()]
    rates = [(r["step"], r["lr"]) for r in records if "lr" in r]
    assert rates == [(1, pytest.approx(5e-4)), (2, pytest.approx(1e-3)), (3, pytest.approx(5e-4)), (4, pytest.approx(5e-4))]
    status = json.loads((tmp_path / "ms" / "run.json").read_text())
    assert status["step"] == 4 and status["status"] == "finished"


# -- gradient accumulation -------------------------------------------------------------------------


class Adversarial(nn.Module):
    role = "adversarial"

    def generator_loss(self, fake_logits, real_logits):
        return nn.functional.softplus(-fake_logits).mean()

    def discriminator_loss(self, real_logits, fake_logits):
        return nn.functional.softplus(-real_logits).mean() + nn.functional.softplus(fake_logits).mean()


def _networks(adversarial: bool) -> tuple[nn.Module, nn.Module | None]:
    torch.manual_seed(0)
    generator = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.PReLU(), nn.Conv2d(8, 2, 3, padding=1))
    disc = nn.Sequential(nn.Conv2d(2, 4, 3, stride=2), nn.LeakyReLU(0.2), nn.Conv2d(4, 1, 3)) if adversarial else None
    return generator, disc


def _train(batches: list[list[tuple[torch.Tensor, torch.Tensor]]], phase: str) -> tuple[list[torch.Tensor], list[dict]]:
    """Train fresh networks for one optimizer step per entry of ``batches`` (a list of micro-batches)."""
    adversarial = phase == GAN
    generator, disc = _networks(adversarial)
    losses = [LossTerm("l1", 1.0, nn.L1Loss(), "pixel")] + ([LossTerm("gan", 0.1, Adversarial(), "adversarial")] if adversarial else [])
    opt_g = torch.optim.SGD(generator.parameters(), lr=0.5)  # SGD: an update that scales with the gradient
    opt_d = torch.optim.SGD(disc.parameters(), lr=0.5) if disc is not None else None
    runner = StepRunner(generator, disc, losses, opt_g, opt_d, Placement(torch.device("cpu"), None, False), None)
    reported = []
    for micro in batches:
        result = runner.step([lr for lr, _ in micro], [hr for _, hr in micro], phase)
        assert result.applied
        reported.append({k: float(v) for k, v in {**result.losses, **result.health}.items()})
    params = [p.detach().clone() for p in generator.parameters()] + ([p.detach().clone() for p in disc.parameters()] if disc else [])
    return params, reported


@pytest.mark.parametrize("phase", [PIXEL, GAN])
def test_two_micro_batches_of_b_update_like_one_batch_of_2b(phase):
    g = torch.Generator().manual_seed(1)
    steps = [(torch.rand(6, 2, 8, 8, generator=g), torch.rand(6, 2, 8, 8, generator=g)) for _ in range(2)]
    whole, whole_losses = _train([[(lr, hr)] for lr, hr in steps], phase)
    halves, halves_losses = _train([[(lr[:3], hr[:3]), (lr[3:], hr[3:])] for lr, hr in steps], phase)
    for a, b in zip(whole, halves):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-6)
    start = [p for network in _networks(phase == GAN) if network is not None for p in network.parameters()]
    assert len(start) == len(whole) and all(not torch.allclose(a, b, atol=1e-4) for a, b in zip(whole, start))  # real updates
    assert [sorted(r) for r in whole_losses] == [sorted(r) for r in halves_losses]
    for a, b in zip(whole_losses, halves_losses):
        for key in ("l1", "total", *(("gan", "disc") if phase == GAN else ())):
            assert a[key] == pytest.approx(b[key], rel=1e-5), key


def test_a_non_finite_micro_batch_skips_the_whole_step():
    generator, _ = _networks(False)
    before = [p.detach().clone() for p in generator.parameters()]
    runner = StepRunner(generator, None, [LossTerm("l1", 1.0, nn.L1Loss(), "pixel")], torch.optim.SGD(generator.parameters(), lr=0.5),
                        None, Placement(torch.device("cpu"), None, False), None)
    good = torch.rand(2, 2, 8, 8)
    bad = good.clone()
    bad[0, 0, 0, 0] = float("nan")
    result = runner.step([good, bad], [good, good], PIXEL)
    assert not result.applied and result.reason == "non-finite loss"
    assert all(torch.equal(a, b) for a, b in zip(before, generator.parameters()))
    assert all(p.grad is None for p in generator.parameters())

