"""Stage 4 — Explain: SHAP values of a registered pipeline, in the columns its user knows.

A registered model is ``Pipeline([("recipe", ColumnTransformer), ("model", estimator)])``.
SHAP cannot walk a pipeline, so the recipe transforms the rows, the estimator is explained,
and the values of every output feature are summed onto its source column (``cat__sex=Male``
and ``cat__sex=Female`` both onto ``sex``): SHAP values are additive, so the sum is the
column's contribution.

The explainer follows the model: ``shap.TreeExplainer`` (path-dependent, so no background is
needed) for tree ensembles, ``shap.LinearExplainer`` for linear models, and the model-agnostic
``shap.PermutationExplainer`` for the rest, both of the latter against a background sample of
training rows. What the values add up to (base value + row sum):

- tree boosting (histogram or classic) and linear classifiers: the log-odds (margin) of the
  explained class, i.e. ``decision_function``;
- forests, extra trees and permutation-explained classifiers: the probability of that class;
- regressors: the predicted value.

Binary tasks explain the positive class. Multiclass tasks explain the chosen class, by default
the first of the model's classes (sorted labels, as scikit-learn keeps them), so the default is
the same for everyone who opens the model; the panel and the CLI let the user pick another.

Results are review evidence (:mod:`lifecycle.evidence`), stored once per model hash, data hash,
row count, seed and class, so anyone opening the model later reads them back instead of waiting.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from lifecycle import evidence
from lifecycle.review import explain_summary
from lifecycle.develop import training
from lifecycle.data.datasets import get_dataset
from lifecycle.errors import InputError
from lifecycle.review.explain_summary import Driver
from lifecycle.review.fair_models import GroupThresholdClassifier
from lifecycle.records import Evidence, ModelVersion
from lifecycle.review.shap_explainer import PipelineExplainer
from lifecycle.records import User
from lifecycle.validate.held_out import held_out
from lifecycle.workspace import Workspace

DEFAULT_ROWS = 500
MIN_ROWS = 10
MAX_ROWS = 20_000
BACKGROUND_ROWS = 100
PROBE_ROWS = {"tree": 100, "linear": 100, "permutation": 2}
DIGITS = 6  # significant digits kept in the stored payload

METHOD_WORDS = {"tree": "tree", "linear": "linear", "permutation": "permutation"}


def _round(value: Any) -> Any:
    if value is None or isinstance(value, (bool, np.bool_, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(value)
    return None if math.isnan(number) else float(f"{number:.{DIGITS}g}")


def _plain_values(values: Sequence) -> list:
    """Input values as JSON-able Python values (empty cells become None)."""
    out = []
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
            out.append(None)
        elif isinstance(value, (int, float, np.integer, np.floating, bool, np.bool_)):
            out.append(_round(value))
        else:
            out.append(str(value))
    return out


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, kw_only=True)
class LocalExplanation:
    """One row: base value plus each column's contribution gives the explained output."""

    output: str
    base_value: float
    value: float
    contributions: dict[str, float]  # by source column, largest |value| first
    features: dict[str, Any]
    prediction: str


