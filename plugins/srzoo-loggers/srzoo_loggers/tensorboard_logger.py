"""TensorBoard: one event-file folder per run (``<run>/tensorboard`` by default).

Written with ``torch.utils.tensorboard``, which needs the ``tensorboard`` package but neither
TensorFlow nor torchvision (``tensorboard.summary.Writer`` alone has scalars only). The run
description goes in as hyper-parameters (a session-start record, so the HParams dashboard lists
the run with every scalar tag as a metric).

Resume: the writer opens a new event file with ``purge_step = resume_step + 1``; TensorBoard's
readers then drop every event of an earlier file at that step or later, so each step is read once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from srzoo_loggers._common import checked_image, flatten, require


class TensorBoardLogger:
    """The srzoo logger contract (see :mod:`srzoo_loggers`) over TensorBoard event files."""

    def __init__(self, folder: str = "tensorboard", flush_secs: int = 30):
        """``folder``: where the event files go, relative to the run folder (or absolute).
        ``flush_secs``: how often buffered events are written out."""
        require("tensorboard", "tensorboard")
        if flush_secs < 1:
            raise ValueError(f"flush_secs must be at least 1, not {flush_secs}")
        self.folder, self.flush_secs = folder, flush_secs
        self.log_dir: Path | None = None
        self._writer: Any = None

    def start(self, run_dir: Path, description: Mapping[str, Any], resume_step: int | None) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = Path(run_dir) / self.folder
        purge = None if resume_step is None else int(resume_step) + 1
        self._writer = SummaryWriter(log_dir=str(self.log_dir), purge_step=purge, flush_secs=self.flush_secs)
        if resume_step is None:  # the interrupted run already wrote them, at step 0
            self._write_hparams(description)

    def _write_hparams(self, description: Mapping[str, Any]) -> None:
        from torch.utils.tensorboard.summary import hparams

        _, session_start, _ = hparams(flatten(description), {})
        self._writer.file_writer.add_summary(session_start)

    def log_scalars(self, step: int, values: Mapping[str, float]) -> None:
        for tag, value in values.items():
            self._writer.add_scalar(tag, float(value), int(step))

    def log_images(self, step: int, images: Mapping[str, Any]) -> None:
        for tag, image in images.items():
            self._writer.add_image(tag, checked_image(tag, image), int(step), dataformats="HWC")

    def close(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None
