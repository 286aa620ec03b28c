"""The conformance kit over both loggers (each needs its backend package: its extra)."""

from __future__ import annotations

import pytest

import srzoo_loggers


def test_conformance(srzoo_conformance):
    for package in ("tensorboard", "mlflow"):
        pytest.importorskip(package, reason=f"needs srzoo-loggers[{package}]")
    passed = srzoo_conformance(srzoo_loggers)
    for name in ("tensorboard", "mlflow"):
        assert f"[logger {name}] resume" in passed and f"[logger {name}] writes nothing in the working directory" in passed
