"""Stop signals during training: Ctrl-C (SIGINT) and SIGTERM (how schedulers stop jobs) end a run
cleanly wherever they land, with its state saved or its last checkpoint named, and no traceback."""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class DeferredStop:
    """Within ``with``: a first stop signal sets a flag that ``check()`` turns into KeyboardInterrupt
    between steps. A second stops at once, except inside a ``protected()`` section (files being
    written, plots being drawn), which it lets finish first: an exception raised in the middle of a
    library can leave it half-done and print its own traceback. A third stops even there (every file
    is written atomically, so none is torn). A stop that lands in a finaliser (a weakref callback,
    ``__del__``), where Python cannot raise it, is not lost: the next ``check()`` stops the run, and
    the "Exception ignored" traceback is not printed. Only in the main thread of a single process
    (distributed ranks must stop together, which is the launcher's business)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.requested = self.forced = False
        self.signals = 0
        self.depth = 0
        self.previous: dict[int, Any] = {}
        self.previous_hook: Any = None

    def __enter__(self) -> "DeferredStop":
        if self.enabled:
            for sig in STOP_SIGNALS:
                self.previous[sig] = signal.signal(sig, self._handle)
            self.previous_hook = sys.unraisablehook
            sys.unraisablehook = self._unraisable
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.signals += 1
        if self.signals == 1:
            self.requested = True
            return
        self.forced = True
        if self.depth == 0 or self.signals >= 3:
            raise KeyboardInterrupt

    def _unraisable(self, info: Any) -> None:
        if self.forced and isinstance(info.exc_value, KeyboardInterrupt):
            return  # swallowed by a finaliser; `requested` makes the next check() stop the run
        self.previous_hook(info)

    @contextmanager
    def protected(self, then_stop: bool = True) -> Iterator[None]:
        """A section a second signal does not cut short; with ``then_stop`` it stops right after."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if then_stop and self.forced and self.depth == 0:
            raise KeyboardInterrupt

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if self.previous_hook is not None:
            sys.unraisablehook = self.previous_hook
