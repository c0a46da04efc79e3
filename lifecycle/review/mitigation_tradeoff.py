"""The accuracy–fairness trade-off of a model version and its mitigated candidates.

Every candidate of a base version (see :mod:`lifecycle.review.mitigation`) and the base itself are
measured on the test split with scikit-learn's accuracy and the fairness review's group counts
(:func:`lifecycle.validate.fairness_review.all_groups`: every group compared, equal to Fairlearn's
own metric functions, checked in the tests); the dataset version they share is loaded once. The
points are stored as evidence on the base version, keyed by the candidates' artifacts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score

from lifecycle import evidence
from lifecycle.models import registry
from lifecycle.develop import training
from lifecycle.auth import Permission, require
from lifecycle.dataclass_json import from_jsonable, to_jsonable
from lifecycle.errors import InputError
from lifecycle.review.fair_models import CONSTRAINTS
from lifecycle.problem.metrics import PRIMARY
from lifecycle.review.mitigation import CONSTRAINT_METRICS, check_choice, describe, sensitive_columns
from lifecycle.records import ModelVersion
from lifecycle.records import User
from lifecycle.records import Run
from lifecycle.validate.fairness_review import all_groups
from lifecycle.validate.held_out import HeldOut, held_out
from lifecycle.validate.metrics import compute_metric, predict_for
from lifecycle.workspace import Workspace

def base_of(workspace: Workspace, version: ModelVersion) -> ModelVersion:
    """The version a mitigated candidate came from; the version itself otherwise."""
    run = training.get_run(workspace, version.run_id)
    return registry.get_version(workspace, run.mitigated_version_id) if run.is_mitigation else version


def candidates(workspace: Workspace, base_version_id: int) -> list[tuple[ModelVersion, Run]]:
    """Every mitigated candidate of ``base_version_id`` with its run, oldest first."""
    base = registry.get_version(workspace, base_version_id)
    found = []
    for version in registry.list_versions(workspace, base.project_id):
        if version.id == base.id:
            continue
        run = training.get_run(workspace, version.run_id)
        if run.mitigated_version_id == base.id:
            found.append((version, run))
    return found


@dataclass(frozen=True, kw_only=True)
class TradeOffPoint:
    version_id: int
    label: str  # "v2 (#5, candidate)"
    method: str  # "base" or one of METHODS
    description: str  # "base model" or "Threshold optimizer, equalized odds on sex"
    accuracy: float | None
    fairness: float | None
    primary: float | None
    selection_rate: float | None

    @property
    def is_base(self) -> bool:
        return self.method == "base"


@dataclass(frozen=True, kw_only=True)
class TradeOff:
    """Accuracy and one fairness metric of a base version and each of its mitigated candidates,
    on the test split, from each model's own ``predict``; groups are the sensitive attributes'
    combinations (intersections when several)."""

    base_version_id: int
    constraint: str
    metric: str  # demographic_parity_difference or equalized_odds_difference (lower is fairer)
    primary_metric: str
    sensitive: tuple[str, ...]
    n_test: int
    points: tuple[TradeOffPoint, ...]

    def to_dict(self) -> dict:
        return to_jsonable(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TradeOff":
        return from_jsonable(cls, data)


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def _point(held: HeldOut, metric: str, primary: str, sensitive: list[str]) -> TradeOffPoint:
    version, run, model = held.version, held.run, held.pipeline
    X, y = held.X, np.asarray(held.y).astype(int)
    predictions = np.asarray(model.predict(X)).astype(int)
    # Every group compared, no resamples: the review's counts give Fairlearn's value; with several
    # attributes the last grouping is their intersection, as Fairlearn groups several columns.
    review = all_groups("binary", y, predictions, held.columns(sensitive).reset_index(drop=True))
    disparity = review.groupings[-1].disparity(metric)
    fairness = None if disparity is None else disparity.value
    primary_value = compute_metric(primary, predict_for(model, "binary", primary, X, y))[0]
    method = run.mitigation_method or "base"
    return TradeOffPoint(version_id=version.id, label=version.label, method=method,
                         description=describe(run) if run.is_mitigation else "base model",
                         accuracy=_finite(accuracy_score(y, predictions)), fairness=_finite(fairness),
                         primary=_finite(primary_value), selection_rate=_finite(predictions.mean()))


def compute_trade_off(workspace: Workspace, base_version_id: int, *, constraint: str = "demographic_parity",
                      sensitive: list[str] | tuple[str, ...] | None = None) -> TradeOff:
    """Measure the base and every candidate (nothing stored)."""
    check_choice(constraint, CONSTRAINTS, "fairness constraint")
    base = registry.get_version(workspace, base_version_id)
    base_run = training.get_run(workspace, base.run_id)
    if base_run.is_mitigation:
        raise InputError(f"Model {base.label} is a mitigated candidate.",
                         f"Show the trade-off of its base, model #{base_run.mitigated_version_id}.")
    held = held_out(workspace, base)
    data = held.data
    if data.task != "binary":
        raise InputError(f"The trade-off measures binary decisions; project {data.project.name!r} is {data.task}.",
                         "Review fairness in the validation report instead.")
    sensitive = sensitive_columns(data.project, data.dataset, sensitive)
    metric, primary = CONSTRAINT_METRICS[constraint], PRIMARY[data.task]
    points = [_point(held, metric, primary, sensitive)]
    for version, _ in candidates(workspace, base.id):  # same dataset version and split: loaded once
        points.append(_point(held_out(workspace, version, data=data), metric, primary, sensitive))
    n_test = len(held.y)
    return TradeOff(base_version_id=base.id, constraint=constraint, metric=metric, primary_metric=primary,
                    sensitive=tuple(sensitive), n_test=n_test, points=tuple(points))


def trade_off(workspace: Workspace, actor: User, base_version_id: int, *, constraint: str = "demographic_parity",
              sensitive: list[str] | tuple[str, ...] | None = None) -> tuple[TradeOff, bool]:
    """The trade-off, stored as "mitigation" evidence of the base version keyed by the candidates
    (ids and artifact hashes), the metric and the attributes; returns it and whether it came
    from the store. Anyone who may read the project may compute it."""
    require(actor, Permission.READ)
    check_choice(constraint, CONSTRAINTS, "fairness constraint")
    base = registry.get_version(workspace, base_version_id)
    found = candidates(workspace, base.id)
    chosen = list(dict.fromkeys(sensitive)) if sensitive else None
    key = evidence.cache_key(base=[base.id, base.artifact_hash], metric=CONSTRAINT_METRICS[constraint],
                             sensitive=chosen, candidates=[[v.id, v.artifact_hash] for v, _ in found])

    def compute() -> tuple[str, dict]:
        result = compute_trade_off(workspace, base.id, constraint=constraint, sensitive=chosen)
        return summary(result), result.to_dict()

    stored, from_store = evidence.get_or_compute(workspace, actor, base.id, "mitigation", key, compute)
    return TradeOff.from_dict(stored.payload), from_store


def summary(result: TradeOff) -> str:
    base = next((p for p in result.points if p.is_base), None)
    best = min((p for p in result.points if not p.is_base and p.fairness is not None),
               key=lambda p: p.fairness, default=None)
    metric = result.metric.replace("_", " ")
    if base is None or best is None:
        return f"Trade-off of {len(result.points)} model(s): {metric} on {', '.join(result.sensitive)}"
    return (f"{metric} on {', '.join(result.sensitive)}: base {_fmt(base.fairness)} (accuracy "
            f"{_fmt(base.accuracy)}); fairest candidate #{best.version_id} {_fmt(best.fairness)} (accuracy "
            f"{_fmt(best.accuracy)}), {len(result.points) - 1} candidate(s)")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
