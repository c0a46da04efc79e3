"""Decisions on stored drift statistics: when a feature drifts in a window, and when drift is confirmed.

A feature drifts in a window when all of these hold (the rules of ``DriftConfig``):

1. the window holds at least ``min_rows`` rows (else "too few rows": nothing is called);
2. the feature has values in the window and in the reference (else "missing");
3. its test's p-value, adjusted by Benjamini–Hochberg across the window's tested features
   (``statsmodels.stats.multitest.multipletests(method="fdr_bh")``; inputs and the model's outputs
   are separate families), is at most ``alpha`` (a rule without a test skips this);
4. its effect size is at least the rule's ``min_effect``.

Drift is **confirmed** once ``consecutive`` complete windows in a row drift. Windows without a
decision (no rows, too few rows, the feature missing) neither extend nor break a run; the open
window (still filling) is shown but counts only once it is complete. Decisions are made when read,
from the stored statistics, so a changed rule applies to all history without reading the log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Sequence

import numpy as np
from statsmodels.stats.multitest import multipletests

from lifecycle.records import DriftConfig, DriftStatistics
from lifecycle.records.drift import INPUT

DRIFT, NO_DRIFT, TOO_FEW_ROWS, MISSING, NO_REFERENCE = "drift", "no_drift", "too_few_rows", "missing", "no_reference"
DECIDED = (DRIFT, NO_DRIFT)
# A window is complete when its statistics were computed this long after it closed: the scoring
# service writes its log every few seconds, and rows that still arrive later change the window's
# row count, which makes the next refresh compute it again.
SETTLE_SECONDS = 60


def is_complete(computed_at: datetime | None, window_end: datetime) -> bool:
    """Whether statistics computed at ``computed_at`` saw the whole window ending at ``window_end``."""
    return computed_at is not None and computed_at >= window_end + timedelta(seconds=SETTLE_SECONDS)


@dataclass(frozen=True, kw_only=True)
class FeatureDrift:
    """One feature in one window, judged: the test (``statistic``, its value, p-value and
    Benjamini–Hochberg adjusted p-value), the effect size beside it, whether it drifts, whether
    drift is confirmed (``streak`` drifting complete windows in a row, at least ``consecutive``),
    and its impact (effect × the feature's share of the model's SHAP importance, or the effect
    alone when no explanation is stored: ``weighted`` says which)."""

    window_start: datetime
    window_end: datetime
    complete: bool  # computed after the window closed
    source: str  # input or prediction
    feature: str
    kind: str
    status: str  # drift, no_drift, too_few_rows, missing, no_reference
    reason: str
    statistic: str  # the test (ks, chi2) or, for a rule without one, the effect
    statistic_value: float | None
    p_value: float | None
    adjusted_p_value: float | None
    effect_name: str
    effect: float | None
    min_effect: float
    drift: bool
    confirmed: bool
    streak: int
    impact: float | None
    importance_share: float | None
    weighted: bool
    n_current: int
    n_reference: int
    n_missing: int
    window_rows: int
    statistics: DriftStatistics


@dataclass(frozen=True, kw_only=True)
class DriftConfirmation:
    """A run of at least ``consecutive`` drifting complete windows of one feature: its first and
    last window, how many windows, and the numbers of the last one. ``ongoing`` when no decided
    window without drift has followed it."""

    source: str
    feature: str
    kind: str
    first_window: datetime
    last_window: datetime
    windows: int
    effect_name: str
    effect: float
    p_value: float | None
    adjusted_p_value: float | None
    impact: float | None
    ongoing: bool


def _statistic_value(stats: DriftStatistics, test: str | None, effect: str) -> float | None:
    return stats.value(test) if test else stats.value(effect)


def _reason(status: str, stats: DriftStatistics, config: DriftConfig, effect_name: str, effect, min_effect,
            adjusted, test) -> str:
    if status == TOO_FEW_ROWS:
        return f"too few rows: {stats.window_rows:,} in the window, {config.min_rows:,} needed"
    if status == MISSING:
        return "missing: no value for this feature in the window"
    if status == NO_REFERENCE:
        return "no reference: the training rows have no value for this feature"
    small = effect is None or effect < min_effect
    significant = test is None or (adjusted is not None and adjusted <= config.alpha)
    if status == DRIFT:
        return f"{effect_name} {effect:.3g} ≥ {min_effect:g}" + (f", adjusted p {adjusted:.2g}" if test else "")
    if not significant:
        return f"not significant (adjusted p {adjusted:.2g} > {config.alpha:g})"
    return f"effect too small ({effect_name} {effect:.3g} < {min_effect:g})" if small else "no drift"


def decide_window(statistics: Sequence[DriftStatistics], config: DriftConfig) -> list[dict]:
    """Per statistic (same order): status, statistic, p-value, adjusted p-value, effect, drift, reason."""
    rules = [config.rule(s.feature, s.kind) for s in statistics]
    status = []
    for stats in statistics:
        if stats.status == "no_reference":
            status.append(NO_REFERENCE)
        elif stats.window_rows < config.min_rows:
            status.append(TOO_FEW_ROWS)
        elif stats.status != "ok":
            status.append(MISSING)
        else:
            status.append(None)
    adjusted: list[float | None] = [None] * len(statistics)
    rejected = [False] * len(statistics)
    for family in {s.source for s in statistics}:
        tested = [i for i, s in enumerate(statistics) if s.source == family and status[i] is None and rules[i].test
                  and s.p_value(rules[i].test) is not None]
        if not tested:
            continue
        reject, corrected, _, _ = multipletests([statistics[i].p_value(rules[i].test) for i in tested],
                                                alpha=config.alpha, method="fdr_bh")
        for i, r, p in zip(tested, reject, corrected):
            rejected[i], adjusted[i] = bool(r), float(p)
    out = []
    for i, (stats, rule) in enumerate(zip(statistics, rules)):
        effect = stats.value(rule.effect)
        if status[i] is None:
            significant = rejected[i] if rule.test else True
            status[i] = DRIFT if significant and effect is not None and effect >= rule.min_effect else NO_DRIFT
        out.append({"status": status[i], "statistic": rule.test or rule.effect,
                    "statistic_value": _statistic_value(stats, rule.test, rule.effect),
                    "p_value": stats.p_value(rule.test), "adjusted_p_value": adjusted[i], "effect_name": rule.effect,
                    "effect": effect, "min_effect": rule.min_effect, "drift": status[i] == DRIFT,
                    "reason": _reason(status[i], stats, config, rule.effect, effect, rule.min_effect, adjusted[i],
                                      rule.test)})
    return out


def judge(history: Sequence[DriftStatistics], config: DriftConfig, *,
          importance: Mapping[str, float] | None = None) -> list[FeatureDrift]:
    """Every stored (window, feature) judged, oldest window first, with its confirmation streak.
    ``importance``: each input feature's share of the SHAP importance (None: unweighted)."""
    by_window: dict[datetime, list[DriftStatistics]] = {}
    for stats in history:
        by_window.setdefault(stats.window_start, []).append(stats)
    streaks: dict[tuple[str, str], int] = {}
    out = []
    for start in sorted(by_window):
        window = by_window[start]
        size = window[0].size_seconds
        end = start + timedelta(seconds=size)
        for stats, decision in zip(window, decide_window(window, config)):
            key = (stats.source, stats.feature)
            complete = is_complete(stats.computed_at, end)
            streak = streaks.get(key, 0)
            if complete and decision["status"] in DECIDED:
                streak = streak + 1 if decision["drift"] else 0
                streaks[key] = streak
            share = None
            if importance is not None and stats.source == INPUT:
                share = float(importance.get(stats.feature, 0.0))
            effect = decision["effect"]
            if stats.source != INPUT or effect is None:
                impact = None
            else:
                impact = effect * share if importance is not None else effect
            out.append(FeatureDrift(window_start=start, window_end=end, complete=complete, source=stats.source,
                                    feature=stats.feature, kind=stats.kind, confirmed=streak >= config.consecutive,
                                    streak=streak, impact=impact, importance_share=share,
                                    weighted=importance is not None, n_current=stats.n_current,
                                    n_reference=stats.n_reference, n_missing=stats.n_missing,
                                    window_rows=stats.window_rows, statistics=stats, **decision))
    return out


