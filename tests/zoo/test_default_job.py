"""The README's main job (`make train`: `srzoo train --time 3m30s` with every default) as chosen in
benchmarks/results/2026-12-01-default-model.md: an adversarial run that pretrains on pixel losses
for AUTO_PRETRAIN of its budget, then trains the GAN."""

from __future__ import annotations

import json

import srzoo
from srzoo_core.experiments.explain import explain
from srzoo_core.training.config import AUTO_PRETRAIN, DEFAULT_SPEC, TrainConfig


def test_the_default_job_pretrains_then_trains_the_gan(tmp_path):
    run = srzoo.train(iters=5, batch=2, samples=1, patch=32, quiet=True, out=str(tmp_path), val_every=5)
    assert run.description.training["spec"] == DEFAULT_SPEC and run.description.roles["disc"]
    records = [json.loads(line) for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    phases = [r["phase"] for r in records if "it_per_s" in r]
    assert phases == ["pretrain"] * round(5 * AUTO_PRETRAIN) + ["gan"] * (5 - round(5 * AUTO_PRETRAIN))


def test_explain_states_the_default_pretraining_share():
    assert TrainConfig().pretrain_fraction() == AUTO_PRETRAIN
    notes = " ".join(explain(DEFAULT_SPEC, costs=False).notes)
    assert f"pretrains with the pixel losses for {AUTO_PRETRAIN:.0%} of the budget (--pretrain auto)" in notes
