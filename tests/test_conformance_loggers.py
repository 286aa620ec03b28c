"""The conformance kit's checks of loggers (kind ``logger``), on loggers written to pass and to fail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from srzoo_core import PluginHost, hookimpl
from srzoo_core.testing import ConformanceError, check_plugin


class Recording:
    """Keeps everything in a JSON-lines file in the run folder; checks images as the contract says."""

    def __init__(self, file: str = "log.jsonl"):
        self.file = file

    def start(self, run_dir, description, resume_step):
        self.path = Path(run_dir) / self.file
        self.lines = [f"start {resume_step}"]

    def log_scalars(self, step, values):
        self.lines.append(f"{step} {sorted(values)}")

    def log_images(self, step, images):
        for tag, image in images.items():
            array = np.asarray(image)
            if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (1, 3, 4):
                raise ValueError(f"{tag}: not HWC uint8")

    def close(self):
        self.path.write_text("\n".join(self.lines))


class Careless(Recording):
    """Takes any image, and writes into the working directory."""

    def log_images(self, step, images):
        pass

    def close(self):
        Path("careless.log").write_text("\n".join(self.lines))


class Loggers:
    @hookimpl
    def srzoo_register_loggers(self, register):
        register("recording", Recording)
        register("careless", Careless)
        register("nothing", lambda: object())


def test_a_logger_that_keeps_the_contract_passes_and_others_fail_with_reasons():
    with pytest.raises(ConformanceError) as caught:
        check_plugin(Loggers())
    lines = {str(f) for f in caught.value.failures}
    assert lines == {
        "[logger careless] images must be HWC uint8 with 1, 3 or 4 channels: a float32 (16, 24, 3) image was accepted; raise ValueError",
        "[logger careless] writes nothing in the working directory: left careless.log in the working directory; "
        "write under run_dir (or a store the options name)",
        "[logger nothing] build: the object lacks start, log_scalars, log_images, close; "
        "a logger has start, log_scalars, log_images, close",
    }
    host = PluginHost()
    host.add_plugin(Loggers(), name="loggers-test")
    from srzoo_core.testing import check_component

    passed = check_component(host.registry.get("recording", "logger"), host, file="other.jsonl")
    assert "[logger recording] resume" in passed and "[logger recording] a short run" in passed
