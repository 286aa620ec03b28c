"""Environment faults: a disk that fills up during a checkpoint, an output folder that cannot be
written, a run folder that holds another spec, and Ctrl-C (a clean stop that says how to resume,
between two steps, never inside one)."""

from __future__ import annotations

import errno
import os
import random
import signal
from pathlib import Path

import pytest
from safetensors import SafetensorError

from srzoo_core.training import checkpoint
from srzoo_core.training.rundir import LAST, RESUME, RunDir
from tests.reliability.common import (
    CRASH_ITERS, TINY_ARGS, TINY_SPEC, Training, assert_complete_history, assert_same_tensors, error_count, flat,
)

pytestmark = pytest.mark.usefixtures("no_plots")

FAST = [TINY_SPEC, *TINY_ARGS, "--precision", "fp32", "--deterministic", "--iters", "2", "--val-every", "1"]
DISK_FULL = {
    "OSError": OSError(errno.ENOSPC, "No space left on device"),
    # what safetensors really raises on a full disk (seen on a 512 KiB tmpfs)
    "SafetensorError": SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)"),
}


@pytest.mark.parametrize("kind", list(DISK_FULL))
def test_a_full_disk_during_a_checkpoint_stops_the_run_and_keeps_the_previous_one(cli, tmp_path, monkeypatch, kind):
    run = tmp_path / "full"
    real, calls, before = checkpoint.save_file, [], {}

    def disk_fills_up(tensors, filename, metadata=None):
        calls.append(filename)
        if len(calls) == 4:  # step 1 wrote best, last and resume; step 2's first file does not fit
            before.update({p.name: p.read_bytes() for p in run.glob("[!.]*.safetensors")})
            raise DISK_FULL[kind]
        return real(tensors, filename, metadata=metadata)

    monkeypatch.setattr(checkpoint, "save_file", disk_fills_up)
    code, out, err = cli("train", *FAST, "--out", str(tmp_path), "--name", "full")
    assert code == 1, err
    err = flat(err)
    written = Path(calls[3]).name.lstrip(".").split(".")[0] + ".safetensors"  # best or last, by the write order
    assert f"error: training stopped at step 2: {run / written}: cannot write checkpoint: No space left on device" in err
    assert f"the last good checkpoint, {run / LAST} (step 1), is intact" in err and "--resume" in err
    assert error_count(err) == 1 and "Traceback" not in err
    status = RunDir(run).status()
    assert status["status"] == "failed" and "No space left on device" in status["reason"]
    assert {p.name: p.read_bytes() for p in run.glob("[!.]*.safetensors")} == before  # untouched, and complete:
    assert checkpoint.read(run / RESUME)[1]["step"] == 1 and checkpoint.read(run / LAST)[1]["step"] == 1
    assert not list(run.glob(".*.tmp*"))
    monkeypatch.setattr(checkpoint, "save_file", real)  # space freed: the run goes on from step 1
    code, _, err = cli("train", *FAST, "--out", str(tmp_path), "--name", "full", "--resume")
    assert code == 0, err
    assert RunDir(run).status()["status"] == "finished"
    assert_complete_history(run, 2, 1)


def test_an_output_folder_that_cannot_be_written_is_refused_before_training(cli, tmp_path):
    if not Path("/proc/self").is_dir():
        pytest.skip("needs /proc, where nobody (root included) can create a folder")
    code, _, err = cli("train", *FAST, "--out", "/proc/srzoo-reliability/runs")
    assert code == 2 and "error: cannot write to /proc" in flat(err) and "--out" in err, err
    assert "Traceback" not in err and error_count(err) == 1


def test_a_run_folder_holding_another_spec_is_refused_even_with_resume(cli, tmp_path):
    other = tmp_path / "taken"
    other.mkdir()
    (other / "spec.txt").write_text("gen=srresnet(blocks=2,features=8) loss=l1 metric=psnr\n")
    for extra in ([], ["--resume"]):
        code, _, err = cli("train", *FAST, "--out", str(tmp_path), "--name", "taken", *extra)
        assert code == 2 and f"run folder {other} holds a different spec" in flat(err) and "choose another --name" in flat(err), err
    assert [p.name for p in other.iterdir()] == ["spec.txt"]


def test_ctrl_c_stops_cleanly_says_how_to_resume_and_resume_finishes(reference_run, tmp_path):
    target = random.randint(1, CRASH_ITERS - 2)
    victim = Training(tmp_path, "stopped")
    victim.wait_for_step(target)
    victim.process.send_signal(signal.SIGINT)
    assert victim.wait() == 130, victim.output()[-3000:]
    status = RunDir(victim.path).status()
    assert status["status"] == "interrupted", status
    stopped = status["step"]
    assert checkpoint.read(victim.path / LAST)[1]["step"] == stopped
    assert checkpoint.read(victim.path / RESUME)[1]["step"] == stopped
    output = flat(victim.output())
    assert f"interrupted at step {stopped}" in output and "resume with: srzoo train" in output and "--resume" in output
    assert "Traceback" not in output

    Training(victim.path.parent, "stopped", "--resume").finished_ok()
    assert RunDir(victim.path).status()["status"] == "finished"
    assert_same_tensors(victim.path / LAST, reference_run.finished_ok().path / LAST)
    assert_complete_history(victim.path, CRASH_ITERS, 2)


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_inside_an_optimizer_step_never_saves_half_a_step(cli, tmp_path, monkeypatch, presses):
    """Deterministic: Ctrl-C arrives right after step 3's generator update, before the step is
    counted. Once: the step ends, then the run stops and saves step 3. Twice: it stops at once and
    keeps the checkpoint of step 2. Either way the saved state holds whole steps only: as many
    optimizer steps as the step it records."""
    import torch

    real_step, calls = torch.optim.Adam.step, []

    def step_then_ctrl_c(self, *args, **kwargs):
        result = real_step(self, *args, **kwargs)
        calls.append(1)
        if len(calls) == 3:
            for _ in range(presses):
                os.kill(os.getpid(), signal.SIGINT)
        return result

    monkeypatch.setattr(torch.optim.Adam, "step", step_then_ctrl_c)
    code, out, err = cli("train", *FAST[:-4], "--iters", "6", "--val-every", "2", "--ema", "0", "--out", str(tmp_path), "--name", "mid")
    assert code == 130, err
    saved = 4 - presses
    tensors, meta = checkpoint.read(tmp_path / "mid" / RESUME)
    state = checkpoint.join_state(meta["state"], tensors)
    adam_steps = {int(s["step"]) for s in state["opt_g"]["state"].values()}
    assert meta["step"] == saved and adam_steps == {saved}, (meta["step"], adam_steps)
    status = RunDir(tmp_path / "mid").status()
    assert (status["status"], status["step"]) == ("interrupted", saved)
    if presses == 2:
        assert "stopped at once; the last good checkpoint," in flat(err) and "(step 2), is intact" in flat(err)
