"""``srzoo ablate --executor local|slurm``: one job per run through submitit (``pip install 'srzoo[cluster]'``).

``slurm`` submits the runs still to do as one Slurm job array (``--partition``, ``--time-limit``,
``--gpus``, ``--cpus``, ``--array-parallelism``) and returns; ``local`` runs them as submitit's
local jobs on this machine (``--array-parallelism`` at a time, each with its own GPUs when there
are any) and waits for them, like an in-process ablation. Every submission is recorded in
``<out>/jobs.json`` (run, job id, how it started, when); submitit's own files (pickles, logs)
go in ``<out>/submitit/<job id>/``.

A rerun plans as always (finished runs are skipped, stopped ones resume, failed and missing ones
start) and submits only the runs that are neither finished nor still queued or running — a run
counts as active while its folder is locked by a training process, or (Slurm) while ``sacct``
reports its last job pending or running. A job is idempotent: it takes the run folder's lock,
reads the run's state again and trains only what is left (a duplicate finds the run finished or
busy and ends), so a job submitted twice costs a few seconds, never a second training.

Near its time limit Slurm signals a job (submitit's ``USR2``, 90 s ahead): the run then stops at
the end of its step and saves its state, like Ctrl-C; rerunning the same ``srzoo ablate`` command
resubmits it and it resumes.
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from srzoo_core.errors import SrzooError, UsageError
from srzoo_core.experiments.ablation import (DONE, RESTART, RESUME_RUN, Ablation, AblationInterrupted, Outcome, PlannedRun,
                                             existing_state, train_in_process)
from srzoo_core.files import write_text_atomic
from srzoo_core.training.config import parse_duration
from srzoo_core.training.rundir import RunDir, RunLock, RunLocked

EXECUTORS = ("local", "slurm")
JOBS_FILE = "jobs.json"
SUBMITIT_FOLDER = "submitit"
EXTRA_HINT = "pip install 'srzoo[cluster]' -c constraints.txt (in a checkout: pip install -c constraints.txt -e '.[cluster]')"
# Slurm states of a job that will still run (or is running): its run is not resubmitted.
ACTIVE = {"PENDING", "RUNNING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING", "COMPLETING", "RESIZING",
          "SUSPENDED", "SIGNALING", "STAGE_OUT", "PREEMPTED"}
LOCAL_UNLIMITED_MIN = 60 * 24 * 365  # submitit's local jobs need a timeout; "none given" means none


@dataclass
class ClusterOptions:
    executor: str
    partition: str | None = None
    time_limit: str | None = None
    gpus: int | None = None
    cpus: int | None = None
    array_parallelism: int | None = None

    def validate(self) -> "ClusterOptions":
        if self.executor not in EXECUTORS:
            raise UsageError(f"--executor must be one of {', '.join(EXECUTORS)}, not {self.executor!r}",
                             hint="local runs submitit's jobs on this machine; slurm submits a job array")
        for name in ("partition", "cpus"):
            if getattr(self, name) is not None and self.executor != "slurm":
                raise UsageError(f"--{name} is for --executor slurm")
        if self.executor == "slurm" and self.time_limit is None:
            raise UsageError("--executor slurm needs --time-limit, the longest one run may take (e.g. 2h, 90m)",
                             hint="a run stopped at its limit saves its state; rerunning the command resumes it")
        for name, least in (("gpus", 0), ("cpus", 1), ("array_parallelism", 1)):
            value = getattr(self, name)
            if value is not None and value < least:
                raise UsageError(f"--{name.replace('_', '-')} must be at least {least}, not {value}")
        self.minutes()
        return self

    def minutes(self) -> int | None:
        if self.time_limit is None:
            return None
        try:
            return max(1, math.ceil(parse_duration(self.time_limit) / 60))
        except UsageError:
            raise UsageError(f"--time-limit {self.time_limit!r} is not a duration", hint="write e.g. 90m, 2h, 1h30m") from None


CLUSTER_FLAGS = ("executor", "partition", "time_limit", "gpus", "cpus", "array_parallelism")


def cluster_options(flags: dict[str, Any]) -> ClusterOptions | None:
    """The ``srzoo ablate`` flags for an executor (None without ``--executor``), checked, with submitit at hand."""
    given = {k: flags.get(k) for k in CLUSTER_FLAGS}
    if given["executor"] is None:
        stray = [f"--{k.replace('_', '-')}" for k, v in given.items() if v is not None]
        if stray:
            raise UsageError(f"{', '.join(stray)} need{'s' if len(stray) == 1 else ''} --executor local or slurm",
                             hint="add --executor slurm (or local)")
        return None
    for other in ("print_commands", "fail_fast"):
        if flags.get(other):
            raise UsageError(f"--{other.replace('_', '-')} is for ablations trained in this process, not with --executor")
    options = ClusterOptions(**given).validate()
    require_submitit()
    return options


def require_submitit() -> Any:
    try:
        import submitit
    except ImportError:
        raise UsageError("--executor needs the 'submitit' package, which is not installed", hint=EXTRA_HINT) from None
    return submitit


# -- the job ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobArm:
    """What a job needs of an arm (an :class:`Arm` holds resolved components, which need not pickle)."""

    name: str
    spec: str


class TrainJob:
    """What a job runs: one run of the ablation, trained (or resumed) under its folder's lock."""

    def __call__(self, run: PlannedRun) -> dict[str, Any]:
        if hasattr(signal, "SIGUSR2"):  # Slurm's warning before the time limit: stop cleanly, like SIGTERM
            signal.signal(signal.SIGUSR2, lambda signum, frame: signal.raise_signal(signal.SIGTERM))
        try:
            lock = RunLock.acquire(run.path)
        except RunLocked as busy:
            return {"status": "skipped", "message": f"another process ({busy.holder}) is training it"}
        try:
            run.state = existing_state(run)
            if run.state == DONE:
                return {"status": "skipped", "message": "already finished", "final": RunDir(run.path).status().get("final") or {}}
            result = train_in_process(run)
            return {"status": "finished", "final": result.get("final", {})}
        except KeyboardInterrupt:
            return {"status": "interrupted", "message": "stopped (signal or time limit); its state is saved, a rerun resumes it"}
        except SrzooError as exc:
            return {"status": "failed", "message": exc.message}
        finally:
            lock.release()


