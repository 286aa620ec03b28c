"""`srzoo ablate --executor local|slurm`: runs as submitit jobs, recorded in jobs.json, and a rerun
that submits only what is neither finished nor still queued. The local executor trains for real
(one small ablation shared by these tests); Slurm is a fake sbatch/sacct/srun on PATH."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from tests.experiments.conftest import TINY, call

pytest.importorskip("submitit", reason="needs srzoo[cluster]")

TRAIN = ["--data", "synthetic-grid:12", "--iters", "5", "--val-every", "5", "--batch", "2", "--precision", "fp32"]
ARMS = ("baseline", "+se")


def _jobs(out) -> list[dict]:
    return json.loads((out / "jobs.json").read_text())["jobs"]


def _status(out, arm, seed) -> dict:
    return json.loads((out / arm / f"seed{seed}" / "run.json").read_text())


@pytest.fixture(scope="module")
def local_ablation(tmp_path_factory):
    """`srzoo ablate … --executor local --seeds 2 --iters 5`, then the same command again."""
    out = tmp_path_factory.mktemp("executors") / "abl"
    command = ["ablate", TINY, "--add", "gen:se", "--seeds", "2", "--out", str(out), *TRAIN,
               "--executor", "local", "--array-parallelism", "4"]
    first = call(*command)
    jobs_after_first = (out / "jobs.json").read_text() if (out / "jobs.json").is_file() else None
    second = call(*command)
    return {"out": out, "command": command, "first": first, "second": second, "jobs_after_first": jobs_after_first}


def test_local_executor_trains_every_run_as_a_submitit_job(local_ablation):
    out, first = local_ablation["out"], local_ablation["first"]
    assert first["code"] == 0, first["out"] + first["err"]
    for arm in ARMS:
        for seed in (0, 1):
            status = _status(out, arm, seed)
            assert (status["status"], status["step"]) == ("finished", 5)
    jobs = _jobs(out)
    assert sorted(j["run"] for j in jobs) == sorted(f"{a}/seed{s}" for a in ARMS for s in (0, 1))
    for job in jobs:
        assert job["executor"] == "local" and job["start"] == "new"
        assert list((out / job["logs"]).glob("*_result.pkl")), job  # submitit ran it and kept its result
    assert "all 4 runs finished" in first["out"]


def test_a_rerun_submits_nothing_and_report_works_as_usual(local_ablation):
    out, second = local_ablation["out"], local_ablation["second"]
    assert second["code"] == 0, second["out"] + second["err"]
    assert "nothing to submit: 4 of 4 runs finished" in " ".join(second["err"].split())
    assert (out / "jobs.json").read_text() == local_ablation["jobs_after_first"]
    report = call("report", str(out), "--no-plots")
    assert report["code"] == 0, report["err"]
    assert "+se" in report["out"] and "baseline" in report["out"]


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch):
    """sbatch (prints a new job id, keeps the script), sacct (every job in state $FAKE_SACCT_STATE), srun."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "sbatch": 'n=$(($(cat "$FAKE_SLURM/count" 2>/dev/null || echo 4241) + 1)); echo $n > "$FAKE_SLURM/count"\n'
                  'cp "$1" "$FAKE_SLURM/sbatch_$n.sh"; echo "Submitted batch job $n"',
        "sacct": 'echo "JobID|State|NodeList"\nfor f in "$FAKE_SLURM"/sbatch_*.sh; do n=${f##*_}; n=${n%.sh};\n'
                 '  for i in 0 1 2 3; do echo "${n}_$i|$FAKE_SACCT_STATE|node1"; done; done',
        "srun": "exit 0",
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM", str(tmp_path))
    monkeypatch.setenv("FAKE_SACCT_STATE", "PENDING")
    return tmp_path


def test_slurm_submits_only_what_failed_or_is_missing_and_not_what_is_queued(local_ablation, fake_slurm, monkeypatch, tmp_path):
    import shutil

    out = tmp_path / "abl"
    shutil.copytree(local_ablation["out"], out)
    failed = out / "baseline" / "seed1" / "run.json"
    failed.write_text(json.dumps({**json.loads(failed.read_text()), "status": "failed"}))
    shutil.rmtree(out / "+se" / "seed0")
    command = ["ablate", TINY, "--add", "gen:se", "--seeds", "2", "--out", str(out), *TRAIN, "--executor", "slurm",
               "--partition", "gpu", "--time-limit", "1h30m", "--gpus", "1", "--cpus", "4", "--array-parallelism", "2"]

    first = call(*command)
    assert first["code"] == 0, first["out"] + first["err"]
    slurm = [j for j in _jobs(out) if j["executor"] == "slurm"]
    assert [(j["run"], j["job_id"], j["start"]) for j in slurm] == [("+se/seed0", "4242_0", "new"), ("baseline/seed1", "4242_1", "resume")]
    script = (fake_slurm / "sbatch_4242.sh").read_text()
    for line in ("#SBATCH --partition=gpu", "#SBATCH --time=90", "#SBATCH --gpus-per-node=1", "#SBATCH --cpus-per-task=4",
                 "#SBATCH --array=0-1%2"):
        assert line in script
    said = " ".join(first["err"].split())  # rich wraps long lines
    assert "2 job(s) submitted" in said and f"srzoo report {out}" in said

    queued = call(*command)  # sacct: both still pending
    assert queued["code"] == 0 and "its job 4242_0 is pending; not submitted again" in " ".join(queued["err"].split())
    assert len([j for j in _jobs(out) if j["executor"] == "slurm"]) == 2

    monkeypatch.setenv("FAKE_SACCT_STATE", "FAILED")
    again = call(*command)
    assert again["code"] == 0, again["err"]
    slurm = [j for j in _jobs(out) if j["executor"] == "slurm"]
    assert [(j["run"], j["job_id"]) for j in slurm[2:]] == [("+se/seed0", "4243_0"), ("baseline/seed1", "4243_1")]


@pytest.mark.parametrize("options, message", [
    (["--executor", "slurm"], "--executor slurm needs --time-limit"),
    (["--executor", "pbs"], "--executor must be one of local, slurm, not 'pbs'"),
    (["--partition", "gpu"], "--partition needs --executor local or slurm"),
    (["--executor", "local", "--partition", "gpu"], "--partition is for --executor slurm"),
    (["--executor", "local", "--print-commands"], "--print-commands is for ablations trained in this process"),
    (["--executor", "slurm", "--time-limit", "soon"], "--time-limit 'soon' is not a duration"),
])
def test_bad_executor_options_are_one_clear_error(tmp_path, options, message):
    result = call("ablate", TINY, "--add", "gen:se", "--seeds", "1", "--out", str(tmp_path / "abl"), *TRAIN, *options)
    assert result["code"] == 2 and message in result["err"], result["err"]
    assert not (tmp_path / "abl").exists()


def test_without_submitit_the_message_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "submitit", None)
    result = call("ablate", TINY, "--add", "gen:se", "--seeds", "1", "--out", str(tmp_path / "abl"), *TRAIN, "--executor", "local")
    assert result["code"] == 2 and "pip install 'srzoo[cluster]'" in result["err"]
    assert not (tmp_path / "abl").exists()
