"""The run directory: what a run was (spec, options, versions), what it measured, its state.

``run.json`` says whether the run is ``running``, ``finished``, ``interrupted`` or ``failed``, so a
half-written directory never looks complete.

A run folder belongs to one process at a time: :class:`RunLock` holds an OS lock (``flock``) on
``.srzoo.lock`` inside it for the whole run. The OS drops the lock when the process ends, however it
ends (``kill -9`` included), so a lock is never stale; a second process asking for the folder gets
an error naming the holder's pid. Within one process the lock is re-entrant (an ablation holds a
run's folder while its trainer takes it again).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from srzoo_core.errors import UsageError
from srzoo_core.files import atomic_output, write_text_atomic

try:
    import fcntl
except ImportError:  # not POSIX (Windows): folders are not locked
    fcntl = None  # type: ignore[assignment]

SPEC_FILE = "spec.txt"
STATUS_FILE = "run.json"
LAST = "last.safetensors"
BEST = "best.safetensors"
RESUME = "last.resume.safetensors"
LOCK_FILE = ".srzoo.lock"


class RunLocked(UsageError):
    """The run folder is held by another process (``holder``: "pid N")."""

    def __init__(self, folder: Path, holder: str):
        super().__init__(f"run folder {folder} is in use by another srzoo process ({holder})",
                         hint="wait for that run to end, or choose another --name (or --out)")
        self.holder = holder


def check_run_name(name: str) -> str:
    """``--name`` is one folder inside ``--out``: never a path that leads elsewhere."""
    text = str(name)
    if not text.strip() or text in (".", "..") or "/" in text or (os.sep in text) or (os.altsep and os.altsep in text) or "\0" in text:
        raise UsageError(f"--name {text!r} must be a plain folder name (no '/', not '.' or '..')",
                         hint="--out chooses where run folders go; --name is the folder's name inside it")
    return text


class RunLock:
    """An exclusive OS lock on a run folder (see the module's docstring). ``acquire`` creates the
    folder if needed; the last ``release`` removes the lock file, and the folder too if ``acquire``
    created it and nothing else was written there (a run that never started leaves nothing)."""

    _held: dict[str, "RunLock"] = {}

    def __init__(self, folder: Path, key: str, fd: int | None, created: bool):
        self.folder, self.key, self.fd, self.created, self.count = folder, key, fd, created, 1

    @classmethod
    def acquire(cls, folder: Path, wait: bool = False) -> "RunLock":
        folder = Path(folder)
        created = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(folder)
        held = cls._held.get(key)
        if held is not None:
            held.count += 1
            return held
        lock = cls(folder, key, _lock_file(folder, wait) if fcntl is not None else None, created)
        cls._held[key] = lock
        return lock

    def release(self) -> None:
        if self.count <= 0:
            return
        self.count -= 1
        if self.count:
            return
        self._held.pop(self.key, None)
        if self.fd is None:
            return
        try:  # unlinked while still held: a process waiting on this inode sees it gone and retries
            (self.folder / LOCK_FILE).unlink(missing_ok=True)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None
        if self.created:
            try:
                self.folder.rmdir()  # only succeeds when empty
            except OSError:
                pass


def _lock_file(folder: Path, wait: bool) -> int:
    path = folder / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise RunLocked(folder, holder) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.path.samestat(os.stat(path), os.fstat(fd))
        except FileNotFoundError:
            same = False
        if same:  # one fixed-width write: a reader sees the old pid or the new one, never a mix
            os.pwrite(fd, f"{os.getpid():<20}\n".encode(), 0)
            return fd
        os.close(fd)  # the holder removed the file as we took it: take the new one
        folder.mkdir(parents=True, exist_ok=True)


def _holder(fd: int) -> str:
    """The pid written in a held lock file; the holder writes it right after taking the lock, so
    a pid that is not alive (the previous holder's, or none yet) is read again, briefly."""
    text = ""
    for _ in range(20):
        try:
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        except OSError:
            break
        if text.isdigit() and _alive(int(text)):
            break
        time.sleep(0.05)
    return f"pid {text}" if text.isdigit() else "pid unknown"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def environment(host: Any) -> dict[str, Any]:
    import numpy
    import torch

    from srzoo_core.registry.host import core_version

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "srzoo": core_version(),
        "plugins": {r.name: {"dist": r.dist, "version": r.version, "status": r.status} for r in host.records.values()},
        "threads": torch.get_num_threads(),
    }


class RunDir:
    def __init__(self, path: Path):
        self.path = Path(path)

    def check_writable(self) -> None:
        """Fail before training when the output folder cannot be created or written."""
        parent = self.path
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise UsageError(f"{parent} exists and is not a folder", hint="choose another folder with --out")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"cannot write to {parent}: permission denied", hint="choose another folder with --out")
        try:  # permission bits do not tell all (root, read-only mounts, /proc): try it
            fd, probe = tempfile.mkstemp(prefix=".srzoo-probe-", dir=parent)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise UsageError(f"cannot write to {parent}: {exc.strerror or exc}", hint="choose another folder with --out") from None
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"{self.path} exists and is not a folder", hint="choose another --name or --out")

    def existing_spec(self) -> str | None:
        file = self.path / SPEC_FILE
        return file.read_text().strip() if file.is_file() else None

    def description(self) -> Any:
        """The run description in ``run.json`` (None for a folder without one)."""
        stored = self.status().get("description")
        if stored is None:
            return None
        from srzoo_core.training.description import RunDescription

        return RunDescription.from_dict(stored, str(self.path / STATUS_FILE))

    def status(self) -> dict[str, Any]:
        file = self.path / STATUS_FILE
        return json.loads(file.read_text()) if file.is_file() else {}

    def start(self, spec: str, config: dict[str, Any], env: dict[str, Any], fresh: bool,
              description: dict[str, Any] | None = None) -> None:
        import yaml

        self.path.mkdir(parents=True, exist_ok=True)
        for stale in self.path.glob(".*.tmp*"):  # left by a writer that was killed mid-write
            stale.unlink(missing_ok=True)
        if fresh:
            for name in ("metrics.jsonl", "metrics.csv"):
                (self.path / name).unlink(missing_ok=True)
        # run.json (with the description) first: a folder with a spec.txt always says what it is
        self.set_status("running", **({"description": description} if description is not None else {}))
        write_text_atomic(self.path / "config.yaml", yaml.safe_dump(config, sort_keys=False))
        write_text_atomic(self.path / "env.json", json.dumps(env, indent=2) + "\n")
        write_text_atomic(self.path / SPEC_FILE, spec + "\n")

    def set_status(self, state: str, **extra: Any) -> None:
        record = {**self.status(), "status": state, "updated": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
        write_text_atomic(self.path / STATUS_FILE, json.dumps(record, indent=2, default=str) + "\n")

    def log(self, record: dict[str, Any]) -> None:
        # An append, not an atomic rewrite: one write per record, so a crash or a full disk can tear
        # only the last line, which records() skips; every earlier record stays whole.
        with open(self.path / "metrics.jsonl", "a") as handle:
            handle.write(json.dumps(record, default=float) + "\n")

    def records(self) -> list[dict[str, Any]]:
        """The logged records; a line torn by a crash or a full disk mid-write is skipped."""
        file = self.path / "metrics.jsonl"
        if not file.is_file():
            return []
        records = []
        for line in file.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line) if line.strip() else None
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def truncate_after(self, step: int) -> None:
        """On resume, forget records logged after the checkpoint's step (they will be redone)."""
        kept = [r for r in self.records() if r.get("step", 0) <= step]
        write_text_atomic(self.path / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in kept))

    def write_csv(self) -> None:
        rows = self.records()
        columns: list[str] = []
        for row in rows:
            columns += [k for k in row if k not in columns]
        with atomic_output(self.path / "metrics.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)

    def file(self, name: str) -> Path:
        return self.path / name
