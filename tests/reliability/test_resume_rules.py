"""--resume continues a run only with the options it was started with: every option that changes
results must match, or the resume is refused naming each difference, before anything in the run
folder changes. A longer budget, another --out, --device, --workers or --val-every are allowed."""

from __future__ import annotations

import shutil

import pytest

from srzoo_core.training import checkpoint
from srzoo_core.training.rundir import RESUME, RunDir
from tests.reliability.common import TINY_SPEC, error_count, flat

pytestmark = pytest.mark.usefixtures("no_plots")

OPTIONS = ["--data", "synthetic-grid:16", "--batch", "4", "--val-batch", "8", "--precision", "fp32", "--iters", "2", "--val-every", "2"]


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """A finished two-step run (its resume checkpoint at step 2)."""
    import srzoo_core.api as api

    out = tmp_path_factory.mktemp("resume")
    api.train(TINY_SPEC, data="synthetic-grid:16", batch=4, val_batch=8, precision="fp32", iters=2, val_every=2,
              out=str(out), name="run", quiet=True)
    return out / "run"


@pytest.fixture
def run(started, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(started, copy)
    return copy


def _with(option: str, value: str | None) -> list[str]:
    """OPTIONS with ``option`` set to ``value`` (None: a flag)."""
    args = list(OPTIONS)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option] if value is None else [option, value]
    return args


CHANGES = {  # option -> (new value, how the difference is named)
    "--data": ("synthetic-grid:20", "--data synthetic-grid:16 then, synthetic-grid:20 now"),
    "--batch": ("2", "--batch 4 then, 2 now"),
    "--lr": ("0.002", "--lr 0.001 then, 0.002 now"),
    "--seed": ("1", "--seed 0 then, 1 now"),
    "--ema": ("0", "--ema 0.999 then, 0.0 now"),
    "--scale": ("2", "--scale 4 then, 2 now"),
    "--precision": ("bf16", "--precision fp32 then, bf16 now"),
    "--schedule": ("constant", "--schedule cosine then, constant now"),
    "--augment": (None, "--augment none then, flips now"),
    "--degradation": ("area", "--degradation bicubic then, area now"),
}


@pytest.mark.parametrize("option", list(CHANGES))
def test_a_resume_with_an_option_that_changes_results_is_refused_naming_it(cli, run, option):
    value, named = CHANGES[option]
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    code, _, err = cli("train", TINY_SPEC, *_with(option, value), "--out", str(run.parent), "--name", "run", "--resume")
    err = flat(err)
    assert code == 2 and f"error: cannot resume {run} with other options than it was started with" in err, err
    assert named in err and error_count(err) == 1 and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before  # config.yaml, run.json: untouched


def test_every_difference_is_named_at_once(cli, run):
    args = _with("--lr", "0.002") + ["--batch", "2", "--ema", "0.5", "--seed", "3"]
    code, _, err = cli("train", TINY_SPEC, *args, "--out", str(run.parent), "--name", "run", "--resume")
    err = flat(err)
    assert code == 2 and error_count(err) == 1, err
    named = ["--batch 4 then, 2 now", "--lr 0.001 then, 0.002 now", "--ema 0.999 then, 0.5 now", "--seed 0 then, 3 now"]
    assert all(n in err for n in named), err
    assert sorted(named, key=err.index) == named  # in the order the options are stored


def test_a_longer_budget_and_other_placement_options_resume(cli, run):
    args = _with("--iters", "4") + ["--device", "cpu", "--workers", "0", "--val-every", "4", "--val-batch", "4"]
    code, _, err = cli("train", TINY_SPEC, *args, "--out", str(run.parent), "--name", "run", "--resume")
    assert code == 0, err
    assert checkpoint.read(run / RESUME)[1]["step"] == 4 and RunDir(run).status()["status"] == "finished"
    steps = [r["step"] for r in RunDir(run).records() if "it_per_s" in r]
    assert steps == [1, 2, 3, 4]


def test_the_canonical_spec_the_resume_hint_prints_is_the_same_run(cli, run):
    canonical = (run / "spec.txt").read_text().strip()
    assert canonical != TINY_SPEC  # defaults filled in
    code, _, err = cli("train", canonical, *_with("--iters", "3"), "--out", str(run.parent), "--name", "run", "--resume")
    assert code == 0, err


def test_a_run_stopped_before_its_first_checkpoint_is_checked_against_run_json(cli, run):
    for name in ("best.safetensors", "last.safetensors", RESUME):
        (run / name).unlink()
    RunDir(run).set_status("running")
    code, _, err = cli("train", TINY_SPEC, *_with("--lr", "0.002"), "--out", str(run.parent), "--name", "run", "--resume")
    err = flat(err)
    assert code == 2 and f"cannot resume {run} with other options than it was started with ({run / 'run.json'})" in err, err
    assert "--lr 0.001 then, 0.002 now" in err
    code, _, err = cli("train", TINY_SPEC, *OPTIONS, "--out", str(run.parent), "--name", "run", "--resume")
    assert code == 0 and "starting it again from step 0" in flat(err), err


def test_resume_where_nothing_was_started_starts_the_run_and_says_so(cli, tmp_path):
    code, _, err = cli("train", TINY_SPEC, *OPTIONS, "--out", str(tmp_path), "--name", "new", "--resume")
    assert code == 0, err
    assert f"nothing to resume in {tmp_path / 'new'}: no run had started there; starting it from step 0" in flat(err)
    assert RunDir(tmp_path / "new").status()["status"] == "finished"
