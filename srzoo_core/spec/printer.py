"""Printing a parsed spec: roles in a fixed order, terms and parameters as written, one spelling
per value, so ``parse(print_spec(parse(s))) == parse(s)``. (The canonical form of a *resolved*
spec, with defaults dropped and blocks in slot order, is ``ResolvedSpec.canonical()``.)"""

from __future__ import annotations

from typing import Any

from srzoo_core.spec.ast import ROLES, Spec, Term
from srzoo_core.spec.parser import BARE, parse_scalar


def format_value(value: Any) -> str:
    if _is_range(value):
        return f"{format_value(value[0])}..{format_value(value[1])}"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else f'"{value}"'
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if BARE.fullmatch(text) and parse_scalar(text) == text:
        return text
    escaped = '"' if '"' not in text else "'"
    return f"{escaped}{text}{escaped}"


def _is_range(value: Any) -> bool:
    """A (low, high) pair of finite numbers, which the spec writes ``low..high``."""
    return (isinstance(value, tuple) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) != float("inf") and v == v for v in value))


def format_weight(weight: float) -> str:
    """``2`` for 2.0, else the shortest spelling that reads back the same (``0.005``, ``1e-05``)."""
    text = repr(float(weight))
    return text.removesuffix(".0")


def print_term(term: Term) -> str:
    text = f"{term.scope}:{term.name}" if term.scope else term.name
    if term.params:
        text += "(" + ",".join(f"{k}={format_value(v.value)}" for k, v in term.params.items()) + ")"
    if term.weight is not None:
        text = f"{format_weight(term.weight.value)}*{text}"
    return text


def print_spec(spec: Spec) -> str:
    parts = []
    for role in ROLES:
        if role in spec.roles:
            parts.append(f"{role}=" + "+".join(print_term(t) for t in spec.roles[role].terms))
    return " ".join(parts)
