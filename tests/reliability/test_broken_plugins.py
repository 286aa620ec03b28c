"""The broken-plugin matrix, from the command line: for each way a plugin can be broken (or
switched off), installed as a real distribution next to the standard plugins and a good fake,

- every other plugin works (``srzoo list``, ``srzoo plugins``),
- ``srzoo plugins --json`` shows the broken one's status and message,
- strict mode fails, naming it (a plugin the user disabled is not broken: strict mode passes),
- ``srzoo train`` of a spec without its components trains, and one naming its component fails
  with one message naming the plugin and why it is not loaded.

tests/test_plugin_host.py checks the host's records in-process; this adds the CLI and training.
Each case is one subprocess (tests/reliability/plugin_driver.py runs every command in one Python
process); the cases run two at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import fakes
from tests.reliability.common import TINY_ARGS, TINY_SPEC, clean_env, error_count, flat

DRIVER = Path(__file__).with_name("plugin_driver.py")
STANDARD = ["blocks", "cgan", "losses", "metrics", "perceptual", "srgan"]

TYPO = fakes.FakeDist("fake-typo", fakes.HEADER + '''
@hookimpl
def srzoo_register_losses(register):
    register("typoloss", lambda: None)

@hookimpl
def srzoo_register_loss(register):  # misspelt: the whole plugin is refused, not half of it
    register("typoloss2", lambda: None)
''')
OLD_CORE = fakes.FakeDist("fake-oldcore", 'raise AssertionError("fake-oldcore must not be imported")\n', requires=("srzoo<0.1",))
# Registers one name twice itself (a name another plugin has is no error: see test_names_and_limits.py).
TWICE = fakes.FakeDist("fake-twice", fakes.HEADER + '''
@hookimpl
def srzoo_register_losses(register):
    register("twicefine", lambda: None)
    register("twice", lambda: None)
    register("Twice", lambda: None)
''')
SWITCHED_OFF = fakes.FakeDist("fake-off", fakes.HEADER + '''
@hookimpl
def srzoo_register_generators(register):
    register("offgen", "fake_good_impl:make", scales=(2,))
''')


@dataclass
class Case:
    dists: tuple[fakes.FakeDist, ...]
    record: str  # the broken plugin's key in `srzoo plugins`
    error: str  # its message (exact)
    spec: str  # a spec that needs its component
    component: tuple[str, str]  # (name, kind), as the catalogue would know it
    status: str = "error"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def dist(self) -> str:
        return next(d.name for d in self.dists if self.record in (d.entry_name, f"{d.entry_name}@{d.name}"))


CORE = fakes.CORE
CASES = {
    "import-error": Case((fakes.IMPORT_ERROR,), "importerror", fakes.EXPECTED_ERRORS["importerror"],
                         "gen=fakeimp loss=l1", ("fakeimp", "gen")),
    "raises-in-hook": Case((fakes.RAISES,), "raises", fakes.EXPECTED_ERRORS["raises"],
                           f"{TINY_SPEC.replace('loss=l1', 'loss=fakeraises')}", ("fakeraises", "loss")),
    "unknown-hook": Case((TYPO,), "typo", "implements unknown hook 'srzoo_register_loss' (did you mean 'srzoo_register_losses'?)",
                         f"{TINY_SPEC}+typoloss", ("typoloss", "loss")),
    "unknown-hook-argument": Case((fakes.BAD_ARGUMENT,), "badarg", fakes.EXPECTED_ERRORS["badarg"], "gen=badarg loss=l1", ("badarg", "gen")),
    "entry-point-clash": Case((fakes.DUPE_A, fakes.DUPE_B), "dupe@fake-dupe-b", fakes.EXPECTED_ERRORS["dupe@fake-dupe-b"],
                              f"{TINY_SPEC} metric=dupe_b", ("dupe_b", "metric")),
    "duplicate-name": Case((TWICE,), "twice", "fake-twice 1.0 registers loss 'twice' twice (none of its components were registered)",
                           f"{TINY_SPEC}+twicefine", ("twicefine", "loss")),
    "core-too-new": Case((OLD_CORE,), "oldcore", f"requires srzoo<0.1 but srzoo {CORE} is installed", "gen=oldgen loss=l1", ("oldgen", "gen")),
    "disabled": Case((SWITCHED_OFF,), "off", "disabled by SRZOO_DISABLED_PLUGINS", "gen=offgen loss=l1", ("offgen", "gen"),
                     status="disabled", env={"SRZOO_DISABLED_PLUGINS": "fake-off"}),
}


def run_case(name: str, case: Case, root: Path) -> dict:
    site = fakes.install(root / "site", (fakes.GOOD, *case.dists))
    runs = root / "runs"
    train = ["train", *TINY_ARGS, "--iters", "1", "--precision", "fp32", "--out", str(runs)]
    config = {
        "out": str(root / "results.json"),
        "catalogue": {case.component[0]: {case.component[1]: case.dist}},
        "commands": {
            "list": ["list", "--json"], "plugins": ["plugins", "--json"], "strict": ["--strict-plugins", "list"],
            "train_ok": [*train[:1], TINY_SPEC, *train[1:], "--name", "ok"],
            "train_broken": [*train[:1], case.spec, *train[1:], "--name", "broken"],
        },
    }
    (root / "case.json").write_text(json.dumps(config))
    env = clean_env()
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")])), **case.env}
    done = subprocess.run([sys.executable, str(DRIVER), str(root / "case.json")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{name}: the driver failed\n{done.stderr[-3000:]}"
    return {**json.loads((root / "results.json").read_text()), "runs": runs}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    roots = {name: tmp_path_factory.mktemp(name) for name in CASES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_case, name, case, roots[name]) for name, case in CASES.items()}
    return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_a_broken_plugin_is_shown_and_the_others_keep_working(results, name):
    case, got = CASES[name], results[name]
    assert got["plugins"]["code"] == 0 and got["list"]["code"] == 0, got["plugins"]["err"] + got["list"]["err"]
    records = {r["name"] if "@" not in case.record or r["dist"] != case.dist else case.record: r
               for r in json.loads(got["plugins"]["out"])}
    broken = records.pop(case.record)
    assert (broken["status"], broken["error"], broken["components"]) == (case.status, case.error, [])
    assert {n: r["status"] for n, r in records.items()} == {n: "ok" for n in records}
    assert set(STANDARD + ["good"]) <= set(records)
    listed = {(c["name"], c["kind"]): c["dist"] for c in json.loads(got["list"]["out"])}
    assert listed[("fakegen", "gen")] == "fake-good" and listed[("srresnet", "gen")] == "srzoo-srgan"
    assert listed[("se", "block")] == "srzoo-blocks" and listed[("l1", "loss")] == "srzoo-losses"
    assert not any(dist == case.dist for dist in listed.values())
    assert not [m for m in got["modules"] if m.startswith(("fake_oldcore", "fake_off"))]  # never imported


@pytest.mark.parametrize("name", list(CASES))
def test_strict_mode_fails_on_a_broken_plugin_but_not_on_a_disabled_one(results, name):
    case, strict = CASES[name], results[name]["strict"]
    if case.status == "disabled":
        assert strict["code"] == 0, strict["err"]
        return
    assert strict["code"] == 1 and "error: strict mode: 1 plugin problem(s)" in strict["err"]
    assert f"{case.record.split('@')[0]} ({case.dist} 1.0): {case.error}" in flat(strict["err"])
    assert "Traceback" not in strict["err"]


@pytest.mark.parametrize("name", list(CASES))
def test_training_fails_only_when_it_needs_the_broken_plugin(results, name):
    case, got = CASES[name], results[name]
    ok = got["train_ok"]
    assert ok["code"] == 0, ok["err"][-2000:]
    assert json.loads((got["runs"] / "ok" / "run.json").read_text())["status"] == "finished"
    broken = got["train_broken"]
    assert broken["code"] == 2, broken["err"][-2000:]
    component = case.component[0]
    why = "is not loaded (disabled by SRZOO_DISABLED_PLUGINS)" if case.status == "disabled" else f"failed to load: {case.error}"
    assert f"error: {component!r} is provided by {case.dist}, which {why}" in flat(broken["err"])
    assert error_count(broken["err"]) == 1 and "Traceback" not in broken["err"]
    assert not (got["runs"] / "broken").exists()
