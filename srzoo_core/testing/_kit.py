"""What every check shares: failures, the error that lists them, and the recorder that turns any
exception raised inside a check into a failure of that check."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from srzoo_core.errors import SrzooError


@dataclass(frozen=True)
class Failure:
    """One failed check of one component (kind ``plugin`` for a plugin that does not load)."""

    kind: str
    name: str
    check: str
    why: str

    def __str__(self) -> str:
        return f"[{self.kind} {self.name}] {self.check}: {self.why}"


class ConformanceError(AssertionError):
    """Raised with every failure found; each line reads ``[<kind> <name>] <check>: <why>``.
    An ``AssertionError``, so pytest reports it as a failed test."""

    def __init__(self, failures: list[Failure]):
        self.failures = list(failures)
        count = len(self.failures)
        lines = "\n".join(f"  {f}" for f in self.failures)
        super().__init__(f"{count} conformance failure{'s' if count != 1 else ''}:\n{lines}")


class CheckFailed(Exception):
    """Raised inside a check to fail it with a reason."""


def require(condition: Any, why: str) -> None:
    if not condition:
        raise CheckFailed(why)


def describe_exception(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"called sys.exit({'' if exc.code is None else repr(exc.code)})"
    text = exc.message if isinstance(exc, SrzooError) else str(exc)
    text = " ".join(text.split()) or "(no message)"
    return f"raised {type(exc).__name__}: {text}"


@dataclass
class Recorder:
    """Runs the checks of one component; ``with rec.check("name"):`` records a pass or a failure."""

    kind: str
    name: str
    failures: list[Failure] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    @contextmanager
    def check(self, check: str) -> Iterator[None]:
        try:
            yield
        except CheckFailed as exc:
            self.fail(check, str(exc))
        except (Exception, SystemExit) as exc:  # a component's bug (sys.exit too) is a failure of the check that hit it
            self.fail(check, describe_exception(exc))
        else:
            self.passed.append(f"[{self.kind} {self.name}] {check}")

    def fail(self, check: str, why: str) -> None:
        self.failures.append(Failure(self.kind, self.name, check, why))


def channels_word(c: int) -> str:
    return f"{c} channel{'s' if c != 1 else ''}"
