"""The Retrain stage's statistics against their references: McNemar and power with statsmodels, the
paired bootstrap with scipy, DeLong with a published worked example and with the 1988 paper's formula."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.power import NormalIndPower, zt_ind_solve_power
from statsmodels.stats.proportion import proportion_effectsize

from lifecycle.errors import InputError
from lifecycle.retrain import power, sequential
from lifecycle.retrain.stats_tests import auc_variance, delong_test, mcnemar_test, paired_bootstrap


def _paired(both, only_a, only_b, neither):
    a = np.array([1] * both + [1] * only_a + [0] * only_b + [0] * neither, dtype=bool)
    b = np.array([1] * both + [0] * only_a + [1] * only_b + [0] * neither, dtype=bool)
    return a, b


@pytest.mark.parametrize("cells", [(50, 2, 8, 10), (400, 30, 55, 60)])
def test_mcnemar_matches_statsmodels(cells):
    a, b = _paired(*cells)
    found = mcnemar_test(a, b)
    exact = cells[1] + cells[2] < 25
    reference = mcnemar(np.array([[cells[0], cells[1]], [cells[2], cells[3]]]), exact=exact, correction=True)
    assert found.table == ((cells[0], cells[1]), (cells[2], cells[3])) and found.exact == exact
    assert found.p_value == pytest.approx(reference.pvalue) and found.statistic == pytest.approx(reference.statistic)


def test_mcnemar_exact_is_the_two_sided_binomial_on_the_discordant_pairs():
    a, b = _paired(50, 2, 8, 10)  # 10 discordant: 2 against 8
    assert mcnemar_test(a, b).p_value == pytest.approx(2 * stats.binom.cdf(2, 10, 0.5))
    with pytest.raises(ValueError, match="paired"):
        mcnemar_test(a, b[:-1])


@pytest.mark.parametrize("share", [0.5, 0.2])
def test_sample_size_is_statsmodels(share):
    plan = power.plan_proportions(0.80, 0.05, alpha=0.05, power=0.8, share=share)
    effect = proportion_effectsize(0.85, 0.80)
    ratio = share / (1 - share)
    nobs1 = zt_ind_solve_power(effect_size=effect, alpha=0.05, power=0.8, ratio=ratio, alternative="two-sided")
    assert plan.fixed_champion == math.ceil(nobs1) and plan.fixed_challenger == math.ceil(nobs1 * ratio)
    # the textbook closed form for equal groups: n = 2 (z_{1-α/2} + z_power)² / h² per group
    if share == 0.5:
        closed = 2 * (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 / effect ** 2
        assert plan.fixed_champion == math.ceil(closed)
    z_b = sequential.boundary_z(0.05)
    inflation = ((z_b + stats.norm.ppf(0.8)) / (stats.norm.ppf(0.975) + stats.norm.ppf(0.8))) ** 2
    assert plan.outcomes == math.ceil(plan.fixed_total * inflation) and plan.outcomes > plan.fixed_total


def test_sample_size_for_means_is_statsmodels_and_bad_plans_are_refused():
    plan = power.plan_means(2.0, 1.5, 0.2, alpha=0.01, power=0.9, share=0.3)
    nobs1 = NormalIndPower().solve_power(effect_size=0.2 / 1.5, alpha=0.01, power=0.9, ratio=0.3 / 0.7)
    assert plan.fixed_champion == math.ceil(nobs1)
    for bad in ({"share": 1.0}, {"share": 0.0}, {"alpha": 0.7}, {"power": 1.0}):
        with pytest.raises(InputError):
            power.plan_proportions(0.8, 0.05, **bad)
    with pytest.raises(InputError, match="not positive"):
        power.plan_proportions(0.8, 0.0)


def test_the_mixing_variance_makes_the_boundary_lowest_at_the_horizon():
    # (1 + 1/r)(2 log(1/α) + log(1 + r)) at its minimum, checked on a grid
    grid = np.exp(np.linspace(-3, 6, 20001))
    values = (1 + 1 / grid) * (2 * np.log(20) + np.log1p(grid))
    assert sequential.boundary_z(0.05) == pytest.approx(math.sqrt(values.min()), rel=1e-6)
    assert sequential.tuned_tau2(2.0, 0.05) == pytest.approx(2.0 * grid[values.argmin()], rel=1e-3)


def test_paired_bootstrap_is_scipys_on_the_same_resamples():
    rng = np.random.default_rng(3)
    right_a = rng.random(300) < 0.78
    right_b = rng.random(300) < 0.84

    def accuracy_difference(rows):
        return right_b[rows].mean() - right_a[rows].mean()

    found = paired_bootstrap(accuracy_difference, 300, n_resamples=999, seed=11)
    # the same difference as a one-sample mean of per-row differences: scipy draws the same rows
    reference = stats.bootstrap((right_b.astype(float) - right_a,), np.mean, n_resamples=999, method="percentile",
                                rng=np.random.default_rng(11))
    assert found.difference == pytest.approx(right_b.mean() - right_a.mean())
    assert (found.low, found.high) == pytest.approx((reference.confidence_interval.low,
                                                     reference.confidence_interval.high))


def test_paired_bootstrap_leaves_undefined_resamples_out():
    rng = np.random.default_rng(5)
    y = np.array([0] * 9 + [1] * 3)  # some resamples hold no positive row: ROC AUC is undefined there
    a, b = rng.normal(size=12) + y, rng.normal(size=12) + 2 * y
    seen = []

    def auc_difference(rows):
        value = np.nan if len(set(y[rows])) < 2 else roc_auc_score(y[rows], b[rows]) - roc_auc_score(y[rows], a[rows])
        seen.append(value)
        return value

    found = paired_bootstrap(auc_difference, 12, n_resamples=400, seed=0)
    resampled = np.array(seen[1:])  # the first call is the point estimate on all rows
    assert np.isnan(resampled).any() and found.difference == pytest.approx(seen[0])
    finite = resampled[np.isfinite(resampled)]
    assert (found.low, found.high) == pytest.approx(tuple(np.percentile(finite, [2.5, 97.5])))


# Hanley & McNeil (1982, Radiology 143:29–36, Table 1): CT ratings 1–5 of 58 normal and 51 abnormal
# patients. Stata's [R] roctab manual (Example 1) reports on these data ROC area 0.8932, Std. Err.
# 0.0307 (DeLong's method, its default) and the asymptotic normal 95% interval 0.83295 to 0.95339.
NORMAL = [33, 6, 6, 11, 2]
ABNORMAL = [3, 2, 2, 11, 33]


def _ratings():
    y = np.array([0] * sum(NORMAL) + [1] * sum(ABNORMAL))
    rating = np.concatenate([np.repeat(np.arange(1, 6), NORMAL), np.repeat(np.arange(1, 6), ABNORMAL)]).astype(float)
    return y, rating


def test_delong_standard_error_matches_the_published_example():
    y, rating = _ratings()
    auc, se = auc_variance(y, rating)
    assert round(auc, 4) == 0.8932 and round(se, 4) == 0.0307
    z = stats.norm.ppf(0.975)
    assert (round(auc - z * se, 5), round(auc + z * se, 5)) == (0.83295, 0.95339)


def _delong_by_pairs(y, a, b):
    """DeLong et al. (1988) as written: the m × n kernel matrix of each score, its row and column means
    (the structural components), and their covariance."""
    pos, neg = y == 1, y == 0
    components = []
    for score in (a, b):
        kernel = (score[pos][:, None] > score[neg][None, :]) + 0.5 * (score[pos][:, None] == score[neg][None, :])
        components.append((kernel.mean(), kernel.mean(axis=1), kernel.mean(axis=0)))
    (auc_a, v10_a, v01_a), (auc_b, v10_b, v01_b) = components
    m, n = pos.sum(), neg.sum()
    s10, s01 = np.cov(np.vstack([v10_a, v10_b])), np.cov(np.vstack([v01_a, v01_b]))
    variance = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / n
    return auc_a, auc_b, math.sqrt(variance)


def test_fast_delong_equals_the_pair_formula_and_scikit_learn():
    rng = np.random.default_rng(7)
    y = (rng.random(240) < 0.35).astype(int)
    a = np.round(y * 0.8 + rng.normal(size=240), 1)  # rounded: ties on purpose
    b = np.round(y * 1.2 + rng.normal(size=240) + 0.3 * a, 1)
    found = delong_test(y, a, b)
    auc_a, auc_b, se = _delong_by_pairs(y, a, b)
    assert (found.auc_a, found.auc_b) == pytest.approx((roc_auc_score(y, a), roc_auc_score(y, b)))
    assert (found.auc_a, found.auc_b, found.se) == pytest.approx((auc_a, auc_b, se))
    assert found.z == pytest.approx((auc_b - auc_a) / se)
    assert found.p_value == pytest.approx(2 * stats.norm.sf(abs(found.z)))
    assert found.low < found.difference < found.high


def test_delong_of_a_score_against_itself_finds_nothing_and_one_class_is_refused():
    y, rating = _ratings()
    same = delong_test(y, rating, rating)
    assert same.difference == 0 and same.se == 0 and same.z is None and same.p_value == 1.0
    with pytest.raises(ValueError, match="both present"):
        delong_test(np.ones(5, int), np.arange(5.0), np.arange(5.0))
