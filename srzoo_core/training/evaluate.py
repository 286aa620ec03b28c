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

The run's context reaches metrics that ask for it: ``setup(context)`` once (channel names, units,
scale, HR-grid latitude/longitude), the LR input for ``needs_lr`` (in the same domain as sr/hr),
and, where the HR has cells without data (NaN: a mask or missing values), a ``mask`` of the valid
cells for ``takes_mask`` metrics; a metric that takes no mask cannot score such data (an error
says so before training starts), so missing cells never count as values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from srzoo_core.build import MetricTerm
from srzoo_core.data.modality import Modality
from srzoo_core.errors import UsageError
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
    units: list[str | None] = field(default_factory=list)
    has_missing: bool = False  # the scored split's HR has cells without data (NaN)

    @classmethod
    def for_data(cls, metrics: list[MetricTerm], data: Any, val_set: Any) -> "Evaluator":
        evaluator = cls(metrics, data.modality, list(data.channel_names), data.normaliser.denormalise,
                        units=data.channel_units())
        if data.modality.scales_by_range:
            lows, highs = [], []
            for _, hr in _batches(val_set, 16):  # small batches: a lazily read split stays small in memory
                physical = evaluator.denormalise(hr).double()
                evaluator.has_missing = evaluator.has_missing or not bool(torch.isfinite(physical).all())
                lows.append(physical.nan_to_num(nan=torch.inf).amin(dim=(0, 2, 3)))
                highs.append(physical.nan_to_num(nan=-torch.inf).amax(dim=(0, 2, 3)))
            evaluator.field_min = torch.stack(lows).amin(0)
            evaluator.field_max = torch.stack(highs).amax(0)
        evaluator.setup_metrics(data)
        return evaluator

    def setup_metrics(self, data: Any) -> None:
        """Give each metric with ``setup`` the run's context; check the metrics can score missing cells."""
        coords = getattr(data, "coords", None) or {}
        context = {"channel_names": list(self.channel_names), "units": list(self.units), "scale": int(data.scale),
                   "latitude": coords.get("latitude"), "longitude": coords.get("longitude")}
        for term in self.metrics:
            setup = getattr(term.metric, "setup", None)
            if callable(setup):
                try:
                    setup(context)
                except ValueError as exc:
                    raise UsageError(f"metric {term.name!r} cannot score {data.name}: {exc}") from None
        if self.has_missing:
            self._check_masks(data.name)

    def _check_masks(self, where: str) -> None:
        blind = [t.name for t in self.metrics if not optional_attribute(t.metric, "metric", "takes_mask")]
        if blind:
            raise UsageError(f"{where} has cells without data (a mask or missing values), which metric{'s' if len(blind) > 1 else ''} "
                             f"{', '.join(blind)} cannot leave out: {'they' if len(blind) > 1 else 'it'} would score them as values",
                             hint="name metrics that take a mask (takes_mask), e.g. metric=wrmse+quantile from srzoo-geo")

    def labels(self) -> dict[str, str]:
        """Result key -> label with the unit of its values, where a metric states it (``value_units``):
        ``rmse_t2m`` -> ``rmse t2m [K]``."""
        out: dict[str, str] = {}
        for term in self.metrics:
            declared = optional_attribute(term.metric, "metric", "value_units")
            if declared is None:
                continue
            units = [declared if declared != "data" else u for u in self.units or [None] * len(self.channel_names)]
            for name, unit in zip(self.channel_names, units):
                out[f"{term.name}_{name}"] = f"{term.name} {name}" + (f" [{unit}]" if unit else "")
            shared = set(units)
            out[term.name] = term.name + (f" [{units[0]}]" if len(shared) == 1 and units and units[0] else "")
        return out

    def protocol(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.modality.name, "metrics": {m.name: m.metric.protocol() for m in self.metrics},
                               "output": self.modality.output_note()}
        if self.field_min is not None:
            out["scaled_range"] = {n: [float(lo), float(hi)] for n, lo, hi in zip(self.channel_names, self.field_min, self.field_max)}
        if self.has_missing:
            out["missing"] = "cells without data (NaN in the HR: a mask or missing values) are left out of every metric"
        labels = self.labels()
        if labels:
            out["labels"] = labels
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
            lr_d = self._domain(lr) if any(optional_attribute(t.metric, "metric", "needs_lr") for t in self.metrics) else None
            valid = torch.isfinite(hr_d)
            masked = not bool(valid.all())
            if masked:
                self._check_masks("the scored data")
                hr_d = torch.where(valid, hr_d, sr_d)  # finite stand-ins; the mask says they are no data
            for term in self.metrics:
                scaled = self.field_min is not None and _uses_data_range(term.metric)
                a, b = (self._scaled(sr_d), self._scaled(hr_d)) if scaled else (sr_d, hr_d)
                extra: dict[str, Any] = {"mask": valid} if masked else {}
                if optional_attribute(term.metric, "metric", "needs_lr"):
                    extra["lr"] = self._scaled(lr_d) if scaled else lr_d
                values = term.metric(a, b, **extra).double()
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
    """The metric that picks the best checkpoint: the first one with a single summary value, else
    (per-variable values only, in different units) the first such metric on the first variable."""
    ranked = [t for t in metrics if not optional_attribute(t.metric, "metric", "best_at_zero")]
    for term in ranked:
        if term.name in results:
            return term.name, term.higher_is_better
    for term in ranked:
        first = next((key for key in results if key.startswith(f"{term.name}_")), None)
        if first is not None:
            return first, term.higher_is_better
    raise ValueError("no metric gives a single summary value to choose the best checkpoint")
