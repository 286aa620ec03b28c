"""Scoring a saved model against bicubic from the checkpoint alone (``srzoo eval``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from srzoo_core.build import build_metrics
from srzoo_core.errors import UsageError
from srzoo_core.training.checkpoint import load_model
from srzoo_core.training.evaluate import Evaluator


def evaluate_checkpoint(path: Path, data: str | None = None, split: str = "val", val: str | None = None,
                        test: str | None = None, batch: int = 16) -> dict[str, Any]:
    from srzoo_core.data import Normaliser, load_data, upsample

    if split not in ("val", "test"):
        raise UsageError(f"--split must be val or test, not {split!r}")
    generator, run = load_model(path)
    trained_on = run.data
    source = data or trained_on.get("source")
    if source is None:
        raise UsageError(f"{path} was imported from published weights and records no training data",
                         hint="pass --data (a folder of HR images, or builtin)")
    bundle = load_data(
        source, scale=run.scale, patch=trained_on.get("patch"),
        degradation=trained_on.get("degradation"), val=val or trained_on.get("val_source"),
        test=test or trained_on.get("test_source"), seed=trained_on.get("seed", 0), samples=trained_on.get("samples"),
        normaliser=Normaliser.from_state(run.normaliser),
    )
    dataset = bundle.val if split == "val" else bundle.test
    if dataset is None or len(dataset) == 0:
        raise UsageError(f"{bundle.name} has no {split} split", hint="pass --test-data FILE, or use --split val")
    if bundle.channels != len(run.channels):
        raise UsageError(f"the model takes {len(run.channels)} channels but {bundle.name} has {bundle.channels}")
    metrics = build_metrics(run.role_spec("metric"))
    evaluator = Evaluator.for_data(metrics, bundle, dataset)

    def predict(lr: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return generator(lr).float()

    return {
        "checkpoint": str(path), "spec": run.spec, "data": bundle.name, "split": split,
        "samples": len(dataset), "protocol": evaluator.protocol(),
        "model": evaluator.score(predict, dataset, batch),
        "bicubic": evaluator.score(lambda lr: upsample(lr, run.scale, "bicubic"), dataset, batch),
    }
