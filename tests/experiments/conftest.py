"""Helpers for the experiments tests: the CLI in-process (with the experiments commands attached)
and one small real ablation, trained once per session and shared by the report tests."""

from __future__ import annotations

import pytest

from srzoo_core.cli.app import main

TINY = "gen=srresnet(blocks=1,features=8) loss=l1"
TRAIN = ["--data", "synthetic-grid:12", "--iters", "3", "--val-every", "3", "--batch", "2", "--precision", "fp32"]


def call(*args: str) -> dict:
    """Run the CLI in-process, capturing what it prints (rich consoles follow sys.stdout/stderr)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    return {"code": code, "out": out.getvalue(), "err": err.getvalue()}


def statuses(out) -> dict[str, tuple]:
    import json

    found = {}
    for arm in ("baseline", "+se"):
        for seed in (0, 1):
            file = out / arm / f"seed{seed}" / "run.json"
            if file.is_file():
                status = json.loads(file.read_text())
                found[f"{arm}/seed{seed}"] = (status["status"], status.get("step"))
    return found


@pytest.fixture(scope="session")
def ablation_story(tmp_path_factory):
    """A real 2-arm × 2-seed ablation (3 steps per run) taken through three passes:
    1. ``+se/seed0`` is interrupted (Ctrl-C) at its second step: the ablation stops;
    2. rerun: ``+se/seed0`` resumes, ``baseline/seed1`` fails (an injected error), the others go on;
    3. rerun: only ``baseline/seed1`` is trained.
    Returns what each pass printed, trained and left on disk."""
    from srzoo_core.experiments import ablation
    from srzoo_core.training.steps import StepRunner

    out = tmp_path_factory.mktemp("ablation") / "abl"
    command = ["ablate", TINY, "--add", "gen:se", "--seeds", "2", "--out", str(out), *TRAIN]
    real_train, real_step = ablation.train_in_process, StepRunner.step
    current: dict = {"label": None, "steps": 0}
    faults: dict = {}
    trained: list = []

    def spy(run):
        trained.append((run.label, run.state))
        current.update(label=run.label, steps=0)
        return real_train(run)

    def step(self, *args, **kwargs):
        current["steps"] += 1
        fault = faults.get(current["label"])
        if fault and current["steps"] == fault[0]:
            raise fault[1]
        return real_step(self, *args, **kwargs)

    story: dict = {"out": out, "command": command, "passes": []}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ablation, "train_in_process", spy)
        patch.setattr(StepRunner, "step", step)
        for pass_faults in ({"+se/seed0": (2, KeyboardInterrupt())}, {"baseline/seed1": (1, RuntimeError("injected failure"))}, {}):
            faults.clear()
            faults.update(pass_faults)
            trained.clear()
            result = call(*command)
            result.update(trained=list(trained), statuses=statuses(out))
            if not story["passes"]:
                story["commands"] = call(*command, "--print-commands")
                story["first_baseline"] = (out / "baseline" / "seed0" / "run.json").read_text()
            story["passes"].append(result)
    return story
