"""A run folder belongs to one process: a second `srzoo train` on it is refused naming the holder's
pid; the OS lock dies with its process (kill -9 leaves none behind); a second `srzoo ablate` on the
same --out never deletes or restarts a run the first is training; --name cannot leave --out."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from srzoo_core.training.rundir import LOCK_FILE, RESUME, RunDir
from tests.reliability.common import (
    CRASH_ARGS, CRASH_ITERS, TINY_SPEC, Training, assert_complete_history, clean_env, error_count, flat, srzoo,
)

FAST = [TINY_SPEC, "--data", "synthetic-grid:12", "--batch", "4", "--iters", "2", "--val-every", "2"]
HOLD = ("import sys; from srzoo_core.training.rundir import RunLock; lock = RunLock.acquire(sys.argv[1]); print('held', flush=True); "
        "sys.stdin.read(); lock.release()")


class Holder:
    """Another process holding a run folder's lock until ``release()``."""

    def __init__(self, folder: Path):
        self.process = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, env=clean_env())
        assert self.process.stdout.readline().strip() == "held"
        self.pid = self.process.pid

    def release(self) -> None:
        self.process.stdin.close()
        assert self.process.wait() == 0


@pytest.mark.usefixtures("no_plots")
def test_a_run_folder_held_by_another_process_is_refused_with_its_pid_and_nothing_is_written(cli, tmp_path):
    folder = tmp_path / "shared"
    holder = Holder(folder)
    try:
        for extra in ([], ["--resume"]):
            code, _, err = cli("train", *FAST, "--out", str(tmp_path), "--name", "shared", *extra)
            err = flat(err)
            assert code == 2 and f"error: run folder {folder} is in use by another srzoo process (pid {holder.pid})" in err, err
            assert error_count(err) == 1 and "Traceback" not in err
            assert sorted(p.name for p in folder.iterdir()) == [LOCK_FILE]  # the holder's folder, untouched
    finally:
        holder.release()
    assert not folder.exists()  # the holder created it for a run that never started: nothing is left
    code, _, err = cli("train", *FAST, "--out", str(tmp_path), "--name", "shared")
    assert code == 0, err
    assert RunDir(folder).status()["status"] == "finished" and not (folder / LOCK_FILE).exists()


def test_kill_9_before_the_first_checkpoint_leaves_no_lock_and_resume_starts_the_run_over(cli, tmp_path):
    victim = Training(tmp_path, "early", "--iters", "400", "--val-every", "200")  # first checkpoint at step 200
    victim.wait_for_step(8)
    victim.process.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL
    run = victim.path
    assert RunDir(run).status()["status"] == "running" and not (run / RESUME).exists()
    assert (run / LOCK_FILE).exists()  # the file stays; the lock on it died with the process
    code, _, err = cli("train", TINY_SPEC, *CRASH_ARGS, "--out", str(tmp_path), "--name", "early", "--resume")
    err = flat(err)
    assert code == 0, err
    assert f"{run} has no checkpoint yet (the run stopped before its first validation): starting it again from step 0" in err
    assert "checkpoint not found" not in err and "Traceback" not in err
    assert RunDir(run).status()["status"] == "finished"
    assert_complete_history(run, CRASH_ITERS, 2)  # the killed attempt's records are gone, each step logged once


@pytest.mark.parametrize("name", ["../../escaped", "a/b", "..", ".", "/tmp/absolute", "sub\\..\\x" if os.sep == "\\" else "x/../y"])
def test_a_name_that_is_a_path_is_refused(cli, tmp_path, name):
    out = tmp_path / "deep" / "runs"
    code, _, err = cli("train", *FAST, "--out", str(out), "--name", name)
    err = flat(err)
    assert code == 2 and f"error: --name {name!r} must be a plain folder name" in err, err
    assert error_count(err) == 1 and "Traceback" not in err
    assert not (tmp_path / "escaped").exists() and not out.exists()


def _ablate(out: Path, log: Path) -> subprocess.Popen:
    command = srzoo("ablate", TINY_SPEC, "--add", "gen:se", "--seeds", "1", "--data", "synthetic-grid:12", "--batch", "4",
                    "--iters", "2", "--val-every", "2", "--out", str(out))
    with open(log, "a") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=clean_env(), start_new_session=True)


