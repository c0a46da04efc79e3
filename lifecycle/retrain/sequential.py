"""The A/B verdict that stays valid however often it is read: a mixture sequential probability ratio
test (mSPRT) for the difference of two means or proportions, with its always-valid p-value and
confidence sequence.

Source: Johari, Koomen, Pekelis & Walsh, "Peeking at A/B Tests: Why it matters, and what to do about
it", KDD 2017 (and the longer "Always Valid Inference: Continuous Monitoring of A/B Tests",
Operations Research 70(3), 2022), the test behind Optimizely's Stats Engine; the mixture likelihood
ratio goes back to Robbins (1970). With θ̂ = ȳ_B − ȳ_A (challenger minus champion) and V its
variance, the likelihood ratio of H0: θ = θ0 mixed over θ ~ N(θ0, τ²) is

    Λ(θ0) = sqrt(V / (V + τ²)) · exp(τ² (θ̂ − θ0)² / (2 V (V + τ²))).

Under H0 it is a (super)martingale, so by Ville's inequality P(sup_n Λ_n ≥ 1/α) ≤ α: the test may
stop the first time Λ_n(0) ≥ 1/α, at any look, and the error stays at most α. The always-valid
p-value is p_n = min(1, min_{m ≤ n} 1/Λ_m(0)); the confidence sequence is the running intersection of
{θ0 : Λ_n(θ0) < 1/α}, i.e. θ̂_n ± sqrt(V(V+τ²)/τ² · (2 log(1/α) + log((V+τ²)/V))). Both are
computed at every prefix of the outcomes in arrival order, so the answer does not depend on when
anyone looked.

**The mixing variance τ².** τ² is the spread of effects the test is tuned to find. It is set from
the plan (``power``): τ² = r*·V_N, where V_N is the variance of θ̂ at the planned number of outcomes
and r* minimises the rejection boundary at that horizon, (1 + 1/r)(2 log(1/α) + log(1 + r)) in
squared standard errors (r* ≈ 8.6 for α = 0.05, a boundary of 3.04 standard errors against 1.96 for
a single fixed-horizon look). This follows the paper's advice to match τ to the effects and sample
sizes expected; any fixed τ² > 0 keeps the guarantee, only power moves.

**What is approximate.** V is estimated from the data (each arm's sample variance; for proportions
with one success and one failure added, Agresti & Caffo 2000, so an arm with no errors yet is not
certain), and Bernoulli outcomes are treated as Gaussian through the central limit theorem, as the
paper does for conversion rates. Evidence is counted only once each version has ``MIN_PER_ARM``
outcomes. The seeded simulation in ``tests/unit/test_retrain_sequential.py`` (500 A/A runs read after
every batch) checks the false-winner rate stays within α plus its Monte-Carlo margin.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MIN_PER_ARM = 30  # outcomes each version needs before any evidence counts (the CLT's usual floor)
_VARIANCE_FLOOR = 1e-12


@lru_cache(maxsize=32)
def _best_ratio(alpha: float) -> float:
    from scipy.optimize import minimize_scalar

    level = 2 * math.log(1 / alpha)
    found = minimize_scalar(lambda log_r: (1 + math.exp(-log_r)) * (level + math.log1p(math.exp(log_r))),
                            bounds=(-5.0, 10.0), method="bounded")
    return float(math.exp(found.x))


def boundary_z(alpha: float) -> float:
    """The mSPRT's rejection boundary, in standard errors of θ̂, at the horizon its τ² is tuned to
    (the lowest it gets): sqrt(min_r (1 + 1/r)(2 log(1/α) + log(1 + r)))."""
    r = _best_ratio(alpha)
    return math.sqrt((1 + 1 / r) * (2 * math.log(1 / alpha) + math.log1p(r)))


def tuned_tau2(variance_at_horizon: float, alpha: float) -> float:
    """τ² that makes the boundary lowest when θ̂'s variance is ``variance_at_horizon`` (see the module)."""
    return _best_ratio(alpha) * variance_at_horizon


def _arm_stats(arm: np.ndarray, y: np.ndarray, kind: str) -> tuple[np.ndarray, ...]:
    """Cumulative count, mean and variance of each arm at every prefix (last axis)."""
    out = []
    for mask in (~arm, arm):
        n = np.cumsum(mask, axis=-1)
        s1 = np.cumsum(np.where(mask, y, 0.0), axis=-1)
        safe = np.maximum(n, 1)
        mean = s1 / safe
        if kind == "proportion":
            adjusted = (s1 + 1) / (n + 2)  # Agresti & Caffo: a success and a failure added
            variance = adjusted * (1 - adjusted)
        else:
            s2 = np.cumsum(np.where(mask, y * y, 0.0), axis=-1)
            variance = np.maximum(s2 - s1 * s1 / safe, 0.0) / np.maximum(n - 1, 1)
        out += [n, mean, np.maximum(variance, _VARIANCE_FLOOR)]
    return tuple(out)


