"""An ablation: arms × seeds, each run in ``<out>/<arm>/seed<k>`` with the same options, so only the
named change differs. Planning checks every arm and every existing run folder before any training;
running is resumable (finished runs are skipped, stopped ones resume, missing ones start).

Ablations on the same ``--out`` share the work: a run is trained while its folder is locked (the
run folder's OS lock, see :mod:`srzoo_core.training.rundir`), a run another process holds is left to
it and visited again at the end (waiting for that process to let it go, then skipped if it
finished, resumed if not), and a run's state is read again under the lock before it is touched.
Nothing is ever deleted: a run stopped before its first checkpoint starts again in place.
"""

from __future__ import annotations

import json
import shlex
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from srzoo_core.errors import SrzooError, UsageError
from srzoo_core.experiments.changes import Arm, Change, expand
from srzoo_core.training.config import TrainConfig, make_config
from srzoo_core.files import write_text_atomic
from srzoo_core.training.rundir import RESUME, RunDir, RunLock, RunLocked

MANIFEST = "ablation.json"
PER_RUN = ("spec", "seed", "out", "name", "resume")   # the options an ablation sets itself, per run
NOT_COMPARED = ("out", "name", "resume", "log")     # may differ between a run folder and the plan
DONE, RESUME_RUN, RESTART, NEW = "finished", "resume", "restart", "new"


@dataclass
class PlannedRun:
    arm: Arm
    seed: int
    path: Path
    config: TrainConfig
    state: str = NEW      # finished | resume | restart | new

    @property
    def label(self) -> str:
        return f"{self.arm.name}/seed{self.seed}"


@dataclass
class Outcome:
    run: PlannedRun
    status: str           # finished | skipped | failed | interrupted
    message: str = ""
    final: dict[str, float] = field(default_factory=dict)
    elapsed: float | None = None


@dataclass
class Ablation:
    base: str
    changes: list[Change]
    arms: list[Arm]
    seeds: int
    factorial: bool
    out: Path
    options: dict[str, Any]
    runs: list[PlannedRun]
    config_file: str | None = None

    def manifest(self) -> dict[str, Any]:
        from srzoo_core.registry.host import core_version

        return {
            "format": 1, "kind": "srzoo-ablation", "srzoo": core_version(), "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "base": self.base, "baseline": self.arms[0].name, "changes": [c.as_dict() for c in self.changes],
            "factorial": self.factorial, "seeds": list(range(self.seeds)),
            "arms": [a.as_dict() for a in self.arms],
            "runs": [{"arm": r.arm.name, "seed": r.seed, "path": f"{r.arm.name}/seed{r.seed}"} for r in self.runs],
            "options": self.options, "config_file": self.config_file,
            "rule": "every arm and seed share these options and data; arms differ only in their changes; seed k drives "
                    "initialisation and training crops, never the data splits",
        }

    def write_manifest(self) -> Path:
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / MANIFEST
        write_text_atomic(path, json.dumps(self.manifest(), indent=2, default=str) + "\n")
        return path

    def pending(self) -> list[PlannedRun]:
        return [r for r in self.runs if r.state != DONE]

    def commands(self, shared_args: list[str], program: str = "srzoo") -> list[str]:
        """One ``srzoo train`` command per run still to do, shell-quoted, for a cluster's job array."""
        lines = []
        for run in self.pending():
            args = [program, "train", run.arm.spec, *shared_args, "--seed", str(run.seed),
                    "--out", str(run.path.parent), "--name", run.path.name]
            if run.state in (RESUME_RUN, RESTART):  # a run with no checkpoint yet starts again in place
                args.append("--resume")
            lines.append(shlex.join(args))
        return lines


# -- planning -------------------------------------------------------------------------------


def plan(base: str, changes: list[Change], *, seeds: int, out: Path, flags: dict[str, Any], config_file: Path | None = None,
         factorial: bool = False, host: Any = None) -> Ablation:
    """Every arm resolved, every run's config made and validated, every existing folder checked."""
    if seeds < 1:
        raise UsageError(f"--seeds must be at least 1, not {seeds}", hint="use 3 or more seeds to tell a change from seed noise")
    given = sorted(k for k in PER_RUN if flags.get(k) is not None)
    if given:
        raise UsageError(f"an ablation sets {', '.join(given)} per run itself", hint="use --seeds N and --out DIR")
    arms = expand(base, changes, factorial, host)
    out = Path(out)
    runs = []
    for seed in range(seeds):  # seed-major: an interrupted ablation has whole comparisons first
        for arm in arms:
            path = out / arm.name / f"seed{seed}"
            config = make_config(config_file, {**flags, "spec": arm.spec, "seed": seed, "out": str(path.parent), "name": path.name, "resume": False})
            runs.append(PlannedRun(arm, seed, path, config))
    options = {k: v for k, v in runs[0].config.as_dict().items() if k not in PER_RUN}
    ablation = Ablation(arms[0].spec, list(changes), arms, seeds, factorial, out, options, runs,
                        str(config_file) if config_file else None)
    for run in runs:
        run.state = existing_state(run)
    return ablation


def existing_state(run: PlannedRun) -> str:
    folder = RunDir(run.path)
    found = folder.existing_spec()
    if found is None:
        return NEW
    if folder.description() is None:
        raise UsageError(f"{run.path} holds a run of another spec or of an older srzoo ({found}), not recognisably "
                         f"arm {run.arm.name!r}", hint="use another --out, or move that folder away")
    if not same_model(run.arm.spec, folder):
        raise UsageError(f"{run.path} holds a run of another spec ({found}), not arm {run.arm.name!r} ({run.arm.spec})",
                         hint="use another --out, or move that folder away")
    differences = config_differences(run.config, run.path / "config.yaml")
    if differences:
        raise UsageError(f"{run.path} was trained with other options ({'; '.join(differences)})",
                         hint="an ablation's runs must share every option: rerun with the same options, or use another --out")
    if folder.status().get("status") == "finished":
        return DONE
    return RESUME_RUN if (run.path / RESUME).is_file() else RESTART


