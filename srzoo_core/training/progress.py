"""Progress display: a rich bar with step, it/s, ETA and current losses on a terminal; plain log
lines otherwise (CI, files, pipes)."""

from __future__ import annotations

import sys

from rich.console import Console


def format_seconds(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class Reporter:
    def __init__(self, console: Console | None = None, quiet: bool = False):
        self.console = console or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.interactive = self.console.is_terminal and not quiet
        self._progress = None
        self._task = None

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False, highlight=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        self.console.print(f"warning: {message}", style="yellow", markup=False, highlight=False, soft_wrap=True)

    def start(self, total: int | None, first: int) -> None:
        if not self.interactive:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                                  TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[losses]}"),
                                  console=self.console, transient=False)
        self._progress.start()
        self._task = self._progress.add_task("train", total=total, completed=first, rate="", losses="")

    def update(self, step: int, total: int | None, rate: float, eta: float | None, losses: dict[str, float], phase: str, force: bool = False) -> None:
        text = " ".join(f"{k} {v:.4g}" for k, v in losses.items())
        if self._progress is not None:
            self._progress.update(self._task, completed=step, rate=f"{rate:.2f} it/s", losses=f"[{phase}] {text}")
            return
        if force and not self.quiet:
            of = f"/{total}" if total else ""
            eta_text = f" | ETA {format_seconds(eta)}" if eta is not None else ""
            print(f"step {step}{of} [{phase}] | {rate:.2f} it/s{eta_text} | {text}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
