"""MLflow: params from the run description, metrics by step, sample images as PNG artifacts
(``images/<tag>/step_<step>.png``).

By default the tracking store is a file store in the run folder (``<run>/mlruns``; browse it with
``mlflow ui --backend-store-uri <run>/mlruns``). MLflow 3 keeps file stores in maintenance mode
and refuses them unless ``MLFLOW_ALLOW_FILE_STORE`` is true: for a file store this logger sets it
when it is unset (a value you set yourself is left alone). ``tracking_uri`` picks any other store
(``sqlite:///…`` with the full ``mlflow`` package, ``http://…`` for a server).

Resume: MLflow cannot delete single metric points, so a resumed run gets a new MLflow run: the
params, the metric points and the images of the interrupted run up to ``resume_step`` are copied
into it, and the interrupted run is deleted (MLflow's soft delete, restorable). The active run
then holds each step once. ``<run>/mlflow.json`` records which MLflow run belongs to the run.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from srzoo_core import atomic_output
from srzoo_core.errors import UsageError
from srzoo_loggers._common import checked_image, flatten, require

STATE_FILE = "mlflow.json"
_STEP_FILE = re.compile(r"step_(\d+)\.png$")
_BAD_KEY = re.compile(r"[^A-Za-z0-9_\-. :/]")
_BAD_PATH = re.compile(r"[^A-Za-z0-9_\-./]")
MAX_VALUE = 6000  # MLflow's longest param value


def _key(name: str) -> str:
    return _BAD_KEY.sub("_", name)[:250]


def _image_path(tag: str, step: int) -> str:
    parts = [p for p in _BAD_PATH.sub("_", tag).split("/") if p not in ("", ".", "..")] or ["image"]
    return "/".join(["images", *parts, f"step_{step:08d}.png"])


class MLflowLogger:
    """The srzoo logger contract (see :mod:`srzoo_loggers`) over an MLflow tracking store."""

    def __init__(self, tracking_uri: str | None = None, experiment: str = "srzoo"):
        """``tracking_uri``: the MLflow store (default: a file store in ``<run>/mlruns``).
        ``experiment``: the MLflow experiment the run goes in (created if needed)."""
        require("mlflow", "mlflow")
        if not experiment.strip():
            raise ValueError("experiment must be a non-empty name")
        self.tracking_uri, self.experiment = tracking_uri, experiment
        self.client: Any = None
        self.run_id: str | None = None  # the MLflow run, once started
        self._closed = False

    def start(self, run_dir: Path, description: Mapping[str, Any], resume_step: int | None) -> None:
        run_dir = Path(run_dir)
        uri = self.tracking_uri or (run_dir / "mlruns").resolve().as_uri()
        self.client = _client(uri)
        experiment = self.client.get_experiment_by_name(self.experiment)
        experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(self.experiment)
        previous = _previous_run(run_dir, uri, self.client) if resume_step is not None else None
        tags = {"srzoo.run_dir": str(run_dir.resolve())}
        if previous:
            tags["srzoo.resumed_from"] = previous
        self.run_id = self.client.create_run(experiment_id, run_name=run_dir.name, tags=tags).info.run_id
        self._log_params(description)
        if previous:
            self._copy_until(previous, int(resume_step))  # type: ignore[arg-type]
            self.client.delete_run(previous)
        state = run_dir / STATE_FILE
        with atomic_output(state, "w") as handle:
            handle.write(json.dumps({"tracking_uri": uri, "run_id": self.run_id}))

    def _log_params(self, description: Mapping[str, Any]) -> None:
        from mlflow.entities import Param

        params = [Param(_key(k), str(v) if len(str(v)) <= MAX_VALUE else str(v)[:MAX_VALUE - 1] + "…")
                  for k, v in flatten(description).items()]
        for i in range(0, len(params), 100):
            self.client.log_batch(self.run_id, params=params[i:i + 100])

    def _copy_until(self, previous: str, last_step: int) -> None:
        """The interrupted run's metric points and images at steps up to ``last_step``."""
        old = self.client.get_run(previous)
        points = [m for key in old.data.metrics for m in self.client.get_metric_history(previous, key) if m.step <= last_step]
        for i in range(0, len(points), 1000):
            self.client.log_batch(self.run_id, metrics=points[i:i + 1000])
        if not any(f.path == "images" for f in self.client.list_artifacts(previous)):
            return
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(self.client.download_artifacts(previous, "images", scratch)).parent
            for file in sorted(root.rglob("step_*.png")):
                found = _STEP_FILE.search(file.name)
                if found and int(found.group(1)) <= last_step:
                    self.client.log_artifact(self.run_id, str(file), file.parent.relative_to(root).as_posix())

    def log_scalars(self, step: int, values: Mapping[str, float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(_key(k), float(v), now, int(step)) for k, v in values.items()]
        for i in range(0, len(metrics), 1000):
            self.client.log_batch(self.run_id, metrics=metrics[i:i + 1000])

    def log_images(self, step: int, images: Mapping[str, Any]) -> None:
        for tag, image in images.items():
            array = checked_image(tag, image)
            self.client.log_image(self.run_id, array if array.shape[2] != 1 else array[:, :, 0], artifact_file=_image_path(tag, int(step)))

    def close(self) -> None:
        if self.client is not None and self.run_id is not None and not self._closed:
            self.client.set_terminated(self.run_id)
            self._closed = True


def _client(uri: str) -> Any:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if uri.startswith("file:") or "://" not in uri:
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    try:
        return MlflowClient(tracking_uri=uri)
    except MlflowException as exc:
        raise UsageError(f"MLflow cannot open the tracking store {uri}: {exc.message.splitlines()[0]}",
                         hint="pass tracking_uri=… (sqlite:///path/mlflow.db needs the full mlflow package)") from None


def _previous_run(run_dir: Path, uri: str, client: Any) -> str | None:
    """The interrupted run's MLflow run id, if it logged to this store and still exists."""
    try:
        state = json.loads((run_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    if state.get("tracking_uri") != uri or not state.get("run_id"):
        return None
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(state["run_id"])
    except MlflowException:
        return None
    return run.info.run_id if run.info.lifecycle_stage == "active" else None
