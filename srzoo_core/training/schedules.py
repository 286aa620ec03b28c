"""Learning-rate schedules: pure functions of where training is, so a resumed run continues its
schedule exactly (nothing to save) and the sequence is easy to check.

A schedule runs over each *phase* (pixel-loss pretraining, then the adversarial phase; a spec without
a discriminator has one phase), from ``within = 0`` at the phase's start to ``within = 1`` at its end,
so it works for every budget (steps, epochs, wall time):

``cosine`` (default)
    ``0.5 · (1 + cos(π · within))``: from the full rate down to 0.
``constant``
    1.
``multistep``
    ``gamma ** (milestones passed)``: milestones are *fractions of the phase* (``0.5,0.75`` = halfway
    and three quarters through it), the rate is multiplied by ``gamma`` at each.

``--warmup N`` multiplies any of them by a linear ramp over the first N optimizer steps of the run:
step ``s`` (0-based) gets ``(s + 1) / N``, so step N-1 reaches the scheduled rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from srzoo_core.errors import UsageError

SCHEDULES = ("cosine", "constant", "multistep")
DEFAULT_MILESTONES = (0.5, 0.75)
DEFAULT_GAMMA = 0.5
_EPSILON = 1e-9  # step/total lands on a milestone such as 0.3 up to rounding


def schedule_factor(schedule: str, within: float, milestones: Sequence[float] = DEFAULT_MILESTONES,
                    gamma: float = DEFAULT_GAMMA) -> float:
    """The factor on the base learning rate at fraction ``within`` of the phase."""
    within = min(1.0, max(0.0, within))
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * within))
    if schedule == "multistep":
        return gamma ** sum(within + _EPSILON >= m for m in milestones)
    raise ValueError(f"unknown schedule {schedule!r}; schedules are {', '.join(SCHEDULES)}")


def warmup_factor(step: int, warmup: int) -> float:
    """The linear warm-up factor for optimizer step ``step`` (0-based) of a ``warmup``-step ramp."""
    if warmup <= 0 or step >= warmup:
        return 1.0
    return (step + 1) / warmup


def parse_milestones(text: str) -> tuple[float, ...]:
    """``"0.5,0.75"`` → (0.5, 0.75): increasing fractions of a phase, each strictly between 0 and 1."""
    try:
        values = tuple(float(part) for part in str(text).split(","))
    except ValueError:
        raise UsageError(f"--milestones {text!r} must be comma-separated numbers, e.g. 0.5,0.75") from None
    outside = [v for v in values if not 0 < v < 1]
    if outside:
        raise UsageError(f"--milestones {text!r}: {outside[0]:g} is not a fraction strictly between 0 and 1",
                         hint="milestones are fractions of each phase (0.5 = halfway); for step 300 of 1000 write 0.3")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise UsageError(f"--milestones {text!r} must increase, e.g. 0.5,0.75")
    return values
