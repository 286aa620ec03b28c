"""flip_vector_field: mirroring negates the wind components along the mirrored axis."""

from __future__ import annotations

import pytest
import torch
from srzoo_geo.symmetry import component_axes, flip_vector_field

NAMES = ["u10", "v10", "t2m"]
DECLARED = {"u10": "x", "v10": "y"}


@pytest.fixture
def field() -> torch.Tensor:
    return torch.randn(2, 3, 5, 7, generator=torch.Generator().manual_seed(0))


def test_a_west_east_flip_negates_u(field):
    out = flip_vector_field(field, "x", component_axes(NAMES, DECLARED))
    assert torch.equal(out[:, 0], -field[:, 0].flip(-1))
    assert torch.equal(out[:, 1], field[:, 1].flip(-1))
    assert torch.equal(out[:, 2], field[:, 2].flip(-1))


def test_a_north_south_flip_negates_v(field):
    out = flip_vector_field(field, "y", component_axes(NAMES, DECLARED))
    assert torch.equal(out[:, 0], field[:, 0].flip(-2))
    assert torch.equal(out[:, 1], -field[:, 1].flip(-2))
    assert torch.equal(out[:, 2], field[:, 2].flip(-2))


def test_flipping_twice_restores_and_single_samples_work(field):
    axes = component_axes(NAMES, DECLARED)
    for axis in ("x", "y"):
        assert torch.equal(flip_vector_field(flip_vector_field(field, axis, axes), axis, axes), field)
    sample = flip_vector_field(field[0], "x", axes)  # (C, H, W), as a dataset item
    assert torch.equal(sample, flip_vector_field(field, "x", axes)[0])


def test_declarations_are_checked(field):
    assert component_axes(NAMES, {}) == (None, None, None)
    with pytest.raises(ValueError, match="not channels"):
        component_axes(NAMES, {"u100": "x"})
    with pytest.raises(ValueError, match="'x'"):
        component_axes(NAMES, {"u10": "east"})
    with pytest.raises(ValueError, match="flip axis"):
        flip_vector_field(field, "z", (None, None, None))
    with pytest.raises(ValueError, match="2 component declarations"):
        flip_vector_field(field, "x", ("x", "y"))
