"""Per-variable error statistics for scientific grids, in physical units.

Score de-normalised fields (kelvin, m/s, …), not z-scored tensors: the numbers are then the
errors users report. Every metric returns ``(N, C)``: one value per sample and channel (variable).

- ``rmse``: sqrt(mean((sr - hr)^2)); lower is better.
- ``mae``: mean(|sr - hr|); lower is better.
- ``bias``: mean(sr - hr); signed, best at zero. It has ``higher_is_better = False`` and
  ``best_at_zero = True``: rank by ``|bias|`` (the value itself keeps its sign for reporting).
- ``corr``: Pearson correlation of sr and hr over the pixels; higher is better. A constant field
  (zero variance) has no correlation: the value is NaN.

``crop`` removes that many border pixels on every side before scoring.
"""

from __future__ import annotations

import torch

from srzoo_metrics._common import check_crop, implementation, prepare


class _FieldMetric:
    name = ""
    per_channel = True
    higher_is_better = False
    best_at_zero = False
    value_units: str | None = "data"  # in the data's own units (K, m/s): tables print "rmse t2m [K]"
    formula = ""

    def __init__(self, crop: int = 0):
        self.crop = check_crop(crop)

    def protocol(self) -> dict:
        return {"metric": self.name, "space": "channel", "units": "physical (inputs as given; de-normalise first)",
                "crop": self.crop, "formula": self.formula, "reduction": "per sample and channel over H, W, float64",
                "implementation": implementation(self.name)}

    def __call__(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        sr, hr = prepare(sr, hr, self.crop, self.name)
        return self.compute(sr, hr)

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.name}(crop={self.crop})"


class RMSE(_FieldMetric):
    name, formula = "rmse", "sqrt(mean((sr - hr)**2))"

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        return (sr - hr).pow(2).mean(dim=(2, 3)).sqrt()


class MAE(_FieldMetric):
    name, formula = "mae", "mean(|sr - hr|)"

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        return (sr - hr).abs().mean(dim=(2, 3))


class Bias(_FieldMetric):
    name, formula = "bias", "mean(sr - hr) (signed; best at zero, rank by |bias|)"
    best_at_zero = True

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        return (sr - hr).mean(dim=(2, 3))


class Corr(_FieldMetric):
    name, formula = "corr", "Pearson r = cov(sr, hr) / (std(sr) * std(hr)) over pixels; NaN for a constant field"
    higher_is_better = True
    value_units = ""  # dimensionless

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        a = sr - sr.mean(dim=(2, 3), keepdim=True)
        b = hr - hr.mean(dim=(2, 3), keepdim=True)
        cov = (a * b).sum(dim=(2, 3))
        norm = (a.pow(2).sum(dim=(2, 3)) * b.pow(2).sum(dim=(2, 3))).sqrt()
        return torch.where(norm > 0, cov / norm, torch.full_like(cov, float("nan")))


def rmse(crop: int = 0) -> RMSE:
    """Root-mean-square error per sample and channel, in the inputs' (physical) units."""
    return RMSE(crop)


def mae(crop: int = 0) -> MAE:
    """Mean absolute error per sample and channel, in the inputs' (physical) units."""
    return MAE(crop)


def bias(crop: int = 0) -> Bias:
    """Mean of sr - hr per sample and channel; best at zero (``best_at_zero``: rank by |bias|)."""
    return Bias(crop)


def corr(crop: int = 0) -> Corr:
    """Pearson correlation of sr and hr per sample and channel."""
    return Corr(crop)
