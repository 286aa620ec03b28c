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


# The optional attributes the core reads (srzoo_core.interfaces.OPTIONAL_ATTRIBUTES), and what each may hold.
_ATTRIBUTE_RULES: dict[str, tuple[str, Any]] = {
    "size_multiple": ("a positive int", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1),
    "receptive_field": ("a non-negative int or None", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)),
    "needs_lr": ("a bool", lambda v: isinstance(v, bool)),
    "needs_real_logits": ("a bool", lambda v: isinstance(v, bool)),
    "best_at_zero": ("a bool", lambda v: isinstance(v, bool)),
    "takes_mask": ("a bool", lambda v: isinstance(v, bool)),
    "physical_units": ("a bool", lambda v: isinstance(v, bool)),
    "value_units": ("a str or None", lambda v: v is None or isinstance(v, str)),
}


def check_declared_attributes(rec: "Recorder", make: Any, kind: str) -> None:
    """Each optional attribute the core reads from a component of ``kind`` (``make()`` builds it, or
    it is the component itself), where present, has the type the interfaces declare."""
    from srzoo_core.interfaces import OPTIONAL_ATTRIBUTES

    with rec.check("declared attributes"):
        component = make() if kind in ("gen", "disc") else make
        for name in OPTIONAL_ATTRIBUTES.get(kind, {}):
            if name in _ATTRIBUTE_RULES and hasattr(component, name):
                what, ok = _ATTRIBUTE_RULES[name]
                value = getattr(component, name)
                require(ok(value), f"{name} is {value!r}; the core reads it as {what}")
