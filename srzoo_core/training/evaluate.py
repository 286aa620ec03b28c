"""Scoring a model and the bicubic baseline the same way, on the same whole split.

The protocol (stamped into metrics files, checkpoints and reports):
- photographs: SR and bicubic outputs are clipped to [0, 1] and quantised to 8 bits, as when
  saved to a PNG; metrics run on those against the HR image, with the options in the spec
  (default PSNR and SSIM on Y, BT.601, with a border of ``scale`` pixels cropped);
- grids: outputs are de-normalised to physical units; metrics that declare a ``data_range`` get
  each channel min–max scaled with a range fixed once from the HR validation split (identical for
  every model and the baseline, never taken from a batch); the others (RMSE, MAE, bias,
  correlation) get physical units.
Per-sample values are averaged over every sample of the split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from srzoo_core.build import MetricTerm
from srzoo_core.data.modality import Modality
from srzoo_core.interfaces import optional_attribute


def _uses_data_range(metric: Any) -> bool:
    return "data_range" in metric.protocol()


@dataclass
class Evaluator:
    metrics: list[MetricTerm]
    modality: Modality
    channel_names: list[str]
    denormalise: Callable[[torch.Tensor], torch.Tensor]
    field_min: torch.Tensor | None = None
    field_max: torch.Tensor | None = None

    @classmethod
    def for_data(cls, metrics: list[MetricTerm], data: Any, val_set: Any) -> "Evaluator":
        evaluator = cls(metrics, data.modality, list(data.channel_names), data.normaliser.denormalise)
        if data.modality.scales_by_range:
            lows, highs = [], []
            for _, hr in _batches(val_set, 64):
                physical = evaluator.denormalise(hr).double()
                lows.append(physical.amin(dim=(0, 2, 3)))
                highs.append(physical.amax(dim=(0, 2, 3)))
            evaluator.field_min = torch.stack(lows).amin(0)
            evaluator.field_max = torch.stack(highs).amax(0)
        return evaluator

    def protocol(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.modality.name, "metrics": {m.name: m.metric.protocol() for m in self.metrics},
                               "output": self.modality.output_note()}
        if self.field_min is not None:
            out["scaled_range"] = {n: [float(lo), float(hi)] for n, lo, hi in zip(self.channel_names, self.field_min, self.field_max)}
        return out

    def _domain(self, x: torch.Tensor) -> torch.Tensor:
        return self.modality.scoring_domain(self.denormalise(x.float()).double())

    def _scaled(self, physical: torch.Tensor) -> torch.Tensor:
        low = self.field_min.view(1, -1, 1, 1).to(physical)
        span = (self.field_max - self.field_min).clamp_min(1e-12).view(1, -1, 1, 1).to(physical)
        return (physical - low) / span

    def score(self, predict: Callable[[torch.Tensor], torch.Tensor], dataset: Any, batch: int = 16) -> dict[str, float]:
        """Mean of every metric over the whole dataset, for ``predict(lr) -> sr`` (normalised space)."""
        sums: dict[str, torch.Tensor] = {}
        count = 0
        for lr, hr in _batches(dataset, batch):
            sr = predict(lr)
            if sr.shape != hr.shape:
                raise ValueError(f"the model's output {tuple(sr.shape)} does not match the target {tuple(hr.shape)}")
            sr_d, hr_d = self._domain(sr), self._domain(hr)
            for term in self.metrics:
                a, b = (self._scaled(sr_d), self._scaled(hr_d)) if self.field_min is not None and _uses_data_range(term.metric) else (sr_d, hr_d)
                values = term.metric(a, b).double()
                sums[term.name] = sums.get(term.name, 0) + values.sum(0)
            count += hr.shape[0]
        results: dict[str, float] = {}
        for term in self.metrics:
            mean = sums[term.name] / count
            if mean.ndim == 0:
                results[term.name] = float(mean)
                continue
            for name, value in zip(self.channel_names, mean.tolist()):
                results[f"{term.name}_{name}"] = value
            if self.modality.summary_for_per_channel or _uses_data_range(term.metric):
                results[term.name] = float(mean.mean())
        return results


def _batches(dataset: Any, batch: int):
    items = []
    for index in range(len(dataset)):
        items.append(dataset[index])
        if len(items) == batch:
            yield torch.stack([i[0] for i in items]), torch.stack([i[1] for i in items])
            items = []
    if items:
        yield torch.stack([i[0] for i in items]), torch.stack([i[1] for i in items])


def primary_metric(metrics: list[MetricTerm], results: dict[str, float]) -> tuple[str, bool]:
    """The metric that picks the best checkpoint: the first one with a single summary value."""
    for term in metrics:
        if term.name in results and not optional_attribute(term.metric, "metric", "best_at_zero"):
            return term.name, term.higher_is_better
    raise ValueError("no metric gives a single summary value to choose the best checkpoint")
