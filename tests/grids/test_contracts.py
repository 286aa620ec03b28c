"""The core's side of the grid contracts: a metric's setup(context), needs_lr, value_units and the
best-checkpoint metric; flips that negate wind components."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from srzoo_geo.symmetry import component_axes, flip_vector_field

from srzoo_core.build import MetricTerm
from srzoo_core.data import CropDataset, load_data
from srzoo_core.training.evaluate import Evaluator, primary_metric


class Recording:
    """A metric that keeps what the evaluator gave it."""

    higher_is_better = False
    needs_lr = True
    value_units = "data"

    def __init__(self):
        self.context, self.lrs = None, []

    def setup(self, context):
        self.context = context

    def protocol(self):
        return {"metric": "recording"}

    def __call__(self, sr, hr, lr=None):
        self.lrs.append(lr)
        return (sr - hr).abs().mean(dim=(2, 3))


def test_metrics_get_the_run_context_the_lr_and_units(netcdf):
    path, ds = netcdf()
    bundle = load_data(f"{path}:vars=t2m,u10", scale=4)
    metric = Recording()
    evaluator = Evaluator.for_data([MetricTerm("rec", metric)], bundle, bundle.val)
    context = metric.context
    assert context["channel_names"] == ["t2m", "u10"] and context["units"] == ["K", "m s**-1"] and context["scale"] == 4
    assert context["latitude"] == pytest.approx(ds.latitude.values.tolist())
    assert context["longitude"] == pytest.approx(ds.longitude.values.tolist())
    lr, hr = bundle.val[0]
    evaluator.score(lambda x: torch.nn.functional.interpolate(x, scale_factor=4), [(lr, hr)], 1)
    assert torch.allclose(metric.lrs[0][0], bundle.normaliser.denormalise(lr).double())  # physical units, like sr and hr
    assert evaluator.labels() == {"rec_t2m": "rec t2m [K]", "rec_u10": "rec u10 [m s**-1]", "rec": "rec"}
    assert evaluator.protocol()["labels"]["rec_t2m"] == "rec t2m [K]"


def test_best_checkpoint_metric_falls_back_to_the_first_variable():
    terms = [MetricTerm("bias", type("B", (), {"best_at_zero": True, "higher_is_better": False})()),
             MetricTerm("wrmse", type("W", (), {"higher_is_better": False})())]
    assert primary_metric(terms, {"bias_t2m": 0.1, "wrmse_t2m": 1.0, "wrmse_u10": 2.0}) == ("wrmse_t2m", False)
    assert primary_metric(terms, {"wrmse": 1.5, "wrmse_t2m": 1.0}) == ("wrmse", False)


def test_flips_negate_the_component_along_the_flipped_axis():
    g = torch.Generator().manual_seed(0)
    hr = [torch.randn(3, 8, 8, generator=g) for _ in range(4)]
    lr = [torch.nn.functional.avg_pool2d(h[None], 2)[0] for h in hr]
    names, vectors = ["u10", "v10", "t2m"], {"u10": "x", "v10": "y"}
    data = CropDataset(hr, lr, scale=2, patch=8, augment="flips", seed=1, vectors=component_axes(names, vectors))
    seen = set()
    for index in range(64):
        _, out = data[index]
        source = hr[data.sample_of(index)]
        flips = [(dx, dy) for dx in (False, True) for dy in (False, True)
                 if torch.equal(out[2], source[2].flip([-1] * dx + [-2] * dy) if dx or dy else source[2])]
        assert len(flips) == 1  # the scalar tells which flips were made
        dx, dy = flips[0]
        expected = source
        for axis, done in (("x", dx), ("y", dy)):
            expected = flip_vector_field(expected, axis, component_axes(names, vectors)) if done else expected
        assert torch.equal(out, expected)
        seen.add(flips[0])
    assert seen == {(False, False), (False, True), (True, False), (True, True)}
    with pytest.raises(ValueError, match="flips only"):
        CropDataset(hr, lr, scale=2, patch=8, augment="dihedral", vectors=["x", "y", None])
    scalars = CropDataset(hr, lr, scale=2, patch=8, augment="flips", seed=1)
    assert not scalars.signs and np.allclose(scalars[0][1].abs().sum(), data[0][1].abs().sum())