@dataclass(frozen=True, kw_only=True, eq=False)
class Explanation:
    """SHAP values of a sample of test rows, by source column, with what they say; computed once
    (:func:`explain_rows`), stored as evidence and read back with :meth:`from_payload`."""

    method: str
    output: str
    task: str
    target_class: str | None
    columns: tuple[str, ...]
    kinds: dict[str, str]  # numeric or categorical
    base_value: float
    values: np.ndarray  # rows × columns
    outputs: np.ndarray
    features: dict[str, list]
    predictions: tuple[str, ...]
    row_ids: tuple[Any, ...]
    importance: dict[str, float]  # mean |SHAP|, largest first
    interactions: dict[str, str | None]
    drivers: tuple[Driver, ...]
    rows: int
    available_rows: int
    background_rows: int
    seed: int
    seconds: float
    notes: tuple[str, ...] = ()
    requested_rows: int = 0  # what was asked for (``rows`` may be fewer: the split's size)

    @property
    def summary(self) -> str:
        return explain_summary.summary_line(self.drivers, self.output, self.rows, self.method)

    def row(self, position: int) -> LocalExplanation:
        if not 0 <= position < self.rows:
            raise InputError(f"Row {position} is not among the {self.rows} explained rows.",
                             f"Pick a row from 0 to {self.rows - 1}.")
        contributions = {c: float(v) for c, v in zip(self.columns, self.values[position])}
        ordered = dict(sorted(contributions.items(), key=lambda item: -abs(item[1])))
        return LocalExplanation(output=self.output, base_value=self.base_value, value=float(self.outputs[position]),
                                contributions=ordered, features={c: self.features[c][position] for c in self.columns},
                                prediction=self.predictions[position])

    def to_payload(self) -> dict[str, Any]:
        return {"method": self.method, "output": self.output, "task": self.task, "target_class": self.target_class,
                "columns": list(self.columns), "kinds": dict(self.kinds), "base_value": _round(self.base_value),
                "values": [[_round(v) for v in row] for row in self.values],
                "outputs": [_round(v) for v in self.outputs], "features": self.features,
                "predictions": list(self.predictions), "row_ids": _plain_values(self.row_ids),
                "importance": {c: _round(v) for c, v in self.importance.items()},
                "interactions": dict(self.interactions),
                "drivers": [{"column": d.column, "importance": _round(d.importance), "direction": d.direction,
                             "statement": d.statement} for d in self.drivers],
                "rows": self.rows, "available_rows": self.available_rows, "background_rows": self.background_rows,
                "seed": self.seed, "seconds": _round(self.seconds), "notes": list(self.notes),
                "requested_rows": self.requested_rows or self.rows}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "Explanation":
        columns = tuple(payload["columns"])
        values = np.asarray(payload["values"], dtype=float).reshape(len(payload["values"]), len(columns))
        return cls(method=payload["method"], output=payload["output"], task=payload["task"],
                   target_class=payload["target_class"], columns=columns, kinds=dict(payload["kinds"]),
                   base_value=float(payload["base_value"]), values=values,
                   outputs=np.asarray(payload["outputs"], dtype=float), features=dict(payload["features"]),
                   predictions=tuple(payload["predictions"]), row_ids=tuple(payload["row_ids"]),
                   importance=dict(payload["importance"]), interactions=dict(payload["interactions"]),
                   drivers=tuple(Driver(**d) for d in payload["drivers"]), rows=int(payload["rows"]),
                   available_rows=int(payload["available_rows"]), background_rows=int(payload["background_rows"]),
                   seed=int(payload["seed"]), seconds=float(payload["seconds"]), notes=tuple(payload["notes"]),
                   requested_rows=int(payload.get("requested_rows", payload["rows"])))


def _kind(series: pd.Series | None) -> str:
    if series is None:  # a derived column: a number made by the recipe
        return "numeric"
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return "numeric" if numeric else "categorical"


def _features(X: pd.DataFrame, transformed: pd.DataFrame, columns: Sequence[str]) -> dict[str, list]:
    """Each source column's input values; a derived column's value after the recipe."""
    found = {}
    for column in columns:
        values = X[column] if column in X else transformed[f"derived__{column}"]
        found[column] = _plain_values(values.tolist())
    return found


def predictions(pipeline: Pipeline, X: pd.DataFrame, task: str, positive_label: str | None = None) -> list[str]:
    """What the model predicts for each row, in words: the class and the probability of the class it names
    (binary: always of the positive class, the class the explanation's output is about), or the value."""
    if task == "regression":
        return [f"{v:.6g}" for v in pipeline.predict(X)]
    probabilities = pipeline.predict_proba(X)
    classes = list(pipeline.classes_)
    words = []
    for row in probabilities:
        best = int(np.argmax(row))
        label = classes[best]
        if task == "binary":
            positive = classes.index(1) if 1 in classes else len(classes) - 1
            name = positive_label or str(classes[positive])
            label = name if best == positive else f"not {name}"
            words.append(f"{label} (probability of {name}: {row[positive]:.3f})")
            continue
        words.append(f"{label} (probability of {label}: {row[best]:.3f})")
    return words


def explain_rows(explainer: PipelineExplainer, pipeline: Pipeline, X: pd.DataFrame, *,
                 available_rows: int | None = None, positive_label: str | None = None,
                 notes: Sequence[str] = (), requested_rows: int = 0) -> Explanation:
    """Explain the rows of ``X`` and derive importance, interactions and drivers from the values."""
    start = time.perf_counter()
    result = explainer.explain(X)
    seconds = time.perf_counter() - start
    columns = explainer.columns
    features = _features(X, result.transformed, columns)
    kinds = {c: _kind(X[c] if c in X else None) for c in columns}
    ranked = explain_summary.importance(result.values, columns)
    return Explanation(
        method=explainer.method, output=explainer.output, task=explainer.task, target_class=explainer.target_class,
        columns=columns, kinds=kinds, base_value=result.base_value, values=result.values, outputs=result.outputs,
        features=features, predictions=tuple(predictions(pipeline, X, explainer.task, positive_label)),
        row_ids=tuple(X.index.tolist()), importance=ranked,
        interactions=explain_summary.interactions(result.values, features, columns),
        drivers=explain_summary.drivers(result.values, features, kinds, ranked, explainer.output),
        rows=len(X), available_rows=available_rows if available_rows is not None else len(X),
        background_rows=explainer.background_rows, seed=explainer.seed, seconds=seconds, notes=tuple(notes),
        requested_rows=requested_rows or len(X))


