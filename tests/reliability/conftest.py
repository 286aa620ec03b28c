"""Fixtures for the reliability tests: the in-process CLI, and one uninterrupted reference run
(a subprocess started on first use, so it trains while the test that asked for it does)."""

from __future__ import annotations

import pytest

from tests.reliability.common import Training


@pytest.fixture
def no_plots(monkeypatch):
    """Skip the curve and sample pictures of in-process runs: they take most of a tiny run's time
    and play no part in the faults tested here (the subprocess runs keep them)."""
    from srzoo_core.training import plots

    monkeypatch.setattr(plots, "plot_curves", lambda rows, path: path)
    monkeypatch.setattr(plots, "save_sample_panel", lambda path, *args, **kwargs: None)



@pytest.fixture(scope="session")
def reference_run(tmp_path_factory):
    """An uninterrupted run of the crash-test training; ``.finished_ok()`` waits for it."""
    run = Training(tmp_path_factory.mktemp("reference"), "straight")
    yield run
    if run.process.poll() is None:
        run.process.kill()
        run.process.wait()
