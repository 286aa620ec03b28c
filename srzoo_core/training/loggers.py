"""``--log``: where a run's progress goes besides its own folder.

``csv`` names the run folder's ``metrics.jsonl`` / ``metrics.csv``, which are always written; every
other name is a component of kind ``logger`` (e.g. ``tensorboard``, ``mlflow`` from srzoo-loggers),
resolved and built in ``Trainer.setup()`` — an unknown name, a logger whose plugin or package is
missing, or bad options are one clear error before the run folder exists.

The loop hands the loggers what it writes to ``metrics.jsonl`` (every numeric value of a record, by
the same keys: ``loss/…``, ``lr``, ``val/…``, ``bicubic/…``) and each validation's sample panel. A
logger that fails while the run goes on is reported once and dropped: the run folder keeps the
whole record, so a tracking server going away never costs a training run.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from srzoo_core.errors import UsageError

BUILTIN = "csv"
NOT_SCALARS = ("step",)


def make_loggers(names: list[str], host: Any, warn: Callable[[str], None], active: bool = True) -> "RunLoggers":
    """Build every named logger (in every process, so all fail alike); only ``active`` ones log."""
    built = [(name, _build(name, host)) for name in names]
    return RunLoggers(built if active else [], warn)


def _build(name: str, host: Any) -> Any:
    from srzoo_core.registry.catalogue import missing_component

    info = host.registry.find(name, "logger")
    if info is None:
        missing = missing_component(name, host, "logger")
        if missing:
            raise UsageError(f"--log {name}: {missing[0]}", hint=missing[1])
        close = host.registry.suggest(name, "logger") or (repr(BUILTIN) if difflib.get_close_matches(name.lower(), [BUILTIN]) else None)
        known = ", ".join([BUILTIN, *sorted(host.registry.names("logger"))])
        raise UsageError(f"unknown logger {name!r} in --log", hint=f"did you mean {close}?" if close else
                         f"loggers: {known}; 'srzoo list logger' describes them")
    try:
        return info.resolve()()
    except ValueError as exc:
        raise UsageError(f"--log {name}: {exc}") from None


class RunLoggers:
    """The run's loggers, fanned out; used by the training loop (main process only)."""

    def __init__(self, loggers: list[tuple[str, Any]], warn: Callable[[str], None]):
        self.loggers = list(loggers)
        self.warn = warn
        self.started: list[tuple[str, Any]] = []

    def start(self, run_dir: Path, description: Mapping[str, Any], resume_step: int | None) -> None:
        """``resume_step``: the step a resumed run continues from (None for a fresh run); whatever
        an interrupted run logged after it is the logger's to drop."""
        for name, logger in self.loggers:
            logger.start(Path(run_dir), description, resume_step)
            self.started.append((name, logger))

    def scalars(self, step: int, record: Mapping[str, Any]) -> None:
        values = {k: float(v) for k, v in record.items()
                  if k not in NOT_SCALARS and isinstance(v, (int, float)) and not isinstance(v, bool)}
        if values:
            self._each("log_scalars", step, values)

    def images(self, step: int, panels: Mapping[str, Path]) -> None:
        """PNG files (the validation sample panels) as HWC uint8 RGB arrays."""
        if not self.started:
            return
        import numpy as np
        from PIL import Image

        arrays = {}
        for tag, path in panels.items():
            with Image.open(path) as image:
                arrays[tag] = np.asarray(image.convert("RGB"))
        self._each("log_images", step, arrays)

    def _each(self, method: str, *args: Any) -> None:
        for entry in list(self.started):
            name, logger = entry
            try:
                getattr(logger, method)(*args)
            except Exception as exc:  # noqa: BLE001 - a tracker's failure must not end the run
                self.started.remove(entry)
                self.warn(f"logger {name} failed ({type(exc).__name__}: {exc}) and is turned off for this run; "
                          "metrics.jsonl in the run folder has every value")
                _close_quietly(logger)

    def close(self) -> None:
        started, self.started = self.started, []
        for name, logger in started:
            try:
                logger.close()
            except Exception as exc:  # noqa: BLE001 - closing must not hide how the run ended
                self.warn(f"logger {name} failed to close ({type(exc).__name__}: {exc})")


def _close_quietly(logger: Any) -> None:
    try:
        logger.close()
    except Exception:  # noqa: BLE001 - it has failed already; that was reported
        pass