# ----------------------------------------------------------------------------- a model version's data


@dataclass(frozen=True, kw_only=True, eq=False)
class ExplainInputs:
    """What explaining a registered version needs: its pipeline and its split's rows."""

    version: ModelVersion
    pipeline: Pipeline
    task: str
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    positive_class: str | None
    explained: Pipeline | None = None  # what SHAP explains when not ``pipeline`` itself
    notes: tuple[str, ...] = ()
    _explainers: dict = field(default_factory=dict, repr=False)  # (class, seed) -> PipelineExplainer

    @property
    def classes(self) -> tuple[str, ...]:
        """Classes a user may explain: the positive one for binary, every one for multiclass."""
        if self.task == "regression":
            return ()
        if self.task == "binary":
            return (self.positive_class or "1",)
        return tuple(str(c) for c in self.pipeline.classes_)

    def explainer(self, target_class: str | None = None, seed: int = 0) -> PipelineExplainer:
        """The explainer for a class and seed, built once per loaded version."""
        key = (target_class, seed)
        if key not in self._explainers:
            self._explainers[key] = PipelineExplainer(
                self.explained or self.pipeline, background_sample(self.X_train, seed), task=self.task, target_class=target_class,
                positive_label=self.positive_class, seed=seed)
        return self._explainers[key]


def load_inputs(workspace: Workspace, version: ModelVersion, *, actor_name: str = "system") -> ExplainInputs:
    """The version's pipeline and split rows (loaded once, :func:`~lifecycle.validate.held_out.held_out`).
    Raises InputError when the split has no test rows."""
    held = held_out(workspace, version, actor_name=actor_name)
    data, pipeline = held.data, held.pipeline
    explained, notes = None, ()
    if isinstance(pipeline, GroupThresholdClassifier):
        # Its decisions are the base model's scores cut at a threshold per group: explain the scores.
        explained = pipeline.estimator
        notes = (f"This candidate only moves the decision threshold per group of "
                 f"{', '.join(pipeline.sensitive_columns)}; the values explain the base model's scores, "
                 "which those thresholds cut.",)
    return ExplainInputs(version=version, pipeline=pipeline, task=data.task, X_train=data.X_train, X_test=data.X_test,
                         positive_class=data.positive_class, explained=explained, notes=notes)