def paths(arm: np.ndarray, y: np.ndarray, *, tau2: float, alpha: float, kind: str = "proportion",
          min_per_arm: int = MIN_PER_ARM) -> dict[str, np.ndarray]:
    """The mSPRT at every prefix of the outcomes, vectorised over leading axes.

    ``arm``: booleans, True for an outcome of the challenger (B), False for the champion (A);
    ``y``: the outcomes (1/0 for right/wrong, or e.g. absolute errors), same shape, in arrival order
    along the last axis. Returns arrays of that shape: ``n_a``, ``n_b``, ``theta`` (ȳ_B − ȳ_A),
    ``variance`` (V), ``log_lr`` (log Λ(0), −inf before both arms have ``min_per_arm``), ``p_value``
    (always valid: running minimum), ``low``/``high`` (the confidence sequence at level 1 − α:
    running intersection; ±inf before evidence counts)."""
    arm = np.asarray(arm, dtype=bool)
    y = np.asarray(y, dtype=float)
    n_a, mean_a, var_a, n_b, mean_b, var_b = _arm_stats(arm, y, kind)
    ready = (n_a >= min_per_arm) & (n_b >= min_per_arm)
    variance = var_a / np.maximum(n_a, 1) + var_b / np.maximum(n_b, 1)
    theta = mean_b - mean_a
    total = variance + tau2
    log_lr = 0.5 * np.log(variance / total) + tau2 * theta ** 2 / (2 * variance * total)
    log_lr = np.where(ready, log_lr, -np.inf)
    p_value = np.minimum(1.0, np.exp(-np.maximum.accumulate(log_lr, axis=-1)))
    half = np.sqrt(variance * total / tau2 * (2 * math.log(1 / alpha) + np.log(total / variance)))
    low = np.maximum.accumulate(np.where(ready, theta - half, -np.inf), axis=-1)
    high = np.minimum.accumulate(np.where(ready, theta + half, np.inf), axis=-1)
    empty = low > high  # the running intersection closed up (a variance estimate was off): keep the latest interval
    low = np.where(empty, theta - half, low)
    high = np.where(empty, theta + half, high)
    return {"n_a": n_a, "n_b": n_b, "theta": theta, "variance": variance, "log_lr": log_lr, "p_value": p_value,
            "low": low, "high": high}


def pooled_z(arm: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The fixed-horizon two-proportion z statistic (pooled variance) at every prefix: valid when read
    once at the planned size, not when peeked at (kept to show how wrong peeking goes)."""
    arm = np.asarray(arm, dtype=bool)
    y = np.asarray(y, dtype=float)
    n_b = np.cumsum(arm, axis=-1)
    n_a = np.cumsum(~arm, axis=-1)
    s_b = np.cumsum(np.where(arm, y, 0.0), axis=-1)
    s_a = np.cumsum(np.where(arm, 0.0, y), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (s_a + s_b) / (n_a + n_b)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
        z = (s_b / n_b - s_a / n_a) / se
    return np.where(np.isfinite(z), z, 0.0)


@dataclass(frozen=True, kw_only=True)
class SequentialResult:
    """The mSPRT after the outcomes so far. ``effect`` is ȳ_B − ȳ_A; ``low``/``high`` the
    always-valid interval (None before evidence counts); ``decided`` when p ≤ α."""

    n_a: int
    n_b: int
    mean_a: float | None
    mean_b: float | None
    effect: float | None
    low: float | None
    high: float | None
    p_value: float
    alpha: float
    tau2: float
    min_per_arm: int
    test: str = "mSPRT (always-valid p-value and confidence sequence; Johari et al. 2017)"

    @property
    def ready(self) -> bool:
        """Both versions have enough outcomes for evidence to count."""
        return self.n_a >= self.min_per_arm and self.n_b >= self.min_per_arm

    @property
    def decided(self) -> bool:
        return self.p_value <= self.alpha

    @property
    def direction(self) -> int:
        """+1 when B's mean is surely higher, −1 surely lower, 0 undecided."""
        if not self.decided or self.low is None or self.high is None:
            return 0
        return 1 if self.low > 0 else -1 if self.high < 0 else 0


def msprt(arm: np.ndarray, y: np.ndarray, *, tau2: float, alpha: float, kind: str = "proportion",
          min_per_arm: int = MIN_PER_ARM) -> SequentialResult:
    """The mSPRT of one test's outcomes (1-D ``arm`` and ``y`` in arrival order; see :func:`paths`)."""
    arm = np.asarray(arm, dtype=bool)
    y = np.asarray(y, dtype=float)
    n_a, n_b = int((~arm).sum()), int(arm.sum())
    if arm.size == 0:
        return SequentialResult(n_a=0, n_b=0, mean_a=None, mean_b=None, effect=None, low=None, high=None,
                                p_value=1.0, alpha=alpha, tau2=tau2, min_per_arm=min_per_arm)
    path = paths(arm, y, tau2=tau2, alpha=alpha, kind=kind, min_per_arm=min_per_arm)
    mean_a = float(y[~arm].mean()) if n_a else None
    mean_b = float(y[arm].mean()) if n_b else None
    low, high = float(path["low"][-1]), float(path["high"][-1])
    return SequentialResult(n_a=n_a, n_b=n_b, mean_a=mean_a, mean_b=mean_b,
                            effect=None if mean_a is None or mean_b is None else mean_b - mean_a,
                            low=low if math.isfinite(low) else None, high=high if math.isfinite(high) else None,
                            p_value=float(path["p_value"][-1]), alpha=alpha, tau2=tau2, min_per_arm=min_per_arm)