def confirmations(judged: Sequence[FeatureDrift], consecutive: int) -> list[DriftConfirmation]:
    """Each run of at least ``consecutive`` drifting complete windows per feature, oldest first."""
    runs: dict[tuple[str, str], list[FeatureDrift]] = {}
    found: list[DriftConfirmation] = []

    def close(key: tuple[str, str], ongoing: bool) -> None:
        run = runs.pop(key, [])
        if len(run) >= consecutive:
            last = run[-1]
            found.append(DriftConfirmation(source=last.source, feature=last.feature, kind=last.kind,
                                           first_window=run[0].window_start, last_window=last.window_start,
                                           windows=len(run), effect_name=last.effect_name, effect=float(last.effect),
                                           p_value=last.p_value, adjusted_p_value=last.adjusted_p_value,
                                           impact=last.impact, ongoing=ongoing))

    for item in judged:
        if not item.complete or item.status not in DECIDED:
            continue
        key = (item.source, item.feature)
        if item.drift:
            runs.setdefault(key, []).append(item)
        else:
            close(key, ongoing=False)
    for key in list(runs):
        close(key, ongoing=True)
    return sorted(found, key=lambda c: (c.first_window, c.source, c.feature))


def rank(features: Sequence[FeatureDrift]) -> list[FeatureDrift]:
    """Confirmed first, then drifting, then by impact (largest first), inputs before outputs."""
    def key(item: FeatureDrift):
        impact = item.impact if item.impact is not None else (item.effect if item.effect is not None else -np.inf)
        return (item.source != INPUT, not item.confirmed, not item.drift, -impact, item.feature)
    return sorted(features, key=key)
