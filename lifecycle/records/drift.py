"""Records of drift monitoring: a project's drift rules, a model version's reference profile and
the statistics stored per window and feature (see ``lifecycle.monitor.drift``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

INPUT, PREDICTION = "input", "prediction"  # where a monitored column comes from
SOURCES = (INPUT, PREDICTION)
NUMERIC, CATEGORICAL = "numeric", "categorical"

NUMERIC_TESTS = ("ks",)  # tests with a p-value, by column type
CATEGORICAL_TESTS = ("chi2",)
NUMERIC_EFFECTS = ("wasserstein", "psi", "ks")  # effect sizes, by column type
CATEGORICAL_EFFECTS = ("jensen_shannon", "psi")


@dataclass(frozen=True, kw_only=True)
class ColumnRule:
    """How drift is called on one type of column: ``test`` (a statistical test with a p-value,
    adjusted across features; None: the effect alone decides), ``effect`` (the effect size shown
    beside the p-value) and ``min_effect`` (below it nothing is called)."""

    test: str | None
    effect: str
    min_effect: float

    def to_dict(self) -> dict[str, Any]:
        return {"test": self.test, "effect": self.effect, "min_effect": self.min_effect}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnRule:
        return cls(test=data.get("test"), effect=str(data["effect"]), min_effect=float(data["min_effect"]))


@dataclass(frozen=True, kw_only=True)
class DriftConfig:
    """A project's drift rules (defaults in ``lifecycle.monitor.drift_config``).

    ``alpha``: the false discovery rate of Benjamini–Hochberg across a window's features;
    ``min_rows``: a window with fewer rows than this calls no drift; ``consecutive``: drift is
    confirmed after this many drifting windows in a row; ``window_seconds``: the window size
    drift is judged on (alerts, ``monitor refresh``); ``features``: a rule per feature name that
    overrides its type's rule."""

    numeric: ColumnRule
    categorical: ColumnRule
    alpha: float
    min_rows: int
    consecutive: int
    window_seconds: int
    features: Mapping[str, ColumnRule] = field(default_factory=dict)

    def rule(self, feature: str, kind: str) -> ColumnRule:
        """The rule for ``feature`` of ``kind`` (numeric or categorical)."""
        if feature in self.features:
            return self.features[feature]
        return self.numeric if kind == NUMERIC else self.categorical

    def to_dict(self) -> dict[str, Any]:
        return {"numeric": self.numeric.to_dict(), "categorical": self.categorical.to_dict(), "alpha": self.alpha,
                "min_rows": self.min_rows, "consecutive": self.consecutive, "window_seconds": self.window_seconds,
                "features": {name: rule.to_dict() for name, rule in sorted(self.features.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftConfig:
        return cls(numeric=ColumnRule.from_dict(data["numeric"]), categorical=ColumnRule.from_dict(data["categorical"]),
                   alpha=float(data["alpha"]), min_rows=int(data["min_rows"]), consecutive=int(data["consecutive"]),
                   window_seconds=int(data["window_seconds"]),
                   features={name: ColumnRule.from_dict(rule) for name, rule in (data.get("features") or {}).items()})


@dataclass(frozen=True, kw_only=True)
class ReferenceColumn:
    """One monitored column of a reference profile: an input feature, the predicted class or value
    (``prediction``) or the positive class's probability (``score``)."""

    source: str  # input or prediction
    name: str
    kind: str  # numeric or categorical
    dtype: str  # the input schema's type (integer, float, string, boolean, ...)
    rows: int  # non-empty reference values
    missing: int  # empty reference values
    mean: float | None = None  # numeric columns
    std: float | None = None  # population standard deviation (ddof 0), numeric columns


@dataclass(frozen=True, kw_only=True)
class ReferenceProfile:
    """What a model version's traffic is compared with: its training split's inputs, its
    predictions on the held-out test rows, and its training labels. Built once per version."""

    id: int
    project_id: int
    model_version_id: int
    dataset_id: int | None
    split_id: int | None
    rows: int  # training rows
    prediction_rows: int  # test rows predicted
    columns: tuple[ReferenceColumn, ...]
    labels: Mapping[str, int]  # training label counts, by class as the target names it
    positive_class: str | None  # the class whose probability is the score (binary tasks)
    created_at: datetime
    created_by: str

    def column(self, source: str, name: str) -> ReferenceColumn | None:
        return next((c for c in self.columns if c.source == source and c.name == name), None)


@dataclass(frozen=True, kw_only=True)
class DriftStatistics:
    """The statistics of one feature in one window, as stored (every statistic of its type is
    computed, so changing the rules never needs the log again). ``exact`` is false when a large
    window was compared on the reference's grid: the exact KS then lies in
    ``[ks, ks + ks_bound]`` and the exact normalised Wasserstein within ``wasserstein_bound`` of
    ``wasserstein_norm`` (both bounds 0 when exact). ``wasserstein`` is in the feature's units,
    ``wasserstein_norm`` in reference standard deviations."""

    project_id: int
    model_version_id: int
    size_seconds: int
    window_start: datetime
    source: str
    feature: str
    kind: str
    status: str  # ok, or missing (no value in the window)
    window_rows: int  # rows of the window (the version's answered rows)
    n_current: int  # non-empty values of the feature
    n_missing: int  # empty, absent or unreadable values
    n_reference: int
    mean_current: float | None = None
    ks: float | None = None
    ks_p: float | None = None
    ks_bound: float | None = None
    wasserstein: float | None = None
    wasserstein_norm: float | None = None
    wasserstein_bound: float | None = None
    psi: float | None = None
    chi2: float | None = None
    chi2_p: float | None = None
    chi2_dof: int | None = None
    jensen_shannon: float | None = None
    unseen: int | None = None  # values of categories the reference never had (None: over 200 categories, merged)
    exact: bool = True
    histogram: Mapping[str, Any] = field(default_factory=dict)  # the window's counts for charts
    computed_at: datetime | None = None

    def value(self, statistic: str) -> float | None:
        """A statistic by name: ks, wasserstein (normalised), psi, chi2, jensen_shannon."""
        return {"ks": self.ks, "wasserstein": self.wasserstein_norm, "psi": self.psi, "chi2": self.chi2,
                "jensen_shannon": self.jensen_shannon}[statistic]

    def p_value(self, test: str | None) -> float | None:
        return {"ks": self.ks_p, "chi2": self.chi2_p}.get(test) if test else None
