"""One monitored column made ready to compare (its reference distribution, grid and bins), and
its statistics in a window from what the log query returned (``store.drift_log``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from lifecycle.monitor import drift_stats
from lifecycle.monitor.drift_grid import Distribution, Grid, GridCounts, ks_on_grid, wasserstein_on_grid
from lifecycle.records import ReferenceColumn
from lifecycle.records.drift import CATEGORICAL, NUMERIC, PREDICTION
from lifecycle.store.drift_log import INPUT, PREDICTION as FROM_PREDICTION, SCORE, ColumnAggregate, LogColumn

SCORE_NAME = "score"  # the prediction-source column holding the positive class's probability
TOP_CATEGORIES = 30  # categories a stored window histogram keeps by name (the rest are summed)

OK, MISSING, NO_REFERENCE = "ok", "missing", "no_reference"


NEW = "\x00new"  # values outside the reference's coded categories (new ones), counted together
NEW_LABEL = "(new categories)"
OTHER_LABEL = "(other categories)"  # the label of NEW when rare reference categories share it
MAX_CATEGORIES = 200  # categories counted one by one; a reference's rarer ones share one bucket


def logged_texts(category: str, dtype: str) -> tuple[str, ...]:
    """The texts the log can hold for a category as the recipe names it
    (``data.recipe.transformers.category_text``), as DuckDB reads JSON: text columns as they are;
    for other types the category ``13`` may be logged as ``13`` or ``13.0``, and ``True`` as
    ``true``."""
    if dtype == "string":
        return (category,)
    if category in ("True", "False"):
        return category, category.lower()
    if category.lstrip("-").isdigit():
        return category, f"{category}.0"
    return (category,)


@dataclass(frozen=True, eq=False)
class MonitoredColumn:
    """A reference column with what comparing a window to it needs: numeric columns their
    distribution, grid, PSI bins and display bins; categorical ones their category counts."""

    column: ReferenceColumn
    distribution: Distribution | None = None
    grid: Grid | None = None
    reference_counts: GridCounts | None = None
    psi_edges: np.ndarray | None = None
    display_edges: np.ndarray | None = None
    categories: Mapping[str, int] | None = None
    score_class: str | None = None  # the class whose probability a score column reads

    @classmethod
    def of(cls, column: ReferenceColumn, *, numbers=None, counts=None, categories: Mapping[str, int] | None = None,
           score_class: str | None = None) -> MonitoredColumn:
        if column.kind == CATEGORICAL:
            ordered = sorted((categories or {}).items(), key=lambda item: (-item[1], item[0]))
            kept = dict(ordered[:MAX_CATEGORIES])
            if len(ordered) > MAX_CATEGORIES:  # the rest share the bucket of values the log has beyond these
                kept[NEW] = sum(count for _, count in ordered[MAX_CATEGORIES:])
            return cls(column=column, categories=kept, score_class=score_class)
        distribution = Distribution.from_counts(numbers if numbers is not None else [],
                                                counts if counts is not None else [])
        if distribution.n == 0:
            return cls(column=column, distribution=distribution, score_class=score_class)
        grid = Grid.of(distribution)
        reference_counts = GridCounts.of(grid, distribution)
        return cls(column=column, distribution=distribution, grid=grid, reference_counts=reference_counts,
                   psi_edges=grid.psi_edges(reference_counts, drift_stats.PSI_BINS), display_edges=grid.display_edges(),
                   score_class=score_class)

    @property
    def numeric(self) -> bool:
        return self.column.kind == NUMERIC

    @property
    def n_reference(self) -> int:
        return self.distribution.n if self.numeric else int(sum((self.categories or {}).values()))

    def log_column(self) -> LogColumn:
        """What the log query reads for this column."""
        if self.column.source == PREDICTION:
            origin, key = (SCORE, str(self.score_class)) if self.column.name == SCORE_NAME else (FROM_PREDICTION, "")
        else:
            origin, key = INPUT, self.column.name
        if not self.numeric:
            names = [name for name in self.categories or {} if name != NEW]
            pairs = [(text, code) for code, name in enumerate(names) for text in logged_texts(name, self.column.dtype)]
            return LogColumn(origin=origin, key=key, numeric=False, texts=tuple(t for t, _ in pairs),
                             codes=tuple(c for _, c in pairs), categories=len(names))
        if self.grid is None:
            return LogColumn(origin=origin, key=key, numeric=True)
        return LogColumn(origin=origin, key=key, numeric=True, boundaries=tuple(self.grid.boundaries.tolist()),
                         low=float(self.grid.points[0]), high=float(self.grid.points[-1]))

    def statistics(self, aggregate: ColumnAggregate, window_rows: int) -> dict[str, Any]:
        """The stored fields of this column in one window (``DriftStatistics`` minus the keys)."""
        base = {"window_rows": int(window_rows), "n_current": int(aggregate.n),
                "n_missing": int(window_rows - aggregate.n), "n_reference": self.n_reference, "exact": True}
        if self.n_reference == 0:
            return {**base, "status": NO_REFERENCE, "histogram": {}}
        if aggregate.n == 0:
            return {**base, "status": MISSING, "histogram": {}}
        if self.numeric:
            return {**base, "status": OK, **self._numeric(aggregate)}
        return {**base, "status": OK, **self._categorical(aggregate)}

    def _numeric(self, aggregate: ColumnAggregate) -> dict[str, Any]:
        column = self.column
        if aggregate.values is not None:
            current = Distribution.from_counts(aggregate.values, aggregate.counts)
            counts = GridCounts.of(self.grid, current)
            ks, ks_p = drift_stats.ks_exact(self.distribution, current)
            wasserstein, ks_bound, w_bound, exact = drift_stats.wasserstein_exact(self.distribution, current), 0.0, 0.0, True
        else:
            counts = GridCounts.from_buckets(self.grid, aggregate.grid, below_sum=aggregate.below_sum,
                                             above_sum=aggregate.above_sum)
            ks, ks_bound = ks_on_grid(self.reference_counts, counts)
            ks_p = drift_stats.ks_p_value(ks, self.distribution.n, counts.n)
            wasserstein, w_bound = wasserstein_on_grid(self.reference_counts, counts)
            exact = ks_bound == 0 and w_bound == 0
        return {"mean_current": aggregate.total / aggregate.n, "ks": ks, "ks_p": ks_p, "ks_bound": ks_bound,
                "wasserstein": wasserstein,
                "wasserstein_norm": drift_stats.normalised(wasserstein, column.std or 0.0, column.mean or 0.0),
                "wasserstein_bound": drift_stats.normalised(w_bound, column.std or 0.0, column.mean or 0.0),
                "psi": drift_stats.psi(self.reference_counts.binned(self.psi_edges), counts.binned(self.psi_edges)),
                "exact": exact,
                "histogram": {"edges": self.display_edges.tolist(), "counts": counts.binned(self.display_edges).tolist()}}

    def _categorical(self, aggregate: ColumnAggregate) -> dict[str, Any]:
        coded = [name for name in self.categories if name != NEW]
        current = {name: int(count) for name, count in zip(coded, aggregate.counts) if count}
        if aggregate.other:
            current[NEW] = int(aggregate.other)
        result = drift_stats.categorical(self.categories, current)
        return {"chi2": result.chi2, "chi2_p": result.chi2_p, "chi2_dof": result.chi2_dof,
                "jensen_shannon": result.jensen_shannon, "psi": result.psi,
                "unseen": None if NEW in self.categories else result.unseen,
                "histogram": category_histogram(current)}

    @property
    def other_label(self) -> str:
        """What the shared bucket holds: new categories, or also the reference's rarer ones."""
        return OTHER_LABEL if NEW in (self.categories or {}) else NEW_LABEL

    def reference_histogram(self) -> dict[str, Any]:
        """The reference's counts in the bins a window's stored histogram uses."""
        if self.numeric:
            if self.reference_counts is None:
                return {}
            return {"edges": self.display_edges.tolist(),
                    "counts": self.reference_counts.binned(self.display_edges).tolist()}
        return category_histogram(self.categories or {})


def category_histogram(counts: Mapping[str, int], keep: int = TOP_CATEGORIES) -> dict[str, Any]:
    """The ``keep`` largest categories by name, the rest summed as ``other``."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {"categories": [name for name, _ in ordered[:keep]], "counts": [int(n) for _, n in ordered[:keep]],
            "other": int(sum(n for _, n in ordered[keep:]))}
