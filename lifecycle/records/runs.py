"""Records of stage 3: a hyperparameter search and the runs (trials) it put on record."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEARCH_METHODS = ("none", "grid", "random", "halving", "rerun")
SEARCH_STATUSES = ("running", "finished", "cancelled", "failed", "interrupted")  # interrupted: the process died
RUN_STATUSES = ("finished", "failed", "cancelled")

IMPORTED_RUN = "imported"  # algorithm and status of an imported model's run (models.imports)


def mitigation_params(params: dict[str, Any]) -> tuple[str, int] | None:
    """``(method, base model version id)`` when a run's stored params say it is a fairness
    mitigation of a registered version (Validate's mitigation writes ``mitigation`` and
    ``base_version``), else None. The one place that knows how a mitigated run is recorded."""
    method = params.get("mitigation")
    if method is None:
        return None
    return str(method), int(params["base_version"])


@dataclass(frozen=True, kw_only=True)
class Search:
    id: int
    project_id: int
    dataset_id: int
    split_id: int
    recipe_id: int
    algorithm: str
    method: str
    trials_requested: int
    cv_folds: int
    seed: int
    status: str
    space: dict[str, Any]
    created_at: datetime
    created_by: str
    finished_at: datetime | None = None
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class Run:
    """One trial: a pipeline cross-validated on the training split of a dataset version.

    ``cv_metrics`` maps each metric to ``{"mean", "std", "folds"}`` in metric units (an error
    metric such as rmse is positive; lower is better). ``primary_score`` is the mean of
    ``primary_metric``, kept apart so the leaderboard sorts in SQL. ``n_samples`` is the number
    of training rows cross-validated (fewer than the split holds in the early rounds of
    successive halving, ``halving_round`` counting from 0).
    """

    id: int
    search_id: int | None
    project_id: int
    dataset_id: int
    split_id: int
    recipe_id: int
    algorithm: str
    params: dict[str, Any]
    seed: int
    cv_folds: int
    n_samples: int
    halving_round: int | None
    status: str
    error: str | None
    cv_metrics: dict[str, dict[str, Any]]
    primary_metric: str
    primary_score: float | None
    fit_seconds: float | None
    score_seconds: float | None
    library_versions: dict[str, str]
    created_at: datetime
    created_by: str
    rerun_of: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "finished"

    @property
    def is_imported(self) -> bool:
        """True for the run of a model imported from a file (``models.imports``): no training code to repeat."""
        return self.status == IMPORTED_RUN

    @property
    def is_mitigation(self) -> bool:
        """True for a fairness-mitigated candidate's run (not a trained search trial)."""
        return mitigation_params(self.params) is not None

    @property
    def mitigation_method(self) -> str | None:
        """The mitigation method of a mitigated run (``threshold_optimizer``...), else None."""
        found = mitigation_params(self.params)
        return None if found is None else found[0]

    @property
    def mitigated_version_id(self) -> int | None:
        """The model version a mitigated run mitigates (its base), else None."""
        found = mitigation_params(self.params)
        return None if found is None else found[1]

    def metric(self, name: str) -> float | None:
        found = self.cv_metrics.get(name)
        return None if found is None else found["mean"]

    def metric_std(self, name: str) -> float | None:
        found = self.cv_metrics.get(name)
        return None if found is None else found["std"]


@dataclass(frozen=True, kw_only=True)
class Leaderboard:
    """One page of finished runs, best first by ``metric``."""

    metric: str
    higher_is_better: bool
    runs: tuple[Run, ...]
    total: int
    offset: int
    limit: int
    ranks: tuple[int, ...] = field(default=())

    @property
    def best(self) -> Run | None:
        return self.runs[0] if self.runs and self.offset == 0 else None
