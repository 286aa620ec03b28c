"""Holm–Bonferroni: adjusted p-values against examples worked by hand, and the marks they give."""

from __future__ import annotations

import pytest

from srzoo_core.experiments import stats


def test_holm_by_hand():
    # sorted: 0.005 ×4 = 0.02; 0.01 ×3 = 0.03; 0.03 ×2 = 0.06; 0.04 ×1 = 0.04, raised to 0.06 (never below a smaller p's)
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_skips_untested_and_caps_at_one():
    # two tests, not three: 0.04 ×2 = 0.08; 0.7 ×1 = 0.7
    assert stats.holm([0.04, None, 0.7]) == [pytest.approx(0.08), None, pytest.approx(0.7)]
    assert stats.holm([0.3, 0.6, 0.9]) == pytest.approx([0.9, 1.0, 1.0])
    assert stats.holm([]) == [] and stats.holm([None]) == [None]


def test_holm_of_one_test_is_the_raw_p():
    assert stats.holm([0.03]) == [0.03]


def test_adjusted_p_decides_the_mark():
    significant = stats.Comparison(delta=0.3, p=0.03)
    noise = stats.Comparison(delta=0.0, p=0.5)
    untested = stats.Comparison(delta=1.0, p=None)
    assert significant.verdict == "*"  # alone, p = 0.03 < 0.05
    stats.adjust([significant, noise, untested])
    assert significant.p == 0.03 and significant.p_adjusted == pytest.approx(0.06)  # two tests: 0.03 × 2
    assert significant.verdict == "≈" and noise.verdict == "≈"
    assert untested.p_adjusted is None and untested.verdict == "?"
