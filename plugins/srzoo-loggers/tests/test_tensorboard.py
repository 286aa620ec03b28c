"""The TensorBoard logger, read back with TensorBoard's own reader."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorboard", reason="needs srzoo-loggers[tensorboard]")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

from srzoo_loggers.tensorboard_logger import TensorBoardLogger  # noqa: E402


def _read(run_dir) -> EventAccumulator:
    accumulator = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def _log(logger: TensorBoardLogger, steps: range, offset: float = 0.0) -> None:
    for step in steps:
        logger.log_scalars(step, {"train/loss": offset + step, "val/psnr": 20.0 + step})


def test_scalars_images_and_hparams_are_read_back(tmp_path, description):
    logger = TensorBoardLogger()
    logger.start(tmp_path, description, None)
    _log(logger, range(1, 4))
    sample = np.zeros((8, 12, 3), np.uint8)
    sample[:, :6] = 255
    logger.log_images(3, {"samples/val": sample})
    logger.close()

    events = _read(tmp_path)
    assert [(e.step, e.value) for e in events.Scalars("train/loss")] == [(1, 1.0), (2, 2.0), (3, 3.0)]
    [image] = events.Images("samples/val")
    assert (image.step, image.width, image.height) == (3, 12, 8)
    content = events.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    hparams = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info.hparams
    assert hparams["roles.gen"].string_value == "srresnet(blocks=4)"
    assert hparams["scale"].number_value == 4 and hparams["training.lr"].number_value == pytest.approx(2e-4)
    assert hparams["training.betas"].string_value == "[0.9, 0.99]" and hparams["training.seed"].string_value == "none"


def test_a_resumed_run_reads_back_each_step_once(tmp_path, interrupted_then_resumed, resumed_loss):
    def log(logger: TensorBoardLogger, steps: range, offset: float) -> None:
        _log(logger, steps, offset)
        if steps.stop == 6:  # the interrupted run's image at step 5, after the resume step: dropped
            logger.log_images(5, {"samples": np.zeros((4, 4, 1), np.uint8)})

    interrupted_then_resumed(TensorBoardLogger, log)

    events = _read(tmp_path)
    assert len(list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))) == 2
    assert [(e.step, e.value) for e in events.Scalars("train/loss")] == resumed_loss
    assert [e.step for e in events.Scalars("val/psnr")] == [1, 2, 3, 4, 5, 6]
    assert events.Images("samples") == []
