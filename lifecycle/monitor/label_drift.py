"""Label drift: the classes of the labels that came back, per window, against the training split's.

The performance part of the Monitor stage joins feedback to predictions and counts the labels of
each window; ``label_drift`` judges those counts with the categorical rule of the project's drift
configuration: chi-square on the 2 × k table (one test per window, at ``alpha``), the
Jensen–Shannon distance (or PSI) as the effect, nothing called under ``min_rows`` labels.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from lifecycle.monitor import drift_stats
from lifecycle.records import DriftConfig

OK, TOO_FEW_LABELS, NO_REFERENCE = "ok", "too_few_labels", "no_reference"


@dataclass(frozen=True, kw_only=True)
class LabelDrift:
    """The labels of one window against the training labels."""

    window_start: datetime
    labels: int  # labels counted in the window
    status: str  # ok, too_few_labels, no_reference
    chi2: float | None = None
    p_value: float | None = None
    jensen_shannon: float | None = None
    psi: float | None = None
    effect_name: str = ""
    effect: float | None = None
    drift: bool = False
    shares: Mapping[str, float] | None = None  # the window's share of each class


def label_drift(reference: Mapping[str, int], windows: Mapping[datetime, Mapping[str, int]],
                config: DriftConfig) -> list[LabelDrift]:
    """Each window's label counts (class -> count) judged against ``reference`` (the training
    split's counts, ``ReferenceProfile.labels``), oldest window first."""
    rule = config.categorical
    out = []
    for start in sorted(windows):
        counts = {str(k): int(v) for k, v in windows[start].items() if int(v) > 0}
        total = sum(counts.values())
        shares = {k: v / total for k, v in counts.items()} if total else {}
        if not reference or sum(reference.values()) == 0:
            out.append(LabelDrift(window_start=start, labels=total, status=NO_REFERENCE, shares=shares))
            continue
        if total < config.min_rows:
            out.append(LabelDrift(window_start=start, labels=total, status=TOO_FEW_LABELS, shares=shares))
            continue
        result = drift_stats.categorical(reference, counts)
        effect = result.jensen_shannon if rule.effect == "jensen_shannon" else result.psi
        significant = rule.test is None or result.chi2_p <= config.alpha
        out.append(LabelDrift(window_start=start, labels=total, status=OK, chi2=result.chi2, p_value=result.chi2_p,
                              jensen_shannon=result.jensen_shannon, psi=result.psi, effect_name=rule.effect,
                              effect=effect, drift=significant and effect >= rule.min_effect, shares=shares))
    return out
