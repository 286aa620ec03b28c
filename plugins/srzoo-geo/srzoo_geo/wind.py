"""Divergence and vorticity of a declared wind pair (u eastward, v northward) and their errors.

Central differences on the interior points (the border rows and columns have none):

- with the HR grid's latitudes and longitudes (degrees; spacing in metres on a sphere of radius
  6371 km), the flux form ``div = (du/dlon + d(v cos lat)/dlat) / (R cos lat)`` and
  ``vort = (dv/dlon - d(u cos lat)/dlat) / (R cos lat)``, in s^-1 for winds in m/s;
- without coordinates, unit spacing on a plane: ``div = du/dx + dv/dy``, ``vort = dv/dx - du/dy``,
  x along columns, y northward, with the north row first (row 0 northernmost, as ERA5 stores fields
  and as images are drawn) unless ``north=last``; values per grid cell.

The metric is the RMSE of ``op(sr) - op(hr)`` over the interior, one value per sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import torch

from srzoo_geo._context import EARTH_RADIUS_M, GeoMetric, channel_index


def _rows(f: torch.Tensor) -> torch.Tensor:
    return f[..., 2:, 1:-1] - f[..., :-2, 1:-1]


def _cols(f: torch.Tensor) -> torch.Tensor:
    return f[..., 1:-1, 2:] - f[..., 1:-1, :-2]


@dataclass(frozen=True)
class Stencil:
    """Central differences: ``dx``/``dy`` are the distances across two cells (interior points),
    ``cos`` the factor of the meridional flux (cos latitude, or 1 on a plane)."""

    cos: torch.Tensor | float
    dx: torch.Tensor | float
    dy: torch.Tensor | float
    spacing: str

    def divergence(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return _cols(u) / self.dx + _rows(v * self.cos) / self.dy

    def vorticity(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return _cols(v) / self.dx - _rows(u * self.cos) / self.dy


def check_coordinates(latitude: torch.Tensor | None, longitude: torch.Tensor | None, north: str | None) -> None:
    if (latitude is None) != (longitude is None):
        raise ValueError("divergence/vorticity need both the latitudes and the longitudes for spacing in metres "
                         "(or neither, for unit spacing); the run gave only one")
    if latitude is not None and north is not None and (north == "first") != bool(latitude[0] > latitude[-1]):
        raise ValueError(f"north={north} contradicts the latitudes ({float(latitude[0]):g} .. {float(latitude[-1]):g})")


def stencil(height: int, width: int, latitude: torch.Tensor | None = None, longitude: torch.Tensor | None = None,
            north: str | None = None, device: torch.device | str | None = None) -> Stencil:
    """The differences for a (height, width) grid: spherical from coordinates, else a unit plane."""
    if height < 3 or width < 3:
        raise ValueError(f"divergence/vorticity need fields of at least 3x3 points, got {height}x{width}")
    check_coordinates(latitude, longitude, north)
    if latitude is None:
        toward_north = -2.0 if (north or "first") == "first" else 2.0
        return Stencil(1.0, 2.0, toward_north, f"unit grid spacing, north row {north or 'first'}")
    if len(latitude) != height or len(longitude) != width:
        raise ValueError(f"{len(latitude)} latitudes and {len(longitude)} longitudes for a {height}x{width} field")
    phi, lam = torch.deg2rad(latitude.double().to(device)), torch.deg2rad(longitude.double().to(device))
    dphi = (phi[2:] - phi[:-2]).view(-1, 1)
    dlam = torch.remainder(lam[2:] - lam[:-2] + math.pi, 2 * math.pi) - math.pi  # across the dateline too
    if (dphi == 0).any() or (dlam == 0).any():
        raise ValueError("divergence/vorticity: repeated latitudes or longitudes give zero grid spacing")
    cos_mid = torch.cos(phi[1:-1]).view(-1, 1)
    return Stencil(torch.cos(phi).view(-1, 1), EARTH_RADIUS_M * cos_mid * dlam.view(1, -1),
                   EARTH_RADIUS_M * cos_mid * dphi, "metres on a sphere of radius 6371 km from latitude/longitude")


def parse_wind(wind: str) -> tuple[str, str]:
    parts = [p.strip() for p in str(wind).split(",")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise ValueError(f"wind names the (u, v) channel pair, e.g. wind='u10,v10' or wind='0,1', not {wind!r}")
    return parts[0], parts[1]


class WindError(GeoMetric):
    operator = ""
    space = "wind pair"
    reduction = "per sample: RMSE over the interior points"

    def __init__(self, wind: str, north: str | None):
        super().__init__()
        self.pair = parse_wind(wind)
        self.north = north
        self.formula = f"sqrt(mean_interior (op(sr) - op(hr))^2), op = {self.operator} of (u, v) = {self.pair}"

    def options(self) -> dict[str, Any]:
        return {"wind": ",".join(self.pair), "north": self.north}

    def context_protocol(self) -> dict[str, Any]:
        metric_grid = self.context.latitude is not None
        return {"spacing": "metres from latitude/longitude (spherical flux form)" if metric_grid else
                f"unit grid spacing (no coordinates given), north row {self.north or 'first'}",
                "units": "s^-1 for winds in m/s" if metric_grid else "wind units per grid cell"}

    def check_context(self) -> None:
        names = self.context.channel_names
        for token in self.pair:
            channel_index(token, names, None if names is None else len(names), self.name)
        check_coordinates(self.context.latitude, self.context.longitude, self.north)

    @property
    def value_units(self) -> str | None:
        return "s-1" if self.context.latitude is not None else None  # per grid cell: not a unit

    def error(self, sr: torch.Tensor, hr: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        names = self.context.channel_names
        iu, iv = (channel_index(t, names, sr.shape[1], self.name) for t in self.pair)
        grid = stencil(sr.shape[-2], sr.shape[-1], self.context.latitude, self.context.longitude, self.north, sr.device)
        apply = getattr(grid, self.operator)
        return apply(sr[:, iu], sr[:, iv]) - apply(hr[:, iu], hr[:, iv]), (iu, iv)

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        return self.error(sr, hr)[0].pow(2).mean(dim=(-2, -1)).sqrt()

    def compute_masked(self, sr: torch.Tensor, hr: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Over the interior points whose stencil (the point and its four neighbours) has u and v."""
        error, (iu, iv) = self.error(sr, hr)
        both = valid[:, iu] & valid[:, iv]
        inner = both[..., 1:-1, 1:-1] & both[..., 2:, 1:-1] & both[..., :-2, 1:-1] & both[..., 1:-1, 2:] & both[..., 1:-1, :-2]
        squared = torch.where(inner, error, 0.0).pow(2).sum(dim=(-2, -1))
        return (squared / inner.sum(dim=(-2, -1))).sqrt()


class DivergenceError(WindError):
    name, operator = "divergence", "divergence"


class VorticityError(WindError):
    name, operator = "vorticity", "vorticity"


def divergence(wind: str, north: Literal["first", "last"] | None = None) -> DivergenceError:
    """RMSE of the horizontal divergence of SR vs HR for the wind pair ``wind='u,v'`` (channel
    names or indices), per sample; metres from the run's coordinates, else unit spacing."""
    return DivergenceError(wind, north)


def vorticity(wind: str, north: Literal["first", "last"] | None = None) -> VorticityError:
    """RMSE of the relative vorticity of SR vs HR for the wind pair ``wind='u,v'`` (channel
    names or indices), per sample; metres from the run's coordinates, else unit spacing."""
    return VorticityError(wind, north)
