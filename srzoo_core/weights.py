"""State-dict helpers for published-weights detectors (``register(..., detect_weights=…)``;
public API, plugins may import it).

A detector reads its options from a file's keys and shapes, then confirms them: the model those
options build must have exactly the file's keys and shapes. :func:`model_layout` builds it on the
meta device (nothing allocated, no arithmetic), :func:`layout_mismatch` says where a state dict
first departs from it, :func:`fits_layout` does both. :func:`rename_keys` maps another
repository's key layout onto the model's; :func:`shape_of` and :func:`count_indices` read the
figures detectors start from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch

Shape = tuple[int, ...]
# a key pattern and its replacement (``re.sub`` syntax); None drops the key
RenameRule = tuple["re.Pattern[str]", "str | None"]
# what a factory raises for options no model of its kind can have
BUILD_ERRORS = (ValueError, TypeError, RuntimeError)


def shape_of(state: Mapping[str, Any], key: str) -> Shape | None:
    """The shape of ``state[key]``, or None when the key is absent or holds no tensor."""
    value = state.get(key)
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def count_indices(state: Mapping[str, Any], pattern: str) -> int:
    """How many distinct values the first group of ``pattern`` takes over the keys: the number of
    blocks, say, with ``r"^body\\.(\\d+)\\.conv1\\.weight$"``."""
    regex = re.compile(pattern)
    return len({m[1] for k in state if (m := regex.match(k))})


def rename_keys(state: Mapping[str, Any], rules: Iterable[RenameRule]) -> dict[str, Any] | None:
    """Every key renamed by the first rule whose pattern matches it (a None replacement drops the
    key), values kept; None when a key matches no rule or two keys would get the same name: the
    state dict is not of the layout the rules describe."""
    rules = tuple(rules)
    out: dict[str, Any] = {}
    for key, value in state.items():
        rule = next(((pattern, replacement) for pattern, replacement in rules if pattern.match(key)), None)
        if rule is None:
            return None
        if rule[1] is not None:
            new = rule[0].sub(rule[1], key)
            if new in out:
                return None
            out[new] = value
    return out


def model_layout(factory: Callable[..., torch.nn.Module], options: Mapping[str, Any]) -> dict[str, Shape]:
    """Key → shape of ``factory(**options).state_dict()``, the model built on the meta device.
    Raises whatever the factory raises."""
    with torch.device("meta"):
        model = factory(**options)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def layout_mismatch(expected: Mapping[str, Shape], state: Mapping[str, Any], optional: tuple[str, ...] = ()) -> str | None:
    """None when ``state`` has exactly the keys and shapes of ``expected``, else what differs first
    (in the model's key order, then the file's). Keys ending in one of the ``optional`` suffixes
    may be absent (buffers a model computes, which some files leave out)."""
    for key, shape in expected.items():
        if key not in state:
            if not key.endswith(optional):
                return f"missing {key}"
            continue
        value = state[key]
        found = tuple(value.shape) if isinstance(value, torch.Tensor) else None
        if found != tuple(shape):
            return f"{key} has shape {found if found is not None else type(value).__name__}, the model {tuple(shape)}"
    unexpected = next((k for k in state if k not in expected), None)
    return None if unexpected is None else f"unexpected {unexpected}"


def fits_layout(factory: Callable[..., torch.nn.Module], options: Mapping[str, Any], state: Mapping[str, Any],
                optional: tuple[str, ...] = ()) -> bool:
    """Whether ``state`` has exactly the keys and shapes of ``factory(**options)`` (see
    :func:`layout_mismatch`); False, too, when the factory refuses the options."""
    try:
        expected = model_layout(factory, options)
    except BUILD_ERRORS:
        return False
    return layout_mismatch(expected, state, optional) is None
