"""The spec's syntax tree. Spans are (start, end) character offsets into the original text and take
no part in equality, so two spellings of the same spec compare equal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from srzoo_core.spec.grammar import ROLES

Span = tuple[int, int]


@dataclass(eq=False)
class Value:
    value: Any
    span: Span = field(default=(0, 0))
    key_span: Span = field(default=(0, 0))  # where the parameter's name is written

    def __eq__(self, other: object) -> bool:
        """Equal values of the same type: ``blocks=1`` and ``blocks=true`` differ."""
        return isinstance(other, Value) and _types(self.value) == _types(other.value) and self.value == other.value


def _types(value: Any) -> Any:
    """A value's type; a range's (``1..2`` is not ``1.0..2.0``) is the types of its ends."""
    return tuple(type(v) for v in value) if isinstance(value, tuple) else type(value)


@dataclass
class Term:
    name: str
    params: dict[str, Value] = field(default_factory=dict)
    weight: Value | None = None
    scope: str | None = None
    span: Span = field(default=(0, 0), compare=False)
    name_span: Span = field(default=(0, 0), compare=False)


@dataclass
class Role:
    role: str
    terms: list[Term]
    span: Span = field(default=(0, 0), compare=False)

    def term(self, name: str) -> Term | None:
        return next((t for t in self.terms if t.name == name), None)


@dataclass
class Spec:
    text: str = field(compare=False)
    roles: dict[str, Role] = field(default_factory=dict)

    def get(self, role: str) -> Role | None:
        return self.roles.get(role)

    def __str__(self) -> str:
        from srzoo_core.spec.printer import print_spec

        return print_spec(self)
