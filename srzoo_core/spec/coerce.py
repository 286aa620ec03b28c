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
    if origin is tuple:
        return _tuple(value, typing.get_args(annotation))
    return value


_ENDS = {int: "whole numbers", float: "numbers"}


def _tuple(value: Any, args: tuple[Any, ...]) -> tuple:
    """A range ``low..high`` (the parser's 2-tuple) for ``tuple[float, float]``; each end checked."""
    if not args:
        return value if isinstance(value, tuple) else _refuse_tuple(args)
    types = args[:1] * len(value) if len(args) == 2 and args[1] is Ellipsis and isinstance(value, tuple) else args
    if not isinstance(value, tuple) or len(value) != len(types):
        _refuse_tuple(args)
    try:
        return tuple(coerce(v, t) for v, t in zip(value, types))
    except (TypeError, ValueError):
        _refuse_tuple(args)


def _refuse_tuple(args: tuple[Any, ...]) -> typing.NoReturn:
    if len(args) == 2 and args[0] == args[1]:
        raise TypeError(f"write a range low..high of {_ENDS.get(args[0], 'values')}")
    raise TypeError("")
