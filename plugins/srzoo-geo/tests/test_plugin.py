"""Registration, the spec route, the setup contract and the conformance kit."""

from __future__ import annotations

import json

import pytest
import torch
from srzoo_geo.conserve import conserve
from srzoo_geo.spectrum import rapsd

import srzoo_core as sz
from srzoo_core.registry import PluginHost

METRICS = ("rapsd", "quantile", "maxerr", "wrmse", "divergence", "vorticity", "mass")

# Context the kit cannot give, as options: a regular latitude grid, wind channels by index, the
# scale and the HR block means as reference. maxerr(pool=2): the kit clamps its degraded images to
# [0, 1], so both reach the pixel maximum 1.0 and no pixel-maximum error can tell them apart.
KIT_OPTIONS = {"wrmse": {"lat_first": 60.0, "lat_last": -60.0}, "divergence": {"wind": "0,1"},
               "vorticity": {"wind": "0,1"}, "mass": {"reference": "hr", "scale": 4}, "maxerr": {"pool": 2}}

CONTEXT = {"channel_names": ["u10", "v10", "t2m"], "units": ["m s-1", "m s-1", None], "scale": 4,
           "latitude": torch.linspace(60, 29, 32).tolist(), "longitude": torch.linspace(-10, 21, 32).tolist()}


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost(only={"geo"})
    host.load_entry_points()
    return host


def test_registers_every_metric_lazily(host):
    assert host.records["geo"].status == "ok", host.records["geo"].error
    assert sorted(host.registry.names("metric")) == sorted(METRICS)
    for name in METRICS:
        info = host.registry.get(name, "metric")
        assert info.provider.dist == "srzoo-geo" and info.description and isinstance(info.factory, str)


def test_conformance(srzoo_conformance):
    srzoo_conformance("geo", **KIT_OPTIONS)


def test_spec_builds_metrics_that_take_the_run_context(host):
    spec = "metric=rapsd(kmin=0.25)+quantile(q=0.999)+wrmse+divergence(wind='u10,v10')+mass"
    terms = sz.build_metrics(spec, host=host)
    g = torch.Generator().manual_seed(0)
    hr = torch.randn(2, 3, 32, 32, generator=g, dtype=torch.float64)
    sr = hr + 0.1 * torch.randn(hr.shape, generator=g, dtype=torch.float64)
    lr = torch.nn.functional.avg_pool2d(hr, 4)
    shapes = {}
    for term in terms:
        metric = term.metric
        metric.setup(CONTEXT)
        values = metric(sr, hr, lr=lr) if getattr(metric, "needs_lr", False) else metric(sr, hr)
        shapes[term.name] = tuple(values.shape)
        assert torch.isfinite(values).all() and (values > 0).all()
        protocol = metric.protocol()
        assert json.loads(json.dumps(protocol)) == protocol and protocol["implementation"].startswith("srzoo-geo")
    assert terms[0].metric.protocol()["input_units"] == {"u10": "m s-1", "v10": "m s-1", "t2m": None}
    assert shapes == {"rapsd": (2, 3), "quantile": (2, 3), "wrmse": (2, 3), "divergence": (2,), "mass": (2, 3)}
    assert terms[4].metric.needs_lr and not terms[0].metric.needs_lr


def test_setup_checks_the_context():
    metric = rapsd()
    metric.setup({**CONTEXT, "a_later_key": 1})  # keys a metric does not know are ignored
    assert metric.context.channel_names == ("u10", "v10", "t2m") and metric.context.latitude.dtype == torch.float64
    bad = [({"channel_names": "u10"}, "list of strings"), ({"channel_names": ["u10", None, "t2m"]}, "list of strings"),
           ({"units": ["K"]}, "1 units for 3"),
           ({"scale": 0}, "scale"), ({"latitude": [[1.0]]}, "1-D"), ({"latitude": [91.0]}, "within")]
    for change, message in bad:
        with pytest.raises(ValueError, match=message):
            metric.setup({**CONTEXT, **change})
    with pytest.raises(TypeError, match="mapping"):
        metric.setup(["u10"])


def test_conserve_fills_the_constraint_slot_of_any_generator(host):
    info = host.registry.get("conserve", "block")
    assert info.slot == "constraint" and info.provider.dist == "srzoo-geo" and isinstance(info.factory, str)
    assert info.resolve() is conserve
    assert not conserve(4).physical_units and conserve(4, "softmax").physical_units
