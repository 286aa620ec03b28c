"""The MLflow logger on a local file store, read back with MLflow's client."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("mlflow", reason="needs srzoo-loggers[mlflow]")

from mlflow import MlflowClient  # noqa: E402

from srzoo_loggers.mlflow_logger import MLflowLogger  # noqa: E402


def _client(run_dir) -> MlflowClient:
    return MlflowClient((run_dir / "mlruns").resolve().as_uri())


def _log(logger: MLflowLogger, steps: range, offset: float = 0.0) -> None:
    for step in steps:
        logger.log_scalars(step, {"train/loss": offset + step})
        logger.log_images(step, {"samples/val": np.full((4, 6, 3), step, np.uint8)})


def test_params_metrics_and_images_go_to_a_store_in_the_run_folder(tmp_path, description):
    logger = MLflowLogger()
    logger.start(tmp_path, description, None)
    run_id = logger.run_id
    _log(logger, range(1, 3))
    logger.close()

    client = _client(tmp_path)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == tmp_path.name
    assert run.data.params == {"roles.gen": "srresnet(blocks=4)", "scale": "4", "training.lr": "0.0002",
                               "training.betas": "[0.9, 0.99]", "training.seed": "none"}
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "train/loss")] == [(1, 1.0), (2, 2.0)]
    assert [f.path for f in client.list_artifacts(run_id, "images/samples/val")] == [
        "images/samples/val/step_00000001.png", "images/samples/val/step_00000002.png"]
    assert json.loads((tmp_path / "mlflow.json").read_text())["run_id"] == run_id


def test_a_resumed_run_holds_each_step_once(tmp_path, interrupted_then_resumed, resumed_loss):
    first, resumed = interrupted_then_resumed(MLflowLogger, _log)

    client = _client(tmp_path)
    [active] = client.search_runs([client.get_experiment_by_name("srzoo").experiment_id])
    assert active.info.run_id == resumed.run_id and active.data.tags["srzoo.resumed_from"] == first.run_id
    history = client.get_metric_history(active.info.run_id, "train/loss")
    assert [(m.step, m.value) for m in history] == resumed_loss
    steps = [f.path.rsplit("_", 1)[1] for f in client.list_artifacts(active.info.run_id, "images/samples/val")]
    assert steps == [f"{s:08d}.png" for s in range(1, 7)]
    assert client.get_run(first.run_id).info.lifecycle_stage == "deleted"


def test_tracking_uri_and_experiment_options(tmp_path, description):
    store = (tmp_path / "elsewhere").as_uri()
    logger = MLflowLogger(tracking_uri=store, experiment="ablation")
    (tmp_path / "run").mkdir()
    logger.start(tmp_path / "run", description, None)
    logger.log_scalars(1, {"val/psnr": 21.5})
    logger.close()
    client = MlflowClient(store)
    [run] = client.search_runs([client.get_experiment_by_name("ablation").experiment_id])
    assert run.data.metrics == {"val/psnr": 21.5} and not (tmp_path / "run" / "mlruns").exists()
