"""`srzoo ablate` end to end (one real, tiny ablation shared by these tests) and its planning checks."""

from __future__ import annotations

import json
import shlex

import pytest

from srzoo_core.errors import UsageError
from srzoo_core.experiments import ablation
from srzoo_core.experiments.changes import parse_add
from tests.experiments.conftest import TINY, call


def test_interrupt_stops_the_ablation_and_keeps_the_finished_run(ablation_story):
    first = ablation_story["passes"][0]
    assert first["code"] == 130
    assert first["trained"] == [("baseline/seed0", "new"), ("+se/seed0", "new")]
    assert first["statuses"] == {"baseline/seed0": ("finished", 3), "+se/seed0": ("interrupted", 1)}
    assert "run the same command again to resume" in first["out"]


def test_print_commands_lists_only_what_is_left(ablation_story):
    printed = ablation_story["commands"]
    assert printed["code"] == 0
    lines = printed["out"].strip().splitlines()
    assert len(lines) == 3  # baseline/seed0 is finished
    parsed = [shlex.split(line) for line in lines]
    out = ablation_story["out"]
    by_run = {(args[args.index("--out") + 1], args[args.index("--name") + 1]): args for args in parsed}
    assert set(by_run) == {(str(out / "+se"), "seed0"), (str(out / "baseline"), "seed1"), (str(out / "+se"), "seed1")}
    resumed = by_run[(str(out / "+se"), "seed0")]
    assert resumed[:3] == ["srzoo", "train", "gen=srresnet(blocks=1,features=8)+se loss=l1"] and "--resume" in resumed
    fresh = by_run[(str(out / "baseline"), "seed1")]
    assert "--resume" not in fresh and fresh[fresh.index("--seed") + 1] == "1"
    for option in ("--data", "synthetic-grid:12", "--iters", "3", "--precision", "fp32"):
        assert option in fresh
    assert "2 of 4 runs to do" not in printed["err"] and "3 of 4 runs to do" in printed["err"]


def test_rerun_resumes_the_interrupted_run_and_reports_a_failure_without_stopping(ablation_story):
    second = ablation_story["passes"][1]
    assert second["code"] == 1
    assert second["trained"] == [("+se/seed0", "resume"), ("baseline/seed1", "new"), ("+se/seed1", "new")]
    assert second["statuses"]["+se/seed0"] == ("finished", 3)
    assert second["statuses"]["+se/seed1"] == ("finished", 3)
    assert second["statuses"]["baseline/seed1"][0] == "failed"
    assert "RuntimeError: injected failure" in second["err"] and "1 run(s) failed" in second["out"]


def test_resumed_run_continues_its_log(ablation_story):
    records = [json.loads(line) for line in (ablation_story["out"] / "+se" / "seed0" / "metrics.jsonl").read_text().splitlines()]
    assert sorted({r["step"] for r in records if "loss/l1" in r}) == [1, 2, 3]


def test_third_pass_trains_only_what_is_missing(ablation_story):
    third = ablation_story["passes"][2]
    assert third["code"] == 0, third["out"] + third["err"]
    assert third["trained"] == [("baseline/seed1", "restart")]
    assert set(third["statuses"].values()) == {("finished", 3)}
    out = ablation_story["out"]
    assert (out / "baseline" / "seed0" / "run.json").read_text() == ablation_story["first_baseline"]  # skipped, untouched
    assert "all 4 runs finished" in third["out"]


def test_manifest_describes_arms_seeds_and_shared_options(ablation_story):
    manifest = json.loads((ablation_story["out"] / "ablation.json").read_text())
    assert manifest["base"] == TINY and manifest["baseline"] == "baseline" and manifest["seeds"] == [0, 1]
    assert [(a["name"], a["spec"]) for a in manifest["arms"]] == [("baseline", TINY), ("+se", "gen=srresnet(blocks=1,features=8)+se loss=l1")]
    assert manifest["changes"] == [{"kind": "add", "role": "gen", "text": "gen:se", "label": "se"}]
    assert manifest["options"]["iters"] == 3 and manifest["options"]["data"] == "synthetic-grid:12"
    assert "seed" not in manifest["options"] and "spec" not in manifest["options"]
    assert {r["path"] for r in manifest["runs"]} == {"baseline/seed0", "baseline/seed1", "+se/seed0", "+se/seed1"}


def test_arms_differ_only_in_the_change(ablation_story):
    import yaml

    out = ablation_story["out"]
    configs = {p.parent.relative_to(out).as_posix(): yaml.safe_load(p.read_text()) for p in out.glob("*/seed*/config.yaml")}
    assert len(configs) == 4
    shared = [{k: v for k, v in c.items() if k not in ("spec", "seed", "out", "name", "resume")} for c in configs.values()]
    assert all(s == shared[0] for s in shared)
    assert {c["seed"] for c in configs.values()} == {0, 1}


