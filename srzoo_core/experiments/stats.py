"""Seed statistics: mean, sample standard deviation, Welch's t-test (unequal variances, with the
Welch–Satterthwaite degrees of freedom) and the Holm–Bonferroni correction of a table's tests.
The Student t CDF comes from scipy when it is installed, else from the regularised incomplete beta
function computed here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

ALPHA = 0.05
RULE = ("Δ is the difference of the arm's mean from the baseline's. A two-sided Welch t-test (unequal variances, "
        "Welch–Satterthwaite degrees of freedom) compares the two sets of seeds. A table makes many such tests (every arm × "
        "metric against the baseline), so their p-values are corrected for multiple comparisons by Holm–Bonferroni across "
        "all the tests of that table, and the marks read the adjusted p: ≈ marks adjusted p ≥ 0.05, a difference within "
        "seed noise that is not a finding; * marks adjusted p < 0.05. With one seed in either arm the noise cannot be "
        "estimated and Δ is marked ? (unverifiable). report.csv keeps the raw p next to the adjusted one.")


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def std(values: Sequence[float]) -> float:
    """Sample standard deviation (n − 1); NaN for fewer than two values."""
    if len(values) < 2:
        return math.nan
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / (len(values) - 1))


@dataclass
class Comparison:
    delta: float
    p: float | None          # None: not testable (fewer than two seeds on a side)
    df: float | None = None
    p_adjusted: float | None = None   # set by :func:`adjust` when the test is one of a family

    @property
    def tested(self) -> bool:
        return self.p is not None and not math.isnan(self.p)

    @property
    def verdict(self) -> str:
        """'?' unverifiable, '≈' within seed noise, '*' beyond it (p < 0.05, the adjusted p when there is one)."""
        if not self.tested:
            return "?"
        p = self.p if self.p_adjusted is None else self.p_adjusted
        return "*" if p < ALPHA else "≈"


def welch(a: Sequence[float], b: Sequence[float]) -> Comparison:
    """Welch's two-sided t-test of mean(a) − mean(b)."""
    delta = mean(a) - mean(b)
    if len(a) < 2 or len(b) < 2:
        return Comparison(delta, None)
    va, vb = std(a) ** 2 / len(a), std(b) ** 2 / len(b)
    se2 = va + vb
    if se2 == 0:  # no spread in either arm: any difference is beyond the (zero) noise
        return Comparison(delta, 1.0 if delta == 0 else 0.0)
    t = delta / math.sqrt(se2)
    df = se2 ** 2 / ((va ** 2 / (len(a) - 1) if va else 0.0) + (vb ** 2 / (len(b) - 1) if vb else 0.0))
    return Comparison(delta, 2 * t_sf(abs(t), df), df)


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm–Bonferroni adjusted p-values, in the given order; ``None`` (no test) stays ``None`` and is
    not counted. The k-th smallest of m p-values is multiplied by m − k + 1, capped at 1, and made
    non-decreasing in rank, so "adjusted p < α" is Holm's step-down rule at family-wise error α."""
    ranked = sorted((p, i) for i, p in enumerate(pvalues) if p is not None and not math.isnan(p))
    adjusted: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, (p, index) in enumerate(ranked):
        running = max(running, min(1.0, (len(ranked) - rank) * p))
        adjusted[index] = running
    return adjusted


def adjust(comparisons: Sequence[Comparison]) -> None:
    """Holm-correct a family of comparisons in place (their ``p_adjusted``)."""
    for comparison, p in zip(comparisons, holm([c.p if c.tested else None for c in comparisons])):
        comparison.p_adjusted = p


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    try:
        from scipy.stats import t as student_t
    except ImportError:
        return t_sf_builtin(t, df)
    return float(student_t.sf(t, df))


def t_sf_builtin(t: float, df: float) -> float:
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2, 0.5, x)
    return tail if t >= 0 else 1 - tail


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b), by its continued fraction (Lentz's method)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x > (a + 1) / (a + b + 2):  # the fraction converges fast on this side only
        return 1.0 - betainc(b, a, 1.0 - x)
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return math.exp(log_front) * result / a
