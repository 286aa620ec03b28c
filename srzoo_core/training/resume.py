"""What ``--resume`` may change: the budget, and options that do not change results (where the run
writes, on which device, how often it validates). Everything else — the spec, the data and its
contents, the scale, batch, learning rates, seed, EMA, schedule, precision… — must be what the run
was started with, or the resume is refused with every difference named.

The run's side is its run description (``RunDescription``): the resume checkpoint's metadata, or
``run.json`` for a run stopped before its first checkpoint; never a re-read of ``config.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from srzoo_core.errors import UsageError
from srzoo_core.training.config import option_names
from srzoo_core.training.description import NOT_RESULT_OPTIONS, RunDescription

BUDGET = ("iters", "epochs", "time")  # a resumed run may be given a longer (or another) budget
# Options stored as given (None: the source's default), compared by the value the data used.
EFFECTIVE = {"patch": "patch", "augment": "augmentation", "degradation": "degradation"}
COMPARED_ELSEWHERE = {"spec", "scale", "data", *EFFECTIVE}


def check_resume(then: RunDescription, now: RunDescription, run: Path, source: str) -> None:
    """Refuse the resume of ``run`` when ``now`` differs from ``then`` in anything but the budget."""
    differences = resume_differences(then, now)
    if differences:
        raise UsageError(
            f"cannot resume {run} with other options than it was started with ({source}): " + "; ".join(differences),
            hint="give the run's own options (its config.yaml lists them); only the budget (--iters, --epochs, --time), "
                 "--out, --device, --workers and --val-every may change. To change the others, start a new run with another --name")


def resume_differences(then: RunDescription, now: RunDescription) -> list[str]:
    out = []
    if then.spec != now.spec:
        out.append(f"spec {then.spec!r} then, {now.spec!r} now")
    if then.scale != now.scale:
        out.append(f"--scale {then.scale} then, {now.scale} now")
    if then.training:  # first-build checkpoints did not record their options
        out += _option_differences(then.training, now.training)
        out += _effective_differences(then.data, now.data, then.training, now.training)
    out += _data_differences(then, now)
    return out


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _shown(value: Any) -> str:
    if value is None:
        return "not given"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _option_differences(then: dict[str, Any], now: dict[str, Any]) -> list[str]:
    out = []
    if not _same_data(then.get("data"), now.get("data")):
        out.append(f"--data {_shown(then.get('data'))} then, {_shown(now.get('data'))} now")
    skipped = NOT_RESULT_OPTIONS | set(BUDGET) | COMPARED_ELSEWHERE
    options = set(option_names())  # not what a run derived from them (those follow the options)
    for key in then:  # options that did not exist when the run started cannot differ from it
        if key in skipped or key not in options:
            continue
        before, after = then.get(key), now.get(key)
        if _normal(before) != _normal(after):
            out.append(f"{_flag(key)} {_shown(before)} then, {_shown(after)} now")
    return out


def _normal(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _same_data(before: Any, after: Any) -> bool:
    """The same --data: the same text, or two spellings of one existing path."""
    if before == after:
        return True
    if not (isinstance(before, str) and isinstance(after, str)):
        return False
    first, second = Path(before), Path(after)
    return first.exists() and second.exists() and first.resolve() == second.resolve()


def _effective_differences(then_data: dict[str, Any], now_data: dict[str, Any], then: dict[str, Any],
                           now: dict[str, Any]) -> list[str]:
    out = []
    for option, field in EFFECTIVE.items():
        before, after = then_data.get(field), now_data.get(field)
        if before is None or after is None:  # not recorded: compare what was given
            before, after = then.get(option), now.get(option)
        if before != after:
            out.append(f"{_flag(option)} {_shown(before)} then, {_shown(after)} now")
    return out


def _data_differences(then: RunDescription, now: RunDescription) -> list[str]:
    """The data's contents, which the same --data may no longer hold."""
    out = []
    if then.modality != now.modality:
        out.append(f"the data are {then.modality} then, {now.modality} now")
    if [c.name for c in then.channels] != [c.name for c in now.channels]:
        out.append(f"channels {', '.join(then.channel_names)} then, {', '.join(now.channel_names)} now")
    elif then.units != now.units:
        out.append(f"channel units {then.units} then, {now.units} now")
    for split in ("train", "val", "test"):
        before, after = _split(then.data, split), _split(now.data, split)
        if before is None or after is None or before == after:
            continue
        if before[0] != after[0]:
            out.append(f"the {split} split has {before[0]} items then, {after[0]} now")
        else:
            out.append(f"the {split} split holds other images than then")
    if then.normaliser and now.normaliser and then.normaliser != now.normaliser and not out:
        out.append("the training data's normalisation statistics differ (the data changed)")
    return out


def _split(data: dict[str, Any], split: str) -> tuple[Any, Any] | None:
    info = (data.get("splits") or {}).get(split)
    if not isinstance(info, dict):
        return None
    return info.get("items"), info.get("images")
