"""Which samples train, validate and test: by time (or any sorted sample coordinate), by fraction,
or by separate files (``--val-data``/``--test-data``, handled by the source).

* ``split=time:D1`` — validation is every sample from ``D1`` on; no test split.
* ``split=time:D1,D2`` — validation from ``D1``, test from ``D2`` (``D1 < D2``).
* ``split=0.8`` / ``split=0.8,0.1`` — the first 80 % train, the next 10 % validate, the rest test
  (blocks in sample order, so neighbouring time steps do not leak between splits).
* nothing — the last 10 % (at least one sample) validate, as for ``.npy`` grids.
"""

from __future__ import annotations

import numpy as np

from srzoo_core.data import DataError

HOLDOUT_FRACTION = 0.1


def _bound(values: np.ndarray, text: str, dim: str) -> object:
    try:
        if np.issubdtype(values.dtype, np.datetime64):
            return np.datetime64(text)
        if np.issubdtype(values.dtype, np.number):
            return float(text)
        if len(values) and hasattr(values[0], "calendar"):  # cftime dates: climate models' calendars (noleap, 360_day)
            moment = np.datetime64(text, "s").item()
            return type(values[0])(moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
                                   calendar=values[0].calendar)
    except ValueError:
        pass
    raise DataError(f"split={dim}:{text}: {text!r} is not a {dim} value ({values.dtype})",
                    hint="dates are written 2019-03-25 or 2019-03-25T06:00")


def by_coordinate(values: np.ndarray | None, dim: str | None, name: str, bounds: list[str]) -> dict[str, np.ndarray]:
    if values is None or name != dim:
        raise DataError(f"split={name}:…: the samples run along {dim or 'no dimension'}"
                        + (" (without coordinate values)" if dim and values is None else ""),
                        hint=f"write split={dim}:VALUE, or split by fractions, e.g. split=0.8,0.1" if dim else None)
    if len(values) > 1 and not (values[1:] > values[:-1]).all():
        raise DataError(f"split={name}:…: the {name} values are not increasing, so a split by {name} is not a block")
    cuts = [_bound(values, b, name) for b in bounds]
    if len(cuts) == 2 and not cuts[0] < cuts[1]:
        raise DataError(f"split={name}:{','.join(bounds)}: the test split must start after the validation split")
    index = np.arange(len(values))
    out = {"train": index[values < cuts[0]]}
    out["val"] = index[(values >= cuts[0]) & (values < cuts[1])] if len(cuts) == 2 else index[values >= cuts[0]]
    if len(cuts) == 2:
        out["test"] = index[values >= cuts[1]]
    return out


def by_fraction(count: int, text: str) -> dict[str, np.ndarray]:
    try:
        fractions = [float(f) for f in text.split(",")]
    except ValueError:
        raise DataError(f"split={text}: write split=time:DATE[,DATE] or fractions such as split=0.8,0.1") from None
    if len(fractions) > 2 or not all(0 < f < 1 for f in fractions) or sum(fractions) > 1:
        raise DataError(f"split={text}: one or two fractions in (0, 1) for training and validation, summing to at most 1")
    train = round(fractions[0] * count)
    val = count - train if len(fractions) == 1 else round(fractions[1] * count)
    index = np.arange(count)
    out = {"train": index[:train], "val": index[train:train + val]}
    if train + val < count:
        out["test"] = index[train + val:]
    return out


def choose(count: int, values: np.ndarray | None, dim: str | None, option: str | None) -> tuple[dict[str, np.ndarray], str]:
    """Sample positions per split, and how they were chosen."""
    if option is None:
        k = max(1, round(HOLDOUT_FRACTION * count))
        return {"train": np.arange(count - k), "val": np.arange(count - k, count)}, \
            f"held out: the last {k} of {count} samples (contiguous block)"
    name, colon, rest = option.partition(":")
    if colon:
        out = by_coordinate(values, dim, name, [b.strip() for b in rest.split(",")])
        how = f"by {name}: " + ", ".join(f"{s} from {rest.split(',')[i - 1].strip()}" for i, s in enumerate(out) if i)
    else:
        out, how = by_fraction(count, option), f"by fraction: split={option} in sample order"
    for split, positions in out.items():
        if len(positions) == 0:
            span = f"; {dim} runs {values[0]} … {values[-1]}" if values is not None and len(values) else ""
            raise DataError(f"split={option} leaves the {split} split empty ({count} samples{span})")
    return out, how