def job_run(run: PlannedRun) -> PlannedRun:
    return PlannedRun(JobArm(run.arm.name, run.arm.spec), run.seed, run.path, run.config, run.state)  # type: ignore[arg-type]


# -- submitting -------------------------------------------------------------------------------


def execute(ablation: Ablation, options: ClusterOptions, announce: Callable[[str], None] = print) -> list[Outcome] | None:
    """Submit the runs left to do; with ``local``, wait for them and return their outcomes (None for slurm)."""
    submitit = require_submitit()
    jobs = JobsFile(ablation.out / JOBS_FILE)
    todo, left = [], []
    for run in ablation.runs:
        if run.state == DONE:
            left.append(Outcome(run, "skipped", "already finished", RunDir(run.path).status().get("final") or {},
                                RunDir(run.path).status().get("elapsed")))
            continue
        busy = _active(run, jobs.last(run.label), options.executor, submitit)
        if busy:
            announce(f"{run.label}: {busy}; not submitted again")
            left.append(Outcome(run, "running", busy))
        else:
            todo.append(run)
    done = sum(r.state == DONE for r in ablation.runs)
    if not todo:
        rest = (", the others still queued or running" if done < len(ablation.runs)
                else f"; next: srzoo report {ablation.out}" if options.executor == "slurm" else "")
        announce(f"nothing to submit: {done} of {len(ablation.runs)} runs finished{rest}")
    folder = ablation.out / SUBMITIT_FOLDER / "%j"
    if options.executor == "slurm":
        if todo:
            _submit_slurm(submitit, folder, f"srzoo-{ablation.out.name}", todo, options, jobs, announce)
            _tidy(folder)
            announce(f"{len(todo)} job(s) submitted; rerun this command to see what is left and resubmit what failed; "
                     f"once all have finished: srzoo report {ablation.out}")
        return None
    try:
        outcomes = left + (_run_local(submitit, folder, todo, options, jobs, announce) if todo else [])
    finally:
        _tidy(folder)
    order = {id(run): i for i, run in enumerate(ablation.runs)}
    return sorted(outcomes, key=lambda o: order[id(o.run)])


def _submit_slurm(submitit: Any, folder: Path, name: str, todo: list[PlannedRun], options: ClusterOptions, jobs: "JobsFile",
                  announce: Callable[[str], None]) -> None:
    try:
        executor = submitit.SlurmExecutor(folder=folder)
    except RuntimeError as exc:  # no srun: not on a Slurm cluster
        raise UsageError(f"--executor slurm: {exc}", hint="run srzoo ablate on a Slurm login node, or use --executor local") from None
    parameters = {"job_name": name[:64], "time": options.minutes(), "partition": options.partition,
                  "gpus_per_node": options.gpus, "cpus_per_task": options.cpus, "array_parallelism": options.array_parallelism}
    executor.update_parameters(**{k: v for k, v in parameters.items() if v is not None})
    with executor.batch():
        submitted = [(run, executor.submit(TrainJob(), job_run(run))) for run in todo]
    for run, job in submitted:
        jobs.add(run, job.job_id, "slurm")
        announce(f"{run.label}: submitted as Slurm job {job.job_id} ({_start(run)})")


