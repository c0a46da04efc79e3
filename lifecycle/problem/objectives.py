"""The catalogue of measurable objectives and their parsing.

An objective is (metric, comparator, threshold). The catalogue says which task each metric
fits, which direction is better and what range a threshold may take, so a typo or an
impossible threshold is caught when the objective is written, not when a model is judged.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from lifecycle.errors import InputError
from lifecycle.records import Objective

ALL_TASKS = ("binary", "multiclass", "regression")
CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True, kw_only=True)
class MetricSpec:
    name: str
    label: str
    kind: str  # performance, fairness, latency, drift
    tasks: tuple[str, ...]
    higher_is_better: bool
    low: float = 0.0
    high: float = math.inf
    unit: str = ""
    description: str = ""

    @property
    def default_comparator(self) -> str:
        return ">=" if self.higher_is_better else "<="


def _perf(name, label, tasks, higher=True, high=1.0, unit="", description=""):
    return MetricSpec(name=name, label=label, kind="performance", tasks=tasks,
                      higher_is_better=higher, high=high, unit=unit, description=description)


CATALOGUE: dict[str, MetricSpec] = {m.name: m for m in [
    _perf("roc_auc", "ROC AUC", ("binary",), description="ranking quality, 0.5 is chance"),
    _perf("roc_auc_ovr", "ROC AUC (one-vs-rest)", ("multiclass",)),
    _perf("average_precision", "Average precision", ("binary",)),
    _perf("accuracy", "Accuracy", CLASSIFICATION),
    _perf("balanced_accuracy", "Balanced accuracy", CLASSIFICATION),
    _perf("f1", "F1 (positive class)", ("binary",)),
    _perf("f1_macro", "F1 (macro)", ("multiclass",)),
    _perf("precision", "Precision (positive class)", ("binary",)),
    _perf("recall", "Recall (positive class)", ("binary",)),
    _perf("log_loss", "Log loss", CLASSIFICATION, higher=False, high=math.inf),
    _perf("brier", "Brier score", ("binary",), higher=False),
    _perf("mae", "Mean absolute error", ("regression",), higher=False, high=math.inf,
          unit="target units"),
    _perf("rmse", "Root mean squared error", ("regression",), higher=False, high=math.inf,
          unit="target units"),
    MetricSpec(name="r2", label="R²", kind="performance", tasks=("regression",),
               higher_is_better=True, low=-math.inf, high=1.0),
    _perf("mape", "Mean absolute percentage error", ("regression",), higher=False,
          high=math.inf, unit="fraction"),
    MetricSpec(name="demographic_parity_difference", label="Demographic parity difference",
               kind="fairness", tasks=CLASSIFICATION, higher_is_better=False, high=1.0,
               description="largest gap in selection rate between groups"),
    MetricSpec(name="demographic_parity_ratio", label="Demographic parity ratio",
               kind="fairness", tasks=CLASSIFICATION, higher_is_better=True, high=1.0,
               description="smallest over largest selection rate (0.8 is the four-fifths rule)"),
    MetricSpec(name="equalized_odds_difference", label="Equalized odds difference",
               kind="fairness", tasks=("binary",), higher_is_better=False, high=1.0),
    MetricSpec(name="equalized_odds_ratio", label="Equalized odds ratio", kind="fairness",
               tasks=("binary",), higher_is_better=True, high=1.0),
    MetricSpec(name="group_mae_difference", label="Largest MAE gap between groups",
               kind="fairness", tasks=("regression",), higher_is_better=False, high=math.inf),
    MetricSpec(name="latency_p95_ms", label="Latency p95", kind="latency", tasks=ALL_TASKS,
               higher_is_better=False, unit="ms"),
    MetricSpec(name="latency_p50_ms", label="Latency p50", kind="latency", tasks=ALL_TASKS,
               higher_is_better=False, unit="ms"),
    MetricSpec(name="drift_psi_max", label="Largest feature PSI", kind="drift", tasks=ALL_TASKS,
               higher_is_better=False, description="population stability index, 0.2 is a common alarm"),
    MetricSpec(name="drift_share", label="Share of drifted features", kind="drift",
               tasks=ALL_TASKS, higher_is_better=False, high=1.0),
]}

_PATTERN = re.compile(
    r"^\s*(?P<advisory>advisory:)?\s*(?P<metric>[a-z0-9_]+)\s*(?P<cmp>>=|<=)\s*(?P<value>[-+0-9.eE]+)\s*$"
)


def metrics_for(task: str, kind: str | None = None) -> list[MetricSpec]:
    return [m for m in CATALOGUE.values() if task in m.tasks and (kind is None or m.kind == kind)]


def make_objective(metric: str, comparator: str, threshold: float, *, task: str,
                   blocking: bool = True) -> Objective:
    """One objective, checked against the catalogue: the metric exists and fits the task, the comparator matches
    the metric's direction, the threshold is in the metric's range. Raises InputError naming the problem
    and the choices."""
    spec = CATALOGUE.get(metric)
    if spec is None:
        raise InputError(f"Unknown objective metric {metric!r}.",
                         f"Choose one of: {', '.join(CATALOGUE)}.")
    if task not in spec.tasks:
        fitting = ", ".join(m.name for m in metrics_for(task))
        raise InputError(f"{spec.label} ({metric}) does not apply to a {task} task.",
                         f"For {task} choose one of: {fitting}.")
    if comparator not in (">=", "<="):
        raise InputError(f"Comparator {comparator!r} is not supported.", "Use >= or <=.")
    if comparator != spec.default_comparator:
        better = "higher" if spec.higher_is_better else "lower"
        raise InputError(f"{metric} {comparator} {threshold:g} points the wrong way: {better} "
                         f"{spec.label} is better.", f"Write {metric}{spec.default_comparator}{threshold:g}.")
    if not math.isfinite(threshold) or not spec.low <= threshold <= spec.high:
        raise InputError(f"Threshold {threshold!r} for {metric} is outside its range "
                         f"[{spec.low:g}, {spec.high:g}].", "Pick a threshold inside the range.")
    return Objective(metric=metric, comparator=comparator, threshold=float(threshold),
                     blocking=blocking)


def parse_objective(text: str, *, task: str) -> Objective:
    """Parse ``roc_auc>=0.85`` (or ``advisory:f1>=0.6`` for a non-blocking one)."""
    match = _PATTERN.match(text)
    if not match:
        raise InputError(f"Objective {text!r} is not of the form metric>=threshold.",
                         "Write it like 'roc_auc>=0.85' or 'mae<=3.5'.")
    try:
        threshold = float(match["value"])
    except ValueError:
        raise InputError(f"Threshold {match['value']!r} in {text!r} is not a number.",
                         "Write a number such as 0.85.") from None
    return make_objective(match["metric"], match["cmp"], threshold, task=task,
                          blocking=not match["advisory"])


def is_met(objective: Objective, value: float) -> bool:
    """Whether ``value`` meets the objective (``>=`` or ``<=`` its threshold, in the metric's own units); a
    missing or non-finite value never meets it."""
    if value is None or not math.isfinite(value):
        return False
    return value >= objective.threshold if objective.comparator == ">=" else value <= objective.threshold


def objective_from_row(metric: str, threshold: float, blocking: bool | None, *, task: str) -> Objective:
    """An objective from an editor row: the comparator follows the metric's direction."""
    spec = CATALOGUE.get(metric)
    if spec is None:
        raise InputError(f"Unknown objective metric {metric!r}.", f"Choose one of: {', '.join(CATALOGUE)}.")
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise InputError(f"The threshold for {metric} is {threshold!r}, not a number.", "Type a number.") from None
    return make_objective(metric, spec.default_comparator, value, task=task,
                          blocking=True if blocking is None or blocking != blocking else bool(blocking))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def objectives_from_rows(rows: list[dict], *, task: str) -> list[Objective]:
    """Objectives from the editor's rows (``metric``, ``threshold``, ``blocking``), in order.

    A row without a metric or a threshold is refused, naming the row: a half-filled row is never
    dropped silently. Rows are numbered from 1, as the user sees them.
    """
    parsed = []
    for number, row in enumerate(rows, start=1):
        metric, threshold = row.get("metric"), row.get("threshold")
        missing = [name for name, value in (("metric", metric), ("threshold", threshold)) if _blank(value)]
        if missing:
            described = f"metric {metric}" if "metric" not in missing else "no metric"
            raise InputError(f"Objective row {number} ({described}) has no {' and no '.join(missing)}.",
                             f"Fill in its {' and '.join(missing)}, or delete the row.")
        parsed.append(objective_from_row(str(metric), threshold, row.get("blocking"), task=task))
    return parsed