def same_model(planned: str, folder: RunDir) -> bool:
    """The run in ``folder`` was trained from the arm's spec (as the ablation wrote it)."""
    description = folder.description()
    if description is None:
        raise UsageError(f"{folder.path} was written by an older srzoo and holds no run description",
                         hint="use another --out, or move that folder away")
    return description.training.get("spec") == planned


def config_differences(config: TrainConfig, file: Path) -> list[str]:
    import yaml

    if not file.is_file():
        return []
    written = yaml.safe_load(file.read_text()) or {}
    expected = yaml.safe_load(yaml.safe_dump(config.as_dict(), sort_keys=False))
    keys = [k for k in expected if k not in (*NOT_COMPARED, "spec")]
    return [f"{k}: {written.get(k)!r} there, {expected[k]!r} now" for k in keys if written.get(k) != expected[k]]


# -- running --------------------------------------------------------------------------------


def run_all(ablation: Ablation, *, fail_fast: bool = False, announce: Callable[[str], None] = print,
            train: Callable[[PlannedRun], dict[str, Any]] | None = None) -> list[Outcome]:
    """Train every pending run in this process. A run that fails in training is recorded and the
    rest go on (or, with ``fail_fast``, stop); a usage error (bad data path, options) stops the
    ablation at once, since every run would hit it; Ctrl-C stops after the run has saved its state.
    A run another process is training is left to it and visited again after the others."""
    train = train or train_in_process
    outcomes: list[Outcome] = []
    total = len(ablation.runs)
    later: list[tuple[str, PlannedRun]] = []
    try:
        for index, run in enumerate(ablation.runs, 1):
            head = f"[{index}/{total}] {run.label}"
            try:
                lock = RunLock.acquire(run.path)
            except RunLocked as busy:
                announce(f"{head}: another process ({busy.holder}) is training it; coming back to it later")
                later.append((head, run))
                continue
            outcomes.append(_run_locked(run, head, lock, train, announce, outcomes))
            if outcomes[-1].status == "failed" and fail_fast:
                return outcomes
        for head, run in later:
            announce(f"{head}: waiting for the other process to let it go")
            lock = RunLock.acquire(run.path, wait=True)
            outcomes.append(_run_locked(run, head, lock, train, announce, outcomes, elsewhere=True))
            if outcomes[-1].status == "failed" and fail_fast:
                break
    except KeyboardInterrupt:
        raise AblationInterrupted(outcomes) from None
    order = {id(run): i for i, run in enumerate(ablation.runs)}
    return sorted(outcomes, key=lambda o: order[id(o.run)])


def _run_locked(run: PlannedRun, head: str, lock: RunLock, train: Callable[[PlannedRun], dict[str, Any]],
                announce: Callable[[str], None], done: list[Outcome], elsewhere: bool = False) -> Outcome:
    """One run whose folder this process holds: its state read again (another process may have
    moved it on since the plan), then skipped, resumed, restarted or started."""
    try:
        run.state = existing_state(run)
        if run.state == DONE:
            note = "finished by another process" if elsewhere else "already finished"
            announce(f"{head}: {note}, skipped")
            return Outcome(run, "skipped", note, _final(run.path), RunDir(run.path).status().get("elapsed"))
        announce(f"{head}: {'resuming' if run.state == RESUME_RUN else 'training'} {run.arm.spec} (seed {run.seed})")
        try:
            result = train(run)
        except KeyboardInterrupt:
            raise AblationInterrupted([*done, Outcome(run, "interrupted", "stopped by Ctrl-C; its last state is saved")]) from None
        except UsageError:  # bad input (data path, options): every other run would fail the same way
            announce(f"{head}: stopped the ablation")
            raise
        except Exception as exc:  # noqa: BLE001 - one run's failure must not hide the others
            message = exc.message if isinstance(exc, SrzooError) else f"{type(exc).__name__}: {exc}"
            _mark_failed(run, message, exc)
            announce(f"{head}: failed: {message}")
            return Outcome(run, "failed", message)
        run.state = DONE
        return Outcome(run, "finished", "", result.get("final", {}), RunDir(run.path).status().get("elapsed"))
    finally:
        lock.release()


class AblationInterrupted(Exception):
    def __init__(self, outcomes: list[Outcome]):
        super().__init__("interrupted")
        self.outcomes = outcomes


def train_in_process(run: PlannedRun) -> dict[str, Any]:
    from srzoo_core.training.trainer import Trainer

    config = run.config
    # Stopped before its first checkpoint (RESTART): resumed, that starts again from step 0 in place
    # (never deleted: another ablation on the same --out may be looking at it).
    config.resume = run.state in (RESUME_RUN, RESTART)
    trainer = Trainer(config)
    try:
        return trainer.setup().run()
    finally:
        trainer.dist.close()


def _mark_failed(run: PlannedRun, message: str, exc: BaseException) -> None:
    folder = RunDir(run.path)
    if not (run.path / "run.json").is_file():
        return
    if folder.status().get("status") in ("running", "failed"):
        folder.set_status("failed", reason=message)
    if not isinstance(exc, SrzooError):
        write_text_atomic(run.path / "failure.txt", "".join(traceback.format_exception(exc)))


def _final(path: Path) -> dict[str, float]:
    return RunDir(path).status().get("final") or {}
