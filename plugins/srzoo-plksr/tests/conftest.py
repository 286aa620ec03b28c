"""Shared fixtures: a plugin host with this plugin and srzoo-blocks (for the slot tests)."""

from __future__ import annotations

import pytest
import torch

from srzoo_core.registry import PluginHost
from srzoo_core.testing.reference import seeded_weights


@pytest.fixture(scope="session")
def host() -> PluginHost:
    host = PluginHost(only={"plksr", "blocks"})
    host.load_entry_points()
    assert host.records["plksr"].status == "ok", host.records["plksr"].error
    return host


def _pinned_output(model: torch.nn.Module) -> tuple[float, float, list[float]]:
    """(sum, sum of |y|, three values) of the eval-mode output on the pinned input, in float64."""
    # every tensor drawn from N(0, 0.1²) in key order, the buffer init_pos kept: the weights the
    # pinned reference figures were computed with
    model.load_state_dict(seeded_weights(model, 0, 0.1, keep=("init_pos",)), strict=True)
    x = torch.rand(2, 3, 11, 9, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = model.eval()(x).double()
    return y.sum().item(), y.abs().sum().item(), y.flatten()[[0, 777, -1]].tolist()


@pytest.fixture
def pinned_output():
    """Load seeded weights into a model and report its output figures (see ``_pinned_output``)."""
    return _pinned_output
