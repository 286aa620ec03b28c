"""Latitude-weighted RMSE (WeatherBench, Rasp et al. 2020, eq. 1; ECMWF's scores likewise).

``wrmse = sqrt(mean_{i,j} L(i) (sr_ij - hr_ij)^2)`` per sample and channel, with
``L(i) = cos(lat_i) / mean_i' cos(lat_i')``: weights of mean 1 over the rows, so equal
latitudes give the plain RMSE. The latitudes are the HR grid's cell centres, row by row, from the
run (``setup``'s ``latitude``) or from the options ``lat_first``/``lat_last`` (a regular grid:
rows evenly spaced from the first row's latitude to the last's).
"""

from __future__ import annotations

from typing import Any

import torch

from srzoo_geo._context import GeoMetric

NEEDS_LATITUDE = ("wrmse needs the HR grid's latitudes: the run gives them (setup's 'latitude') for data with "
                  "coordinates; otherwise set lat_first and lat_last, e.g. wrmse(lat_first=90,lat_last=-90)")


def latitude_weights(latitude: torch.Tensor) -> torch.Tensor:
    """cos(latitude) normalised to mean 1 over the rows: (H,) degrees -> (H,) weights."""
    cosine = torch.cos(torch.deg2rad(latitude.to(torch.float64))).clamp_min(0)
    if not cosine.sum() > 0:
        raise ValueError("wrmse: every latitude is at a pole, so every cos(latitude) weight is zero")
    return cosine / cosine.mean()


def regular_latitudes(first: float, last: float, rows: int) -> torch.Tensor:
    return torch.linspace(first, last, rows, dtype=torch.float64)


class WeightedRMSE(GeoMetric):
    name = "wrmse"
    formula = "sqrt(mean_ij L_i (sr - hr)^2), L_i = cos(lat_i) / mean(cos(lat))"

    def __init__(self, lat_first: float | None, lat_last: float | None):
        super().__init__()
        if (lat_first is None) != (lat_last is None):
            raise ValueError("wrmse: give both lat_first and lat_last (a regular grid), or neither (the run's latitudes)")
        for value in (lat_first, lat_last):
            if value is not None and not -90 <= value <= 90:
                raise ValueError(f"wrmse: latitudes lie in [-90, 90] degrees, not {value}")
        self.lat_first, self.lat_last = lat_first, lat_last

    def options(self) -> dict[str, Any]:
        return {"lat_first": self.lat_first, "lat_last": self.lat_last}

    def context_protocol(self) -> dict[str, Any]:
        source = "the run's HR cell-centre latitudes" if self.context.latitude is not None else \
            "the options lat_first..lat_last" if self.lat_first is not None else "none yet (needs setup)"
        return {"latitudes": source}

    def check_context(self) -> None:
        given = self.context.latitude
        if given is None and self.lat_first is None:
            raise ValueError(NEEDS_LATITUDE)
        if given is not None and self.lat_first is not None:
            expected = regular_latitudes(self.lat_first, self.lat_last, len(given))
            if not torch.allclose(given, expected, atol=1e-6):
                raise ValueError(f"wrmse: the run's latitudes ({float(given[0]):g}..{float(given[-1]):g}) differ from "
                                 f"lat_first={self.lat_first:g}, lat_last={self.lat_last:g}; drop the options")

    def latitudes(self, rows: int) -> torch.Tensor:
        if self.context.latitude is not None:
            latitude = self.context.latitude
        elif self.lat_first is not None:
            latitude = regular_latitudes(self.lat_first, self.lat_last, rows)
        else:
            raise ValueError(NEEDS_LATITUDE)
        if len(latitude) != rows:
            raise ValueError(f"wrmse: {len(latitude)} latitudes for a field of {rows} rows")
        return latitude

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        weights = latitude_weights(self.latitudes(sr.shape[-2])).to(sr.device).view(-1, 1)
        return (weights * (sr - hr).pow(2)).mean(dim=(2, 3)).sqrt()

    def compute_masked(self, sr: torch.Tensor, hr: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """The weighted mean over the valid cells: sum L(i) e^2 / sum L(i), both over them."""
        weights = latitude_weights(self.latitudes(sr.shape[-2])).to(sr.device).view(-1, 1) * valid
        return ((weights * (sr - hr).pow(2)).sum(dim=(2, 3)) / weights.sum(dim=(2, 3))).sqrt()


def wrmse(lat_first: float | None = None, lat_last: float | None = None) -> WeightedRMSE:
    """cos(latitude)-weighted RMSE per sample and channel, in physical units (WeatherBench);
    latitudes from the run, or a regular grid from lat_first (first row) to lat_last (last row)."""
    return WeightedRMSE(lat_first, lat_last)
