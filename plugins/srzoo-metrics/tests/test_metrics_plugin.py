"""Registration, the spec route and the conformance kit."""

from __future__ import annotations

import importlib

import pytest
import torch

import srzoo_core as sz
from srzoo_core.registry import PluginHost

NAMES = ("psnr", "ssim", "rmse", "mae", "bias", "corr")


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost(only={"metrics"})
    host.load_entry_points()
    return host


def test_registers_every_metric(host):
    assert host.records["metrics"].status == "ok", host.records["metrics"].error
    assert sorted(host.registry.names("metric")) == sorted(NAMES)
    for name in NAMES:
        info = host.registry.get(name, "metric")
        assert info.provider.dist == "srzoo-metrics" and info.description
        assert isinstance(info.factory, str)  # lazy: the entry module imports no torch


def test_spec_builds_metrics_with_their_protocol(host):
    terms = sz.build_metrics("metric=psnr(space=y,crop=4)+ssim(data_range=255)+rmse+bias", host=host)
    assert [t.name for t in terms] == ["psnr", "ssim", "rmse", "bias"]
    assert {"space": "y", "crop": 4, "data_range": 1.0}.items() <= terms[0].metric.protocol().items()
    assert terms[1].metric.protocol()["data_range"] == 255.0
    assert terms[0].higher_is_better and not terms[2].higher_is_better
    x = torch.rand(2, 3, 24, 24)
    assert terms[0].metric(x, x.flip(-1)).shape == (2,)
    assert terms[2].metric(x, x.flip(-1)).shape == (2, 3)


def test_spec_rejects_an_unknown_space(host):
    with pytest.raises(sz.SpecError, match="space"):
        sz.resolve("metric=psnr(space=lab)", host)


def test_conformance_kit():
    check_plugin = getattr(importlib.import_module("srzoo_core.testing"), "check_plugin", None)
    if check_plugin is None:
        pytest.skip("the conformance kit (srzoo_core.testing.check_plugin) is not in this checkout yet")
    check_plugin("metrics")