def test_rerun_with_other_options_is_refused(ablation_story):
    command = list(ablation_story["command"])
    command[command.index("--iters") + 1] = "4"
    result = call(*command)
    assert result["code"] == 2
    assert "was trained with other options (iters: 3 there, 4 now)" in result["err"]


def test_plan_refuses_a_folder_holding_another_spec(tmp_path):
    run = tmp_path / "baseline" / "seed0"
    run.mkdir(parents=True)
    (run / "spec.txt").write_text("gen=srresnet(blocks=2,features=8) loss=l1\n")
    with pytest.raises(UsageError, match="holds a run of another spec"):
        ablation.plan(TINY, [parse_add("gen:se")], seeds=1, out=tmp_path, flags={"data": "synthetic-grid:12"})


def test_plan_expands_seed_major_with_stable_folders(tmp_path):
    plan = ablation.plan(TINY, [parse_add("gen:se"), parse_add("gen:multiscale")], seeds=2, out=tmp_path, flags={"iters": 3})
    assert [r.label for r in plan.runs[:4]] == ["baseline/seed0", "+se/seed0", "+multiscale/seed0", "+se+multiscale/seed0"]
    assert plan.runs[5].path == tmp_path / "+se" / "seed1"
    assert all(r.state == "new" for r in plan.runs)
    assert {r.config.iters for r in plan.runs} == {3}


def test_ablate_validates_seeds_and_options(cli, tmp_path):
    code, _, err = cli("ablate", TINY, "--add", "gen:se", "--seeds", "0", "--out", str(tmp_path))
    assert code == 2 and "--seeds must be at least 1" in err
    code, _, err = cli("ablate", TINY, "--add", "gen:se", "--iters", "0", "--out", str(tmp_path))
    assert code == 2 and "--iters must be at least 1" in err
    code, _, err = cli("ablate", TINY, "--out", str(tmp_path))
    assert code == 2 and "needs at least one change" in err


def test_same_model_compares_the_arm_spec_the_ablation_wrote(tmp_path):
    from srzoo_core.training.rundir import RunDir

    folder = RunDir(tmp_path / "run")
    folder.start("gen=srresnet loss=l1", {}, {}, True, description=_description("gen=srresnet"))
    assert ablation.same_model("gen=srresnet", folder)
    assert not ablation.same_model("gen=srresnet+se", folder)
    bare = RunDir(tmp_path / "old")
    bare.start("gen=srresnet loss=l1", {}, {}, True)
    with pytest.raises(UsageError, match="written by an older srzoo"):
        ablation.same_model("gen=srresnet", bare)


def _description(spec: str) -> dict:
    from srzoo_core.training.description import Channel, RunDescription

    return RunDescription({"gen": "srresnet", "loss": "l1"}, [], 4, [Channel("R")], "photo", training={"spec": spec}).to_dict()


def test_print_commands_quotes_every_option(tmp_path):
    plan = ablation.plan(TINY, [parse_add("gen:se(reduction=4)")], seeds=1, out=tmp_path / "my runs", flags={"iters": 3})
    lines = plan.commands(["--data", "my data/x.npy", "--iters", "3"])
    assert len(lines) == 2
    args = shlex.split(lines[1])
    assert args[2] == "gen=srresnet(blocks=1,features=8)+se(reduction=4) loss=l1"
    assert args[args.index("--data") + 1] == "my data/x.npy"
    assert args[args.index("--out") + 1] == str(tmp_path / "my runs" / "+se.reduction=4")


def test_train_args_round_trip_flags():
    from srzoo_core.cli.experiments import train_args

    args = train_args({"data": "synthetic-grid", "augment": False, "deterministic": True, "lr": 0.0001, "spec": "x", "seed": 3, "iters": None})
    assert args == ["--data", "synthetic-grid", "--no-augment", "--lr", "0.0001", "--deterministic"]  # in train's order


def test_option_list_follows_train():
    import inspect

    from srzoo_core.cli.experiments import ablate
    from srzoo_core.cli.train import train

    ablate_params = set(inspect.signature(ablate).parameters)
    train_params = set(inspect.signature(train).parameters)
    assert train_params - ablate_params == {"spec", "seed", "name", "resume"}  # ablate has its own --out
    assert {"add", "swap", "factorial", "seeds", "print_commands", "config", "data", "val_every", "lr_disc"} <= ablate_params


def test_a_usage_error_stops_the_ablation_at_once(cli, tmp_path):
    code, _, err = cli("ablate", TINY, "--add", "gen:se", "--seeds", "2", "--out", str(tmp_path / "abl"),
                       "--data", str(tmp_path / "missing.npy"), "--iters", "1")
    assert code == 2 and "[1/4] baseline/seed0: stopped the ablation" in err
    assert "missing.npy" in err and "[2/4]" not in err


def test_bad_base_spec(cli, tmp_path):
    code, _, err = cli("ablate", "gen=srresnett loss=l1", "--add", "gen:se")
    assert code == 2 and "error: base spec: unknown generator 'srresnett'" in err
