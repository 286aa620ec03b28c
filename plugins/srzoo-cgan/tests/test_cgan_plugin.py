"""Registration and the conformance kit for srzoo-cgan."""

from __future__ import annotations

import importlib

import pytest

from srzoo_core.registry import PluginHost


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost(only={"cgan"})
    host.load_entry_points()
    return host


def test_registration(host):
    record = host.records["cgan"]
    assert record.status == "ok", record.error
    assert sorted(record.components) == ["lrcond", "multipatch", "patchgan", "unet"]
    unet = host.registry.get("unet", "gen")
    assert unet.scales == (2, 3, 4, 8) and set(unet.slots) == {"attention", "fusion", "upsampler"}
    assert [p.name for p in unet.params] == ["features", "depth", "norm"]
    patchgan = host.registry.get("patchgan", "disc")
    assert "34x34" in patchgan.description  # the default's receptive field is stated
    assert host.registry.get("lrcond", "block").slot == "wrapper"
    for name in record.components:
        assert isinstance(host.registry.get(name).factory, str)  # lazy: no torch at entry-module import


def _check_plugin():
    check_plugin = getattr(importlib.import_module("srzoo_core.testing"), "check_plugin", None)
    if check_plugin is None:
        pytest.skip("the conformance kit (srzoo_core.testing.check_plugin) is not in this checkout yet")
    return check_plugin


def test_conformance_cgan():
    _check_plugin()("cgan")


