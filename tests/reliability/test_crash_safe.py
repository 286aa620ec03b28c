"""Crash-safe training: a run killed with SIGKILL at a random step resumes (from the checkpoint of
its last validation) to exactly the weights of an uninterrupted run, with every step logged once;
a checkpoint is complete or absent, and a truncated or damaged one is refused by name."""

from __future__ import annotations

import json
import random
import re
import shutil
import signal

import pytest

from srzoo_core.training import checkpoint
from srzoo_core.training.rundir import BEST, LAST, RESUME, RunDir
from tests.reliability.common import (
    CRASH_ARGS, CRASH_ITERS, TINY_SPEC, Training, assert_complete_history, assert_same_tensors, error_count, flat,
)


def test_a_run_killed_at_a_random_step_resumes_to_the_weights_of_an_uninterrupted_run(reference_run, tmp_path):
    target = random.randint(3, CRASH_ITERS - 2)  # after the first checkpoint (step 2), before the end
    victim = Training(tmp_path, "killed")
    reached = victim.wait_for_step(target)
    victim.process.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL, f"the run was not killed (asked at step {target})"
    run = victim.path
    assert RunDir(run).status()["status"] == "running"  # a killed run never looks finished
    for name in (LAST, BEST, RESUME):  # complete, or absent: never half a file
        tensors, meta = checkpoint.read(run / name)
        assert 2 <= meta["step"] <= reached and meta["step"] % 2 == 0, (name, meta["step"], reached)
    saved = checkpoint.read(run / RESUME)[1]["step"]

    resumed = Training(tmp_path, "killed", "--resume").finished_ok()
    assert f"step {saved + 1}/{CRASH_ITERS}" in resumed.output()  # it went on from the checkpoint
    reference = reference_run.finished_ok().path
    assert_same_tensors(run / LAST, reference / LAST)
    assert_same_tensors(run / RESUME, reference / RESUME)
    assert_complete_history(run, CRASH_ITERS, 2)
    final = lambda path: {k: v for k, v in RunDir(path).status().items() if k in ("status", "step", "final", "best")}  # noqa: E731
    assert final(run) == final(reference)
    assert not list(run.glob(".*.tmp*"))


def _header_length(data: bytes) -> int:
    return 8 + int.from_bytes(data[:8], "little")


DAMAGES = {
    "truncated in the tensors": lambda data: data[: len(data) - 100],
    "truncated in the header": lambda data: data[: _header_length(data) - 30],
    "emptied": lambda data: b"",
    "header length flipped": lambda data: bytes([data[0] ^ 0x40]) + data[1:],
    "a digit of the metadata changed": lambda data: re.sub(rb'(\\"step\\": )(\d)', lambda m: m[1] + str((int(m[2]) + 1) % 10).encode(), data, 1),
    "a tensor byte flipped": lambda data: data[:-50] + bytes([data[-50] ^ 0x01]) + data[-49:],
    "the checksum's name flipped": lambda data: data.replace(b"srzoo_sha256", b"srzoo_sha257", 1),
}


@pytest.fixture
def reference_copy(reference_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(reference_run.finished_ok().path, copy)
    return copy


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_checkpoint_is_refused_by_eval_and_resume(reference_copy, tmp_path, cli, damage):
    for name in (BEST, RESUME):
        path = reference_copy / name
        original = path.read_bytes()
        damaged = DAMAGES[damage](original)
        assert damaged != original
        path.write_bytes(damaged)
    status = (reference_copy / "run.json").read_text()
    code, _, err = cli("eval", str(reference_copy / BEST))
    err = flat(err)
    assert code == 2 and f"{reference_copy / BEST}" in err and "Traceback" not in err, err
    assert error_count(err) == 1 and ("corrupted" in err or "truncated" in err or "not an srzoo checkpoint" in err), err
    code, _, err = cli("train", TINY_SPEC, *CRASH_ARGS, "--out", str(tmp_path), "--name", "copy", "--resume")
    err = flat(err)
    assert code == 2 and f"{reference_copy / RESUME}" in err and "Traceback" not in err, err
    assert (reference_copy / "run.json").read_text() == status  # refused before touching the run
    assert checkpoint.read(reference_copy / LAST)[1]["step"] == CRASH_ITERS


def test_any_single_flipped_byte_is_refused(reference_copy):
    """Fault injection over the whole file, header and tensors: 200 single-byte flips, 200 refusals."""
    path = reference_copy / LAST
    original = path.read_bytes()
    rng = random.Random(0)
    header = _header_length(original)
    positions = rng.sample(range(header), 150) + rng.sample(range(header, len(original)), 50)
    for position in positions:
        path.write_bytes(original[:position] + bytes([original[position] ^ (1 << rng.randrange(8))]) + original[position + 1:])
        with pytest.raises(checkpoint.CheckpointError) as caught:
            checkpoint.read(path)
        assert str(path) in caught.value.message, position
    path.write_bytes(original)
    assert checkpoint.read(path)[1]["step"] == CRASH_ITERS


def test_a_line_torn_by_a_crash_is_skipped_and_stale_temporary_files_are_removed(tmp_path):
    run = RunDir(tmp_path / "run")
    run.path.mkdir()
    lines = [json.dumps({"step": s, "loss/l1": 0.5}) for s in (1, 2, 3)]
    (run.path / "metrics.jsonl").write_text("\n".join(lines) + '\n{"step": 4, "loss/l1": 0.')  # killed mid-write
    (run.path / ".last.x1y2.tmp.safetensors").write_bytes(b"half a checkpoint")
    assert [r["step"] for r in run.records()] == [1, 2, 3]
    run.start(TINY_SPEC, {"spec": TINY_SPEC}, {}, fresh=False)
    run.truncate_after(2)
    assert [r["step"] for r in run.records()] == [1, 2]
    assert not list(run.path.glob(".*.tmp*"))


def test_a_checkpoint_write_that_dies_halfway_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    import torch

    path = tmp_path / LAST
    checkpoint.write_atomic(path, {"gen.w": torch.ones(4096)}, {"type": "model", "step": 2})
    real = checkpoint.save_file

    def dies_halfway(tensors, filename, metadata=None):
        real(tensors, filename, metadata=metadata)
        with open(filename, "r+b") as handle:
            handle.truncate(handle.seek(0, 2) // 2)
        raise KeyboardInterrupt  # the process is stopped mid-write

    monkeypatch.setattr(checkpoint, "save_file", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.write_atomic(path, {"gen.w": torch.zeros(4096)}, {"type": "model", "step": 4})
    tensors, meta = checkpoint.read(path)
    assert meta["step"] == 2 and bool((tensors["gen.w"] == 1).all())
    assert [p.name for p in tmp_path.iterdir()] == [LAST]
