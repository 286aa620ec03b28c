"""Errors a user can act on. The CLI prints their message and exits with their code, no traceback."""

from __future__ import annotations


class SrzooError(Exception):
    """A problem with the user's input or environment, explained in one message."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


class UsageError(SrzooError):
    """Bad options or arguments (exit code 2, like a command-line usage error)."""

    exit_code = 2


class SpecError(UsageError):
    """A spec string that cannot be parsed or resolved; points at the bad part with a caret."""

    def __init__(self, message: str, spec: str, span: tuple[int, int], hint: str | None = None):
        super().__init__(message, hint)
        self.spec = spec
        start = max(0, min(span[0], len(spec)))
        self.span = (start, max(start + 1, min(span[1], len(spec))))  # past the end: one caret there

    def render(self) -> str:
        start, end = self.span
        echo = "".join(" " if c.isspace() else c for c in self.spec)  # one line, offsets kept
        caret = " " * start + "^" * (end - start)
        text = f"error: {self.message}\n  {echo}\n  {caret}"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class PluginError(SrzooError):
    """A plugin could not be loaded, or strict mode found a broken plugin."""


class RegistryError(SrzooError):
    """A registration that breaks the registry's rules, or a component that cannot be loaded."""


class UnknownComponentError(RegistryError, UsageError):
    """A component name or kind that the registry does not know (a usage error: exit code 2)."""


class TrainingStopped(SrzooError):
    """Training stopped early for a reason the user must know (diverging losses, a full disk)."""
