"""divergence and vorticity: central differences, on a plane or on the sphere, and their errors."""

from __future__ import annotations

import math

import pytest
import torch
from srzoo_geo._context import EARTH_RADIUS_M
from srzoo_geo.symmetry import flip_vector_field
from srzoo_geo.wind import divergence, stencil, vorticity


def central(f: torch.Tensor, axis: int, spacing: torch.Tensor | float) -> torch.Tensor:
    """d f / d axis on the interior of a padded field (the test's own discretisation)."""
    if axis == -1:
        return (f[..., 1:-1, 2:] - f[..., 1:-1, :-2]) / spacing
    return (f[..., 2:, 1:-1] - f[..., :-2, 1:-1]) / spacing


def smooth_field(rows: int, cols: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    coarse = torch.randn(1, 1, rows // 4 + 1, cols // 4 + 1, generator=g, dtype=torch.float64)
    return torch.nn.functional.interpolate(coarse, size=(rows, cols), mode="bicubic", align_corners=True)[0, 0]


def test_a_stream_function_flow_has_no_divergence_on_a_plane():
    psi = smooth_field(22, 26, 0)
    # north row first: y grows toward row 0, so d/dy = -(row difference) / 2
    u, v = -central(psi, -2, -2.0), central(psi, -1, 2.0)
    grid = stencil(20, 24)
    assert grid.divergence(u, v).abs().max() < 1e-12
    assert grid.vorticity(u, v).abs().max() > 0.1


def test_a_potential_flow_has_no_vorticity():
    chi = smooth_field(22, 26, 1)
    u, v = central(chi, -1, 2.0), central(chi, -2, -2.0)
    assert stencil(20, 24).vorticity(u, v).abs().max() < 1e-12


def test_a_stream_function_flow_has_no_divergence_on_the_sphere():
    lat = torch.linspace(61.0, 39.0, 22, dtype=torch.float64)
    lon = torch.linspace(-11.0, 14.0, 26, dtype=torch.float64)
    phi, lam = torch.deg2rad(lat), torch.deg2rad(lon)
    psi = 1e6 * smooth_field(22, 26, 2)  # m^2/s: winds of some m/s
    u = -central(psi, -2, EARTH_RADIUS_M * (phi[2:] - phi[:-2]).view(-1, 1))
    v = central(psi, -1, EARTH_RADIUS_M * torch.cos(phi[1:-1]).view(-1, 1) * (lam[2:] - lam[:-2]))
    grid = stencil(20, 24, lat[1:-1], lon[1:-1])
    div, vort = grid.divergence(u, v), grid.vorticity(u, v)
    assert div.abs().max() < 1e-12 * vort.abs().max()


def test_solid_zonal_wind_on_the_sphere():
    """u constant, v = 0: no divergence, vorticity u tan(lat) / R (the spherical metric term)."""
    lat, lon = torch.linspace(70, 10, 61, dtype=torch.float64), torch.arange(0, 20, 1.0, dtype=torch.float64)
    u, v = torch.full((61, 20), 10.0, dtype=torch.float64), torch.zeros(61, 20, dtype=torch.float64)
    grid = stencil(61, 20, lat, lon)
    assert grid.divergence(u, v).abs().max() < 1e-20
    expected = 10 * torch.tan(torch.deg2rad(lat[1:-1])) / EARTH_RADIUS_M
    assert torch.allclose(grid.vorticity(u, v), expected.view(-1, 1).expand(59, 18), rtol=1e-3)


def test_longitudes_across_the_dateline():
    lon = torch.tensor([178.0, 179.0, 180.0, -179.0, -178.0], dtype=torch.float64)
    wrapped = stencil(3, 5, torch.tensor([1.0, 0.0, -1.0]), lon)
    plain = stencil(3, 5, torch.tensor([1.0, 0.0, -1.0]), torch.arange(178.0, 183.0))
    assert torch.allclose(wrapped.dx, plain.dx)


def test_matches_metpy_on_unit_spacing():
    """MetPy 1.7.1: metpy.calc.divergence/vorticity(u, v, dx=1 m, dy=-1 m) at one interior point,
    on the same seeded winds."""
    g = torch.Generator().manual_seed(7)
    for shape in ((64, 64), (65, 65), (3, 32, 64), (3, 32, 64)):  # fields drawn before the winds
        torch.randn(*shape, generator=g, dtype=torch.float64)
    u = 10 * torch.randn(20, 24, generator=g, dtype=torch.float64)
    v = 10 * torch.randn(20, 24, generator=g, dtype=torch.float64)
    grid = stencil(20, 24)
    assert grid.divergence(u, v)[4, 6].item() == pytest.approx(-8.540466641898442, rel=1e-12)
    assert grid.vorticity(u, v)[4, 6].item() == pytest.approx(-4.527416763897536, rel=1e-12)


def test_a_north_south_mirror_mirrors_divergence_and_negates_vorticity():
    g = torch.Generator().manual_seed(3)
    field = torch.randn(2, 3, 12, 10, generator=g, dtype=torch.float64)  # channels u, t, v
    mirrored = flip_vector_field(field, "y", ("x", None, "y"))
    grid = stencil(12, 10)
    assert torch.allclose(grid.divergence(mirrored[:, 0], mirrored[:, 2]), grid.divergence(field[:, 0], field[:, 2]).flip(-2))
    assert torch.allclose(grid.vorticity(mirrored[:, 0], mirrored[:, 2]), -grid.vorticity(field[:, 0], field[:, 2]).flip(-2))


def test_error_metrics_per_sample():
    g = torch.Generator().manual_seed(4)
    hr = torch.randn(3, 3, 12, 12, generator=g, dtype=torch.float64)
    sr = hr.clone()
    sr[:, 1] += 1.0  # a scalar channel: no effect on the wind diagnostics
    metric = divergence("u10,v10")
    metric.setup({"channel_names": ["u10", "t2m", "v10"]})
    assert torch.equal(metric(sr, hr), torch.zeros(3, dtype=torch.float64))
    sr[:, 0] += torch.arange(12.0, dtype=torch.float64)  # du/dx = 1 everywhere
    assert metric(sr, hr).tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert vorticity("0,2")(sr, hr).tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)


def test_metres_from_the_run_coordinates():
    metric = vorticity("u,v")
    metric.setup({"channel_names": ["u", "v"], "latitude": torch.linspace(50, 40, 11), "longitude": torch.linspace(0, 10, 11)})
    assert "metres" in metric.protocol()["spacing"] and metric.protocol()["units"].startswith("s^-1")
    hr = torch.zeros(1, 2, 11, 11, dtype=torch.float64)
    sr = hr.clone()
    sr[:, 1] = torch.linspace(0, 10, 11, dtype=torch.float64)  # v grows by 1 m/s per degree of longitude
    expected = 1 / (EARTH_RADIUS_M * math.radians(1) * torch.cos(torch.deg2rad(torch.linspace(50, 40, 11)[1:-1])))
    assert metric(sr, hr).item() == pytest.approx(expected.pow(2).mean().sqrt().item(), rel=1e-12)


def test_context_and_option_errors():
    with pytest.raises(ValueError, match="wind names"):
        divergence("u10")
    with pytest.raises(ValueError, match="no channel names"):
        divergence("u10,v10")(torch.rand(1, 2, 8, 8), torch.rand(1, 2, 8, 8))
    with pytest.raises(ValueError, match="no channel 'v10'"):
        divergence("u10,v10").setup({"channel_names": ["u10", "t2m"]})
    with pytest.raises(ValueError, match="3 channels"):
        divergence("0,3")(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match="both the latitudes and the longitudes"):
        divergence("0,1").setup({"latitude": [1.0, 0.0, -1.0]})
    with pytest.raises(ValueError, match="contradicts"):
        divergence("0,1", north="last").setup({"latitude": [1.0, 0.0, -1.0], "longitude": [0.0, 1.0, 2.0]})
    with pytest.raises(ValueError, match="3x3"):
        vorticity("0,1")(torch.rand(1, 2, 2, 8), torch.rand(1, 2, 2, 8))
    assert "unit grid spacing" in divergence("0,1").protocol()["spacing"]
