"""Seed statistics: the Welch test against scipy, the built-in Student t tail, and the verdicts."""

from __future__ import annotations

import math

import pytest

from srzoo_core.experiments import stats


def test_mean_and_sample_std():
    assert stats.mean([1.0, 2.0, 3.0]) == 2.0
    assert stats.std([1.0, 2.0, 3.0]) == pytest.approx(1.0)
    assert math.isnan(stats.std([1.0]))


@pytest.mark.parametrize("t", [0.0, 0.3, 1.0, 2.5, 7.0, 40.0])
@pytest.mark.parametrize("df", [1.0, 1.7, 2.0, 5.5, 30.0, 300.0])
def test_builtin_t_tail_matches_scipy(t, df):
    scipy_stats = pytest.importorskip("scipy.stats")
    assert stats.t_sf_builtin(t, df) == pytest.approx(float(scipy_stats.t.sf(t, df)), rel=1e-9, abs=1e-15)
    assert stats.t_sf_builtin(-t, df) == pytest.approx(float(scipy_stats.t.sf(-t, df)), rel=1e-9)


def test_builtin_t_tail_known_values():
    assert stats.t_sf_builtin(12.706204736, 1) == pytest.approx(0.025, rel=1e-6)   # the t table's 97.5% point, df 1
    assert stats.t_sf_builtin(2.228138852, 10) == pytest.approx(0.025, rel=1e-6)


def test_welch_matches_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    a, b = [31.2, 31.5, 31.1], [30.9, 31.0, 30.2, 30.8]
    expected = scipy_stats.ttest_ind(a, b, equal_var=False)
    result = stats.welch(a, b)
    assert result.delta == pytest.approx(stats.mean(a) - stats.mean(b))
    assert result.p == pytest.approx(float(expected.pvalue), rel=1e-9)
    assert result.df == pytest.approx(float(expected.df), rel=1e-9)


def test_welch_by_hand():
    # a: mean 2, var 1 (n 3); b: mean 0, var 1 (n 3): t = 2 / sqrt(2/3), df = 4
    result = stats.welch([1.0, 2.0, 3.0], [-1.0, 0.0, 1.0])
    assert result.df == pytest.approx(4.0)
    assert result.p == pytest.approx(2 * stats.t_sf_builtin(2 / math.sqrt(2 / 3), 4.0), rel=1e-9)
    assert result.verdict == "≈"  # p ≈ 0.07


def test_verdicts():
    assert stats.welch([1.0, 1.1], [5.0, 5.1]).verdict == "*"
    assert stats.welch([1.0, 3.0], [1.5, 2.5]).verdict == "≈"
    single = stats.welch([1.0], [2.0, 2.1])
    assert single.p is None and single.verdict == "?" and single.delta == pytest.approx(-1.05)
    assert stats.welch([1.0, 1.0], [1.0, 1.0]).verdict == "≈"
    assert stats.welch([1.0, 1.0], [2.0, 2.0]).verdict == "*"
