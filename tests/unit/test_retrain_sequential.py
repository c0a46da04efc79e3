"""The A/B verdict's guarantees, by seeded simulation: read after every batch of outcomes, the mSPRT
declares a false winner in A/A tests no more often than α allows (with its Monte-Carlo margin), and a
challenger truly better by the planned effect wins at least as often as the planned power. A naive
z-test peeking the same way is shown to fail, as Armitage, McPherson & Rowe (1969) found."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lifecycle.retrain import power, sequential

RUNS, LOOKS, ALPHA, POWER = 500, 30, 0.05, 0.8
BASELINE, MDE, SHARE = 0.80, 0.05, 0.3


def _margin(rate: float) -> float:
    """One-sided 99% Monte-Carlo margin of a rate estimated from RUNS runs."""
    return 2.326 * math.sqrt(rate * (1 - rate) / RUNS)


@pytest.fixture(scope="module")
def plan():
    return power.plan_proportions(BASELINE, MDE, alpha=ALPHA, power=POWER, share=SHARE)


def _runs(plan, challenger_rate: float, seed: int):
    rng = np.random.default_rng(seed)
    arm = rng.random((RUNS, plan.outcomes)) < SHARE
    rate = np.where(arm, challenger_rate, BASELINE)
    return arm, (rng.random((RUNS, plan.outcomes)) < rate).astype(float)


def _looks(plan) -> np.ndarray:
    return np.linspace(0, plan.outcomes, LOOKS + 1).astype(int)[1:] - 1  # after each batch of outcomes


def test_a_a_tests_read_after_every_batch_keep_the_false_winner_rate(plan):
    arm, y = _runs(plan, BASELINE, seed=1)
    found = sequential.paths(arm, y, tau2=plan.tau2, alpha=ALPHA)
    looks = _looks(plan)
    false_winners = float((found["p_value"][:, looks] <= ALPHA).any(axis=1).mean())
    assert false_winners <= ALPHA + _margin(ALPHA)
    # the same runs read by a naive z-test at every look: far more false winners
    naive = float((np.abs(sequential.pooled_z(arm, y)[:, looks]) > 1.959964).any(axis=1).mean())
    assert naive > 3 * ALPHA
    # the p-value is valid at every single outcome too, not only at the looks
    assert float((found["p_value"][:, -1] <= ALPHA).mean()) <= ALPHA + _margin(ALPHA)


def test_a_truly_better_challenger_wins_with_at_least_the_planned_power(plan):
    arm, y = _runs(plan, BASELINE + MDE, seed=2)
    found = sequential.paths(arm, y, tau2=plan.tau2, alpha=ALPHA)
    looks = _looks(plan)
    decided = (found["p_value"][:, looks] <= ALPHA).any(axis=1)
    wins = float((decided & (found["low"][:, -1] > 0)).mean())
    assert wins >= POWER - _margin(POWER)


def test_the_p_value_and_the_interval_agree_and_only_tighten():
    rng = np.random.default_rng(4)
    arm = rng.random(4000) < 0.5
    y = (rng.random(4000) < np.where(arm, 0.86, 0.80)).astype(float)
    found = sequential.paths(arm, y, tau2=1e-3, alpha=ALPHA)
    excluded = (found["low"] > 0) | (found["high"] < 0)
    assert np.array_equal(found["p_value"] <= ALPHA, excluded)
    assert np.all(np.diff(found["p_value"]) <= 0)
    ready = np.isfinite(found["low"])
    assert np.all(np.diff(found["low"][ready]) >= 0) and np.all(np.diff(found["high"][ready]) <= 0)
    assert np.all(found["p_value"][~ready] == 1.0)  # before both arms have MIN_PER_ARM, no evidence counts
    result = sequential.msprt(arm, y, tau2=1e-3, alpha=ALPHA)
    assert result.effect == pytest.approx(y[arm].mean() - y[~arm].mean()) and result.p_value == found["p_value"][-1]