def _run_local(submitit: Any, folder: Path, todo: list[PlannedRun], options: ClusterOptions, jobs: "JobsFile",
               announce: Callable[[str], None]) -> list[Outcome]:
    """submitit's local jobs, ``array_parallelism`` at a time, each with ``gpus`` GPUs of its own."""
    free = _visible_gpus()
    per_job = options.gpus if options.gpus is not None else (1 if free else 0)
    if per_job > len(free):
        raise UsageError(f"--gpus {per_job} per run, but this machine shows {len(free)} GPU(s)")
    parallel = options.array_parallelism or (max(1, len(free) // per_job) if per_job else 1)
    if per_job:
        parallel = min(parallel, len(free) // per_job)
    executor = submitit.LocalExecutor(folder=folder)
    waiting, running, outcomes = list(todo), [], []
    try:
        while waiting or running:
            while waiting and len(running) < parallel:
                run = waiting.pop(0)
                gpus, free = free[:per_job], free[per_job:]
                executor.update_parameters(timeout_min=options.minutes() or LOCAL_UNLIMITED_MIN, gpus_per_node=per_job,
                                           visible_gpus=tuple(gpus))
                job = executor.submit(TrainJob(), job_run(run))
                jobs.add(run, job.job_id, "local")
                announce(f"{run.label}: started as local job {job.job_id} ({_start(run)})")
                running.append((run, job, gpus))
            time.sleep(0.5)
            for entry in [e for e in running if e[1].done()]:
                running.remove(entry)
                free += entry[2]
                outcomes.append(_outcome(entry[0], entry[1], announce))
    except KeyboardInterrupt:
        for _, job, _ in running:
            job.cancel(check=False)  # the run saves its state at the end of its step
        for run, job, _ in running:
            job.wait()
            outcomes.append(Outcome(run, "interrupted", "stopped by Ctrl-C; its last state is saved"))
        raise AblationInterrupted(outcomes) from None
    return outcomes


def _outcome(run: PlannedRun, job: Any, announce: Callable[[str], None]) -> Outcome:
    try:
        result = job.result()
    except Exception as exc:  # noqa: BLE001 - the job's own error: its last line says what happened
        lines = [line for line in str(exc).splitlines() if line.strip()]
        result = {"status": "failed", "message": lines[-1] if lines else type(exc).__name__}
    status = result.get("status", "failed")
    announce(f"{run.label}: {status}" + (f": {result['message']}" if result.get("message") else ""))
    if status == "finished":
        run.state = DONE
    return Outcome(run, status, result.get("message", ""), result.get("final") or {}, RunDir(run.path).status().get("elapsed"))


def _tidy(folder: Path) -> None:
    """submitit leaves an empty ``%j`` folder (its pattern, before a job id) behind."""
    try:
        folder.rmdir()
    except OSError:
        pass


def _start(run: PlannedRun) -> str:
    return {RESUME_RUN: "resumes from its checkpoint", RESTART: "starts again: it stopped before its first checkpoint"}.get(run.state, "new")


def _visible_gpus() -> list[int]:
    """This machine's GPUs as CUDA_VISIBLE_DEVICES indices (what submitit's local jobs are given)."""
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    listed = [p.strip() for p in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if p.strip()]
    if listed and all(p.isdigit() for p in listed):
        return [int(p) for p in listed[:count]]
    return list(range(count))


def _active(run: PlannedRun, last: dict[str, Any] | None, executor: str, submitit: Any) -> str | None:
    """Why the run is not to be submitted again (its folder is locked, its last job still queued or running), or None."""
    if run.path.is_dir():
        try:
            RunLock.acquire(run.path).release()
        except RunLocked as busy:
            return f"in training by another process ({busy.holder})"
    if last is None or last.get("executor") != "slurm" or executor != "slurm":
        return None
    watcher = submitit.SlurmJob.watcher
    watcher.register_job(last["job_id"])
    state = (watcher.get_state(last["job_id"], mode="force") or "UNKNOWN").split()[0].upper()
    return f"its job {last['job_id']} is {state.lower()}" if state in ACTIVE else None


class JobsFile:
    """``jobs.json``: every job submitted for the ablation, oldest first (written atomically)."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = json.loads(path.read_text())
        except FileNotFoundError:
            self.data = {"format": 1, "kind": "srzoo-ablation-jobs", "jobs": []}
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read {path}: {exc}", hint="move it away; the run folders say what is done") from None

    def last(self, label: str) -> dict[str, Any] | None:
        return next((j for j in reversed(self.data["jobs"]) if j.get("run") == label), None)

    def add(self, run: PlannedRun, job_id: str, executor: str) -> None:
        self.data["jobs"].append({"run": run.label, "job_id": str(job_id), "executor": executor, "start": run.state,
                                  "submitted": time.strftime("%Y-%m-%dT%H:%M:%S"), "logs": f"{SUBMITIT_FOLDER}/{job_id}"})
        write_text_atomic(self.path, json.dumps(self.data, indent=2) + "\n")