def background_sample(X_train: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Up to ``BACKGROUND_ROWS`` training rows: what "an average input" means to the explainer."""
    if len(X_train) <= BACKGROUND_ROWS:
        return X_train
    return X_train.sample(n=BACKGROUND_ROWS, random_state=seed)


def check_rows(rows: Any) -> int:
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or not MIN_ROWS <= rows <= MAX_ROWS:
        raise InputError(f"Rows to explain {rows!r} is not a whole number from {MIN_ROWS} to {MAX_ROWS:,}.",
                         f"Use {DEFAULT_ROWS} rows (more rows, steadier importance, longer wait).")
    return int(rows)


def sample_rows(X_test: pd.DataFrame, rows: int, seed: int = 0) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``rows`` test rows in split order, seeded; fewer (with a note) when the split is smaller."""
    rows = check_rows(rows)
    if rows >= len(X_test):
        note = () if rows == len(X_test) else (
            f"All {len(X_test):,} test rows are explained (the test split has fewer than {rows:,}).",)
        return X_test, note
    positions = np.sort(np.random.default_rng(seed).choice(len(X_test), size=rows, replace=False))
    return X_test.iloc[positions], ()


def explain_inputs(inputs: ExplainInputs, *, rows: int = DEFAULT_ROWS, seed: int = 0,
                   target_class: str | None = None) -> Explanation:
    sample, notes = sample_rows(inputs.X_test, rows, seed)
    return explain_rows(inputs.explainer(target_class, seed), inputs.pipeline, sample,
                        available_rows=len(inputs.X_test), positive_label=inputs.positive_class,
                        notes=(*inputs.notes, *notes),
                        requested_rows=rows)


@dataclass(frozen=True, kw_only=True)
class CostEstimate:
    method: str
    rows: int  # after clamping to the test split
    available_rows: int
    background_rows: int
    seconds: float
    probe_rows: int
    note: str = ""

    @property
    def text(self) -> str:
        background = "" if self.method == "tree" else f" against {self.background_rows} background rows"
        return (f"{METHOD_WORDS[self.method].capitalize()} SHAP on {self.rows:,} of {self.available_rows:,} test rows"
                f"{background}: about {self.seconds:.1f} s (timed on {self.probe_rows} rows).")


def estimate_cost(inputs: ExplainInputs, *, rows: int = DEFAULT_ROWS, seed: int = 0,
                  target_class: str | None = None) -> CostEstimate:
    """Time the explainer on a few rows and scale to ``rows``. The probe runs twice: the first
    run's extra time is a one-off cost (SHAP compiles its permutation code with numba on first
    use in a process), counted once; the second run gives the per-row rate."""
    sample, notes = sample_rows(inputs.X_test, rows, seed)
    start = time.perf_counter()
    explainer = inputs.explainer(target_class, seed)
    build = time.perf_counter() - start
    probe = sample.iloc[: PROBE_ROWS[explainer.method]]
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        explainer.explain(probe)
        timings.append(time.perf_counter() - start)
    one_off = max(timings[0] - timings[1], 0.0)
    per_row = timings[1] / len(probe)
    return CostEstimate(method=explainer.method, rows=len(sample), available_rows=len(inputs.X_test),
                        background_rows=explainer.background_rows, seconds=build + one_off + per_row * len(sample),
                        probe_rows=len(probe), note=notes[0] if notes else "")


# ----------------------------------------------------------------------------- evidence


def explanation_key(workspace: Workspace, version: ModelVersion, *, rows: int, seed: int,
                    target_class: str | None) -> str:
    """What an explanation depends on: the model's bytes, the data and split, the sample and class."""
    run = training.get_run(workspace, version.run_id)
    dataset = get_dataset(workspace, run.dataset_id)
    return evidence.cache_key(model=version.artifact_hash, data=f"{dataset.content_hash}:{run.split_id}",
                              rows=check_rows(rows), seed=int(seed), target_class=target_class,
                              background=BACKGROUND_ROWS)


def stored_explanation(workspace: Workspace, version: ModelVersion, *, rows: int = DEFAULT_ROWS, seed: int = 0,
                       target_class: str | None = None) -> tuple[Explanation, Evidence] | None:
    """The explanation stored for exactly these settings, or None (never computes)."""
    key = explanation_key(workspace, version, rows=rows, seed=seed, target_class=target_class)
    found = evidence.cached(workspace, version.id, "explanation", key)
    return None if found is None else (Explanation.from_payload(found.payload), found)


def latest_explanation(workspace: Workspace, version_id: int) -> tuple[Explanation, Evidence] | None:
    """The newest stored explanation of a model version and its evidence record, or None; read from the
    workspace, so it works after the model file is gone."""
    found = evidence.latest(workspace, version_id, "explanation")
    return None if found is None else (Explanation.from_payload(found.payload), found)


def explain_version(workspace: Workspace, actor: User, version: ModelVersion, *, rows: int = DEFAULT_ROWS,
                    seed: int = 0, target_class: str | None = None,
                    inputs: ExplainInputs | None = None) -> tuple[Explanation, Evidence, bool]:
    """The version's explanation for these settings: read from the store, or computed and stored.
    Returns it (as stored: rounded), its evidence record and whether it came from the store."""
    key = explanation_key(workspace, version, rows=rows, seed=seed, target_class=target_class)

    def compute() -> tuple[str, dict[str, Any]]:
        loaded = inputs or load_inputs(workspace, version, actor_name=actor.name)
        explanation = explain_inputs(loaded, rows=rows, seed=seed, target_class=target_class)
        return explanation.summary, explanation.to_payload()

    stored, from_store = evidence.get_or_compute(workspace, actor, version.id, "explanation", key, compute)
    return Explanation.from_payload(stored.payload), stored, from_store


# ----------------------------------------------------------------------------- what-if


def what_if_row(inputs: ExplainInputs, values: Mapping[str, Any]) -> pd.DataFrame:
    """One input row from edited values, checked against the version's input schema."""
    row = {}
    for column in inputs.version.input_schema:
        if column.name not in values:
            raise InputError(f"The what-if row has no value for {column.name!r}.",
                             "Give a value for every input column.")
        value = values[column.name]
        if column.kind == "numeric" and value is not None:
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise InputError(f"{column.name!r} must be a number, not {value!r}.", "Enter a number.") from None
        row[column.name] = [value]
    return pd.DataFrame(row)


def what_if(inputs: ExplainInputs, values: Mapping[str, Any], *, target_class: str | None = None,
            seed: int = 0) -> LocalExplanation:
    """Prediction and explanation of an edited row (computed on the spot, never stored)."""
    row = what_if_row(inputs, values)
    explainer = inputs.explainer(target_class, seed)
    result = explainer.explain(row)
    contributions = {c: float(v) for c, v in zip(explainer.columns, result.values[0])}
    features = _features(row, result.transformed, explainer.columns)
    return LocalExplanation(output=explainer.output, base_value=result.base_value, value=float(result.outputs[0]),
                            contributions=dict(sorted(contributions.items(), key=lambda item: -abs(item[1]))),
                            features={c: features[c][0] for c in explainer.columns},
                            prediction=predictions(inputs.pipeline, row, inputs.task, inputs.positive_class)[0])
