"""Reading run folders for a report: what each run was (spec, options, data, metric protocol),
what it measured (final and best validation values, curves), and which ablation arm it belongs
to when an ``ablation.json`` manifest names it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from srzoo_core.errors import UsageError
from srzoo_core.experiments.ablation import MANIFEST
from srzoo_core.training.description import RunDescription
from srzoo_core.training.rundir import LAST, SPEC_FILE, STATUS_FILE, RunDir


@dataclass
class RunRecord:
    path: Path
    spec: str
    status: dict[str, Any]
    config: dict[str, Any]
    arm: str | None = None
    order: int = 0

    @property
    def finished(self) -> bool:
        return self.status.get("status") == "finished"

    @property
    def seed(self) -> Any:
        return self.description.seed

    @property
    def data(self) -> dict[str, Any]:
        return self.status.get("data") or {}

    @property
    def final(self) -> dict[str, float]:
        return self.status.get("final") or {}

    @property
    def bicubic(self) -> dict[str, float]:
        return self.status.get("bicubic") or {}

    @cached_property
    def description(self) -> RunDescription:
        """What the run is: from ``run.json``, or (run folders of the first build) its checkpoint,
        whose metadata holds no training options: those come from the folder's ``config.yaml``."""
        stored = self.status.get("description")
        if stored is not None:
            return RunDescription.from_dict(stored, str(self.path / STATUS_FILE))
        from srzoo_core.training.checkpoint import read

        _, meta = read(self.path / LAST)
        description = RunDescription.from_metadata(meta, str(self.path / LAST))
        if not description.training:
            description.training = dict(self.config)
        return description

    @property
    def protocol(self) -> dict[str, Any]:
        return self.description.protocol

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        return RunDir(self.path).records()

    def validation(self) -> list[dict[str, Any]]:
        """``{"step": s, metric: value, …}`` for every validation point, in step order."""
        points: dict[int, dict[str, Any]] = {}
        for record in self.records:
            values = {k[4:]: v for k, v in record.items() if k.startswith("val/")}
            if values:
                points[int(record["step"])] = {"step": int(record["step"]), **values}
        return [points[s] for s in sorted(points)]

    def best_values(self) -> dict[str, float]:
        """Every metric at the step of the best checkpoint (chosen by ``best['metric']``)."""
        best = self.status.get("best") or {}
        for point in self.validation():
            if point["step"] == best.get("step"):
                return {k: v for k, v in point.items() if k != "step"}
        return {}


def load_run(path: Path) -> RunRecord:
    path = Path(path)
    spec_file, status_file = path / SPEC_FILE, path / STATUS_FILE
    if not status_file.is_file() or not spec_file.is_file():
        raise UsageError(f"{path} is not a run folder (no {STATUS_FILE} and {SPEC_FILE})",
                         hint="pass run folders written by 'srzoo train' or 'srzoo ablate', or a folder that holds them")
    try:
        status = json.loads(status_file.read_text())
    except json.JSONDecodeError:
        raise UsageError(f"{status_file} is not valid JSON") from None
    import yaml

    config_file = path / "config.yaml"
    config = (yaml.safe_load(config_file.read_text()) or {}) if config_file.is_file() else {}
    return RunRecord(path, spec_file.read_text().strip(), status, config)


@dataclass
class Collection:
    runs: list[RunRecord] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)     # unfinished runs, with their status
    manifests: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)

    def arm_order(self) -> list[str]:
        return [a["name"] for _, m in self.manifests for a in m.get("arms", [])]

    def baseline(self) -> str | None:
        return next((m.get("baseline") for _, m in self.manifests if m.get("baseline")), None)

    def arm_specs(self) -> dict[str, str]:
        return {a["name"]: a["spec"] for _, m in self.manifests for a in m.get("arms", [])}

    def planned(self, arm: str | None) -> list[tuple[Any, Path]]:
        """(seed, run folder) of every run the ablation manifests plan for ``arm``."""
        return [(r["seed"], (folder / r["path"]).resolve()) for folder, m in self.manifests for r in m.get("runs", [])
                if arm is not None and r["arm"] == arm]


def collect(paths: list[Path]) -> Collection:
    """Run folders given directly, or found under the given folders (an ablation's ``<arm>/seed<k>``)."""
    if not paths:
        raise UsageError("give at least one run folder or ablation folder")
    out = Collection()
    seen: set[Path] = set()
    for given in map(Path, paths):
        if not given.exists():
            raise UsageError(f"{given} does not exist", hint="pass run folders, or the --out folder of 'srzoo ablate'")
        if given.is_file():
            raise UsageError(f"{given} is a file, not a run folder", hint="pass the folder that holds run.json")
        manifest = _manifest(given)
        arms_by_path = {}
        if manifest is not None:
            out.manifests.append((given, manifest))
            arms_by_path = {(given / r["path"]).resolve(): r["arm"] for r in manifest.get("runs", [])}
        folders = [given] if (given / STATUS_FILE).is_file() else sorted({p.parent for p in given.rglob(STATUS_FILE)})
        if not folders:
            raise UsageError(f"no run folders in {given}", hint="a run folder holds run.json and spec.txt (written by 'srzoo train')")
        for folder in folders:
            key = folder.resolve()
            if key in seen:
                continue
            seen.add(key)
            run = load_run(folder)
            run.arm = arms_by_path.get(key) or _arm_from_parent(folder, run)
            run.order = len(seen)
            if run.finished:
                out.runs.append(run)
            else:
                out.skipped.append((folder, str(run.status.get("status", "unknown"))))
    if not out.runs:
        listing = ", ".join(f"{p} ({s})" for p, s in out.skipped[:3])
        raise UsageError("no finished runs to report", hint=f"found only unfinished runs: {listing}" if listing else None)
    return out


def _manifest(folder: Path) -> dict[str, Any] | None:
    file = folder / MANIFEST
    if not file.is_file():
        return None
    try:
        return json.loads(file.read_text())
    except json.JSONDecodeError:
        raise UsageError(f"{file} is not valid JSON", hint="rerun 'srzoo ablate' with the same options to rewrite it") from None


def _arm_from_parent(folder: Path, run: RunRecord) -> str | None:
    """A run given on its own inside an ablation folder still gets its arm name."""
    parent = folder.parent.parent
    manifest = _manifest(parent) if parent != folder else None
    if manifest is None:
        return None
    for entry in manifest.get("runs", []):
        if (parent / entry["path"]).resolve() == folder.resolve():
            return entry["arm"]
    return None
