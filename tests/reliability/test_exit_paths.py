"""Every way a run can end is recorded: an exception of any kind from a component, a plugin calling
sys.exit or an srzoo error after the run folder exists leave run.json at "failed" with the message
(and the traceback in failure.txt); stop signals end it "interrupted", exit 130, with no traceback
wherever the second one lands (inside plotting and saving, or in a finaliser)."""

from __future__ import annotations

import gc
import json
import os
import random
import signal
import subprocess
import time

import pytest
import torch
from torch import nn

import srzoo_core
from srzoo_core import hookimpl
from srzoo_core.errors import UsageError
from srzoo_core.training.rundir import LAST, RunDir
from srzoo_core.training.stops import DeferredStop
from tests.reliability.common import TINY_ARGS, TINY_SPEC, clean_env, error_count, flat, srzoo

RUN = [*TINY_ARGS, "--precision", "fp32", "--iters", "6", "--val-every", "2"]
FAULTS = {
    "exception": (lambda: RuntimeError("the loss blew up"), 1, "training failed at step 2: RuntimeError: the loss blew up"),
    "exit": (lambda: SystemExit(3), 1, "training failed at step 2: a component called sys.exit(3)"),
    "srzoo": (lambda: UsageError("the loss needs a mask"), 2, "error: the loss needs a mask"),
}


class Explodes(nn.Module):
    """L1 for two steps, then the fault."""

    role = "pixel"

    def __init__(self, fault: str = "exception"):
        super().__init__()
        self.fault, self.calls = fault, 0

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls > 2:
            raise FAULTS[self.fault][0]()
        return (sr - hr).abs().mean()


class FaultPlugin:
    @hookimpl
    def srzoo_register_losses(self, register):
        register("explodes", Explodes)


@pytest.mark.usefixtures("no_plots")
@pytest.mark.parametrize("fault", list(FAULTS))
def test_an_error_after_the_run_folder_exists_records_failed_with_its_message(cli, tmp_path, plugin_env, fault):
    srzoo_core.add_plugin(FaultPlugin(), name="faults")
    _, code, message = FAULTS[fault]
    got, _, err = cli("train", f"gen=srresnet(blocks=1,features=8) loss=explodes(fault={fault})", *RUN, "--out", str(tmp_path),
                      "--name", "run")
    err = flat(err)
    assert got == code and message in err, err
    assert error_count(err) == 1 and "Traceback" not in err
    status = RunDir(tmp_path / "run").status()
    assert status["status"] == "failed" and status["step"] == 2 and message.split(": ", 1)[-1] in status["reason"]
    failure = tmp_path / "run" / "failure.txt"
    if code == 1:
        assert f"the last good checkpoint, {tmp_path / 'run' / LAST} (step 2), is intact" in err
        assert f"the traceback is in {failure}" in err and "Traceback (most recent call last)" in failure.read_text()
    else:
        assert not failure.exists()  # a message srzoo wrote needs no traceback


def _two_signals_while_plotting(monkeypatch) -> list[int]:
    """plot_curves at the second validation receives two SIGTERMs; returns the steps it drew."""
    from srzoo_core.training import plots

    drawn: list[int] = []

    def plot_curves(rows, path):
        drawn.append(rows[-1]["step"])
        if len(drawn) == 2:
            for _ in range(2):
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)
            drawn.append(-1)  # still drawing after both: the second did not cut it short
        return path

    monkeypatch.setattr(plots, "plot_curves", plot_curves)
    monkeypatch.setattr(plots, "save_sample_panel", lambda path, *args, **kwargs: None)
    return drawn


def test_a_second_sigterm_while_plotting_ends_the_run_cleanly_after_the_picture(cli, tmp_path, monkeypatch):
    drawn = _two_signals_while_plotting(monkeypatch)
    code, _, err = cli("train", TINY_SPEC, *RUN, "--out", str(tmp_path), "--name", "run")
    assert code == 130, err
    assert drawn == [2, 4, -1]
    assert "Traceback" not in err and "Exception ignored" not in err
    assert f"the last good checkpoint, {tmp_path / 'run' / LAST} (step 4), is intact" in flat(err)
    status = RunDir(tmp_path / "run").status()
    assert (status["status"], status["step"]) == ("interrupted", 4)


def test_a_stop_that_lands_in_a_finaliser_is_not_lost_and_prints_nothing(capsys):
    class Finalised:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs here, inside __del__
            sum(range(1000))

    with DeferredStop() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested and not stop.forced
        Finalised()
        gc.collect()
        assert stop.forced
        with pytest.raises(KeyboardInterrupt):
            stop.check()
    assert "Exception ignored" not in capsys.readouterr().err


@pytest.mark.slow
def test_two_sigterms_a_moment_apart_always_end_interrupted_without_a_traceback(tmp_path):
    """Real runs whose validations draw real plots: the two signals land wherever they land."""
    rng = random.Random(0)
    for attempt in range(3):
        name = f"run{attempt}"
        log = tmp_path / f"{name}.log"
        with open(log, "w") as handle:
            process = subprocess.Popen(srzoo("train", TINY_SPEC, *TINY_ARGS, "--iters", "40", "--val-every", "1", "--out",
                                             str(tmp_path), "--name", name), stdout=handle, stderr=subprocess.STDOUT,
                                       env=clean_env(), start_new_session=True)
        while not any("val/psnr" in r for r in RunDir(tmp_path / name).records()):
            assert process.poll() is None, log.read_text()[-3000:]
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.6))
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        assert process.wait() == 130, log.read_text()[-3000:]
        text = log.read_text()
        assert "Traceback" not in text and "Exception ignored" not in text, text[-3000:]
        assert json.loads((tmp_path / name / "run.json").read_text())["status"] == "interrupted"


def test_sigterm_during_setup_ends_the_command_before_anything_is_written(cli, tmp_path, monkeypatch):
    import srzoo_core.data as data

    real = data.load_data

    def load_data(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)

    monkeypatch.setattr(data, "load_data", load_data)
    previous = signal.getsignal(signal.SIGTERM)
    code, out, err = cli("train", TINY_SPEC, *RUN, "--out", str(tmp_path), "--name", "run")
    assert code == 130 and "interrupted before training started; nothing was written" in flat(out), (out, err)
    assert "Traceback" not in err and not (tmp_path / "run").exists()
    assert signal.getsignal(signal.SIGTERM) is previous  # the command gives the handler back
