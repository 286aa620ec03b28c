"""Checking a spec value against a factory's annotation: an int where an int is due, one of the
allowed words for a Literal, and so on. Lossless widening only (int → float)."""

from __future__ import annotations

import types
import typing
from typing import Any


def coerce(value: Any, annotation: Any) -> Any:
    if annotation is Any or annotation is typing.Any:
        return value
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        choices = typing.get_args(annotation)
        if value is None and "none" in choices:  # the bare word none parses to None; here it names a choice
            return "none"
        for choice in choices:
            if value == choice or (isinstance(value, str) and isinstance(choice, str) and value.lower() == choice.lower()):
                return choice
        raise ValueError("choose one of: " + ", ".join(str(c) for c in choices))
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in typing.get_args(annotation):
            try:
                return coerce(value, option)
            except (TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise TypeError("; ".join(e for e in errors if e))
    if annotation is type(None):
        if value is None:
            return None
        raise TypeError("")
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise TypeError("write true or false")
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise TypeError("write a whole number")
    if annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise TypeError("write a number")
    if annotation is str:
        if isinstance(value, str):
            return value
        raise TypeError("quote it to pass it as text")
    return value
