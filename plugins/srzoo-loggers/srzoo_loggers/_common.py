"""What both backends share: the missing-package message, flat parameters, image checks."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from srzoo_core.errors import UsageError


def require(module: str, extra: str) -> None:
    """Fail at construction, before a run starts, when a backend's package is missing."""
    if importlib.util.find_spec(module) is None:
        raise UsageError(f"the {extra} logger needs the {module!r} package, which is not installed",
                         hint=f"pip install 'srzoo-loggers[{extra}]' -c constraints.txt")


def flatten(description: Mapping[str, Any], prefix: str = "") -> dict[str, str | int | float | bool]:
    """Nested mappings as dotted keys; lists as JSON text, None as "none", other leaves as text."""
    flat: dict[str, str | int | float | bool] = {}
    for key, value in description.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, (bool, int, float, str)):
            flat[name] = value
        elif value is None:
            flat[name] = "none"
        elif isinstance(value, (list, tuple)):
            flat[name] = json.dumps(value, default=str)
        else:
            flat[name] = str(value)
    return flat


def checked_image(tag: str, image: Any) -> np.ndarray:
    """An (H, W, C) uint8 array with C in 1, 3, 4, or ValueError naming the tag."""
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise ValueError(f"image {tag!r} must be an (H, W, C) uint8 array with 1, 3 or 4 channels, "
                         f"got {array.dtype} of shape {array.shape}")
    return np.ascontiguousarray(array)
