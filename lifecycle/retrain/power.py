"""How many labelled outcomes an A/B test needs: the sample-size calculator.

The fixed-horizon size is statsmodels' (``NormalIndPower.solve_power``; for proportions with
Cohen's effect size h from ``proportion_effectsize``, for means with d = MDE / sd), for a
two-sided test at ``alpha`` with the challenger getting ``share`` of the outcomes.

The A/B verdict here is sequential (``sequential``: an always-valid mSPRT that may be read at every
refresh), and always-valid inference costs samples: its boundary at the planned size is higher
than 1.96. The size the test plans for is therefore the fixed-horizon size scaled by
``((z_boundary + z_power) / (z_{1−α/2} + z_power))²``, where ``z_boundary`` is the mSPRT's
boundary (in standard errors) at the horizon when τ² is tuned to it (``sequential.boundary_z``).
This ignores the chance of stopping before the horizon, so it is conservative: the simulation in
``tests/unit/test_retrain_sequential.py`` checks the power reached is at least the planned one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from lifecycle.errors import InputError
from lifecycle.retrain import sequential

PROPORTION, MEAN = "proportion", "mean"


@dataclass(frozen=True, kw_only=True)
class SamplePlan:
    """What an A/B test needs. ``kind`` is ``proportion`` (the share of right answers: baseline and
    MDE are proportions) or ``mean`` (mean absolute error: MDE in the target's units, ``sd`` the
    spread of one outcome). Sizes count labelled outcomes, both versions together."""

    kind: str
    baseline: float  # the champion's expected rate (proportion) or mean outcome (mean)
    mde: float  # smallest difference worth detecting, in the outcome's units
    sd: float  # standard deviation of one outcome at the baseline
    alpha: float
    power: float
    share: float  # the challenger's share of traffic
    effect_size: float  # Cohen's h (proportion) or d (mean), as statsmodels takes it
    fixed_champion: int  # fixed-horizon outcomes needed from the champion (statsmodels nobs1)
    fixed_challenger: int
    outcomes: int  # what the sequential test plans for (both versions)
    tau2: float  # the mSPRT's mixing variance, tuned to ``outcomes``

    @property
    def fixed_total(self) -> int:
        return self.fixed_champion + self.fixed_challenger

    @property
    def inflation(self) -> float:
        """How many times the fixed-horizon size the always-valid test plans for."""
        return self.outcomes / self.fixed_total

    def describe(self) -> str:
        unit = "points of accuracy" if self.kind == PROPORTION else "in mean absolute error"
        mde = f"{self.mde * 100:.3g}" if self.kind == PROPORTION else f"{self.mde:.4g}"
        return (f"{self.outcomes:,} labelled outcomes to detect {mde} {unit} with {self.power:.0%} power at "
                f"α = {self.alpha:g} (a fixed-horizon test would need {self.fixed_total:,}; always-valid "
                f"monitoring costs ×{self.inflation:.2f}).")


def _check(mde: float, alpha: float, power: float, share: float) -> None:
    if not 0 < share < 1:
        raise InputError(f"The challenger's share {share:g} is outside (0, 1).",
                         "Give it a share strictly between 0 and 1, e.g. 0.2 for a fifth of the traffic.")
    if not 0 < alpha < 0.5:
        raise InputError(f"The significance level {alpha:g} is outside (0, 0.5).", "Use e.g. 0.05.")
    if not 0.5 <= power < 1:
        raise InputError(f"The power {power:g} is outside [0.5, 1).", "Use e.g. 0.8.")
    if not mde > 0:
        raise InputError(f"The minimum detectable effect {mde:g} is not positive.",
                         "Give the smallest difference worth detecting, e.g. 0.02 (two points of accuracy).")


def _sizes(effect_size: float, alpha: float, power: float, share: float) -> tuple[int, int]:
    from statsmodels.stats.power import NormalIndPower

    ratio = share / (1 - share)  # challenger outcomes per champion outcome
    champion = NormalIndPower().solve_power(effect_size=effect_size, alpha=alpha, power=power, ratio=ratio,
                                            alternative="two-sided")
    champion = float(champion)
    return math.ceil(champion), math.ceil(champion * ratio)


def _plan(kind: str, baseline: float, mde: float, sd: float, effect_size: float, alpha: float, power: float,
          share: float) -> SamplePlan:
    champion, challenger = _sizes(effect_size, alpha, power, share)
    z_power = float(stats.norm.ppf(power))
    z_fixed = float(stats.norm.ppf(1 - alpha / 2))
    z_boundary = sequential.boundary_z(alpha)
    outcomes = math.ceil((champion + challenger) * ((z_boundary + z_power) / (z_fixed + z_power)) ** 2)
    variance = sd ** 2 * (1 / ((1 - share) * outcomes) + 1 / (share * outcomes))  # of the difference, at the horizon
    return SamplePlan(kind=kind, baseline=baseline, mde=mde, sd=sd, alpha=alpha, power=power, share=share,
                      effect_size=effect_size, fixed_champion=champion, fixed_challenger=challenger,
                      outcomes=outcomes, tau2=sequential.tuned_tau2(variance, alpha))


def plan_proportions(baseline: float, mde: float, *, alpha: float = 0.05, power: float = 0.8,
                     share: float = 0.5) -> SamplePlan:
    """Outcomes needed to detect a challenger right ``mde`` more often than a champion right at rate
    ``baseline`` (both in (0, 1)). Raises InputError for a value out of range."""
    from statsmodels.stats.proportion import proportion_effectsize

    _check(mde, alpha, power, share)
    if not 0 < baseline < 1:
        raise InputError(f"The champion's accuracy {baseline:g} is outside (0, 1).",
                         "Validate the champion again, or give its expected accuracy.")
    target = min(baseline + mde, 1 - 1e-9)
    effect = abs(float(proportion_effectsize(target, baseline)))
    return _plan(PROPORTION, baseline, mde, math.sqrt(baseline * (1 - baseline)), effect, alpha, power, share)


def plan_means(baseline: float, sd: float, mde: float, *, alpha: float = 0.05, power: float = 0.8,
               share: float = 0.5) -> SamplePlan:
    """Outcomes needed to detect a difference ``mde`` in a mean outcome (e.g. absolute error) whose
    standard deviation is ``sd``. Raises InputError for a value out of range."""
    _check(mde, alpha, power, share)
    if not sd > 0:
        raise InputError(f"The outcome's standard deviation {sd:g} is not positive.",
                         "Validate the champion again so its residuals give the spread.")
    return _plan(MEAN, baseline, mde, sd, mde / sd, alpha, power, share)
