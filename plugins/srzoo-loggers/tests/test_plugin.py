"""Registration, the logger contract shared by both backends, and the missing-package message."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import srzoo_loggers
from srzoo_core.errors import UsageError
from srzoo_core.registry import PluginHost

BACKENDS = {"tensorboard": "tensorboard", "mlflow": "mlflow"}  # logger -> the package it needs


@pytest.fixture
def host() -> PluginHost:
    h = PluginHost()
    h.add_plugin(srzoo_loggers, name="loggers")
    return h


def test_both_loggers_are_registered_lazily(host):
    assert {info.name for info in host.registry.list("logger")} == {"tensorboard", "mlflow"}
    assert host.registry.get("tb", "logger").name == "tensorboard"
    code = "import sys, srzoo_loggers; print(sorted(m for m in ('torch', 'tensorboard', 'mlflow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_a_missing_backend_names_the_extra_to_install(host, name, monkeypatch):
    monkeypatch.setitem(sys.modules, BACKENDS[name], None)  # find_spec now reports it missing
    with pytest.raises(UsageError) as caught:
        host.registry.create("logger", name)
    assert f"pip install 'srzoo-loggers[{name}]'" in caught.value.render()


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_images_must_be_hwc_uint8(host, name, tmp_path):
    pytest.importorskip(BACKENDS[name])
    logger = host.registry.create("logger", name)
    logger.start(tmp_path, {"spec": "gen=srresnet"}, None)
    try:
        logger.log_images(1, {"ok": np.zeros((4, 6, 3), np.uint8)})
        with pytest.raises(ValueError, match="'float' must be an \\(H, W, C\\) uint8 array"):
            logger.log_images(2, {"float": np.zeros((4, 6, 3), np.float32)})
        with pytest.raises(ValueError, match="'two' must be"):
            logger.log_images(2, {"two": np.zeros((4, 6, 2), np.uint8)})
    finally:
        logger.close()
