"""Option checking and random draws.

Every draw goes through a ``torch.Generator`` handed in by the caller (never the global torch RNG,
Python's ``random`` or numpy's), so one sample is reproducible from the generator's seed alone.
Scalars are drawn in float64 and returned as Python numbers, ready for a JSON params dict.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch

Number = int | float
Range = tuple[float, float]


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def as_range(value: Any, name: str, low: float = -math.inf, high: float = math.inf, *, integer: bool = False) -> Range:
    """``value`` as ``(low, high)``: a 2-tuple is a range, a scalar a fixed value; ``ValueError`` when
    it is neither, when ``low > high``, or when it leaves ``[low, high]`` (the option's bounds)."""
    kind = "whole number" if integer else "number"
    if _is_number(value):
        pair = (value, value)
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2 and all(map(_is_number, value)):
        pair = (value[0], value[1])
    else:
        raise ValueError(f"{name} must be a {kind} or a range (low, high) of two {kind}s, not {value!r}")
    if integer and not all(float(v).is_integer() for v in pair):
        raise ValueError(f"{name} must be whole numbers, not {value!r}")
    if pair[0] > pair[1]:
        raise ValueError(f"{name} range {pair[0]}..{pair[1]} is reversed: write low..high with low <= high")
    if pair[0] < low or pair[1] > high:
        raise ValueError(f"{name}={_spell(pair)} is out of bounds: it must lie within {_spell((low, high))}")
    return (int(pair[0]), int(pair[1])) if integer else (float(pair[0]), float(pair[1]))


def _spell(pair: tuple[float, float]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}..{pair[1]}"


def as_probability(value: Any, name: str) -> float:
    if not _is_number(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], not {value!r}")
    return float(value)


def as_choices(value: Any, name: str, valid: Sequence[str]) -> tuple[str, ...]:
    """A name, names joined by ``|`` (``"area|bicubic"``) or a tuple of names, each one of ``valid``."""
    items = value.split("|") if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not items or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{name} must be one of {', '.join(valid)}, or several joined by '|', not {value!r}")
    names = tuple(i.strip().lower() for i in items)
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ValueError(f"{name}: unknown {unknown[0]!r}; valid: {', '.join(valid)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{name} names {value!r} twice")
    return names


def as_weights(value: Any, name: str, count: int) -> tuple[float, ...]:
    """``count`` non-negative numbers, not all zero: a tuple, or numbers joined by ``|``."""
    try:
        items = tuple(float(v) for v in value.split("|")) if isinstance(value, str) else tuple(value)
    except (TypeError, ValueError):
        items = ()
    if len(items) != count or not all(_is_number(w) and w >= 0 for w in items) or sum(items) <= 0:
        raise ValueError(f"{name} must be {count} non-negative numbers, not all zero, not {value!r}")
    return tuple(float(w) for w in items)


def uniform(generator: torch.Generator, span: Range) -> float:
    u = torch.rand((), generator=generator, dtype=torch.float64).item()
    return span[0] + (span[1] - span[0]) * u


def coin(generator: torch.Generator, probability: float) -> bool:
    """True with ``probability``; always one draw, so later draws do not depend on the options."""
    return torch.rand((), generator=generator, dtype=torch.float64).item() < probability


def choose(generator: torch.Generator, names: Sequence[str], weights: Sequence[float] | None = None) -> str:
    """One of ``names``, with probabilities proportional to ``weights`` (uniform when None)."""
    w = [1.0] * len(names) if weights is None else list(weights)
    u = torch.rand((), generator=generator, dtype=torch.float64).item() * sum(w)
    total = 0.0
    for name, weight in zip(names, w):
        total += weight
        if u < total:
            return name
    return next(n for n, weight in zip(reversed(names), reversed(w)) if weight > 0)  # u rounded up to the sum


def odd_size(generator: torch.Generator, span: tuple[int, int]) -> int:
    """An odd kernel size, uniform over the odd integers of ``span`` (Real-ESRGAN: 7, 9, …, 21)."""
    count = (span[1] - span[0]) // 2 + 1
    return span[0] + 2 * int(torch.randint(count, (), generator=generator).item())


def whole(generator: torch.Generator, span: tuple[int, int]) -> int:
    """A whole number, uniform over ``span`` inclusive."""
    return int(torch.randint(span[0], span[1] + 1, (), generator=generator).item())
