"""The run directory: what a run was (spec, options, versions), what it measured, its state.

``run.json`` says whether the run is ``running``, ``finished``, ``interrupted`` or ``failed``, so a
half-written directory never looks complete.
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
from srzoo_core.files import write_text_atomic

SPEC_FILE = "spec.txt"
STATUS_FILE = "run.json"
LAST = "last.safetensors"
BEST = "best.safetensors"
RESUME = "last.resume.safetensors"


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
        tmp = self.path / ".metrics.csv.tmp"
        with open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, self.path / "metrics.csv")

    def file(self, name: str) -> Path:
        return self.path / name