def _wait_for(log: Path, text: str, process: subprocess.Popen) -> None:
    while text not in flat(log.read_text()):
        assert process.poll() is None, f"ended (exit {process.returncode}) before printing {text!r}\n{log.read_text()[-3000:]}"
        time.sleep(0.05)


def test_a_second_ablation_leaves_a_run_another_process_holds_and_picks_it_up_later(cli, tmp_path):
    """This process stands for a first ablation training baseline/seed0, stopped before its first
    checkpoint: the second ablation trains the other run, waits, and then restarts that one in
    place — never deleting it while it is held."""
    out = tmp_path / "abl"
    code, _, err = cli("ablate", TINY_SPEC, "--add", "gen:se", "--seeds", "1", "--data", "synthetic-grid:12", "--batch", "4",
                       "--iters", "2", "--val-every", "2", "--out", str(out))
    assert code == 0, err
    held, other = out / "baseline" / "seed0", out / "+se" / "seed0"
    for name in ("best.safetensors", "last.safetensors", RESUME):
        (held / name).unlink()
    RunDir(held).set_status("running")  # as a run stopped before its first checkpoint: it would be restarted
    shutil.rmtree(other)  # a run still to do
    (held / "mine.txt").write_text("the first ablation's file\n")
    from srzoo_core.training.rundir import RunLock

    lock = RunLock.acquire(held)
    log = tmp_path / "second.log"
    second = _ablate(out, log)
    try:
        _wait_for(log, f"[1/2] baseline/seed0: another process (pid {os.getpid()}) is training it; coming back to it later", second)
        _wait_for(log, "[1/2] baseline/seed0: waiting for the other process to let it go", second)
        assert RunDir(other).status()["status"] == "finished"  # it trained the run nobody held
        assert (held / "mine.txt").exists() and RunDir(held).status()["status"] == "running"
    finally:
        lock.release()
    assert second.wait() == 0, log.read_text()[-3000:]
    assert (held / "mine.txt").exists()  # restarted in place, never deleted
    assert RunDir(held).status()["status"] == "finished" and (held / RESUME).exists()
    assert "starting it again from step 0" in flat(log.read_text())


def _one_run_per_folder(run: Path, iters: int, generator: str = "gen=srresnet(blocks=1,features=8)") -> None:
    """The folder holds one whole run: each step logged once, one spec, finished."""
    records = RunDir(run).records()
    assert [r["step"] for r in records if "it_per_s" in r] == list(range(1, iters + 1)), records
    assert RunDir(run).status()["status"] == "finished"
    assert (run / "spec.txt").read_text().startswith(generator + " ") and not (run / LOCK_FILE).exists()


@pytest.mark.slow
def test_concurrent_trainings_and_ablations_on_the_same_folders_lose_and_mix_nothing(tmp_path):
    """Two `srzoo train --name same` and two `srzoo ablate --out same` started together, twice over:
    one training wins the folder, the other is refused (or, starting after the first ended, finds
    it finished and is refused too); the ablations share the runs and both complete."""
    for round_ in range(2):
        base = tmp_path / f"round{round_}"
        base.mkdir()
        logs = [base / f"train{i}.log" for i in range(2)] + [base / f"ablate{i}.log" for i in range(2)]
        trainings = []
        for log in logs[:2]:
            with open(log, "w") as handle:
                trainings.append(subprocess.Popen(srzoo("train", *FAST, "--out", str(base), "--name", "same"), stdout=handle,
                                                  stderr=subprocess.STDOUT, env=clean_env(), start_new_session=True))
        ablations = [_ablate(base / "abl", log) for log in logs[2:]]
        codes = [p.wait() for p in trainings]
        outputs = [flat(log.read_text()) for log in logs[:2]]
        assert sorted(codes) == [0, 2], outputs
        loser = outputs[codes.index(2)]
        assert "is in use by another srzoo process (pid" in loser or "already exists" in loser, loser
        assert "Traceback" not in loser
        _one_run_per_folder(base / "same", 2)
        for process, log in zip(ablations, logs[2:]):
            assert process.wait() == 0, log.read_text()[-3000:]
            assert "Traceback" not in log.read_text()
        _one_run_per_folder(base / "abl" / "baseline" / "seed0", 2)
        _one_run_per_folder(base / "abl" / "+se" / "seed0", 2, "gen=srresnet(blocks=1,features=8)+se")
