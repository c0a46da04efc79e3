"""The fairness review of a model version's decisions on its held-out rows: one computation that
feeds the verdict, the Fairness panel and the mitigation trade-off.

* :func:`review_decisions` turns decisions already made (by the validation report, or by
  :func:`decisions_of`) into the :class:`~lifecycle.validate.fairness_review.FairnessReport`;
  the validation report judges fairness objectives on it.
* A review is keyed by what it was computed from (:func:`review_key`: the model artifact, the
  dataset's content, the split, the sensitive columns, the decision threshold, the seed, the
  resamples and the minimum group size) and stored as ``"fairness"`` evidence
  (:func:`store_review`). Validating stores the verdict's review, so the panel asking for the
  same settings reads it instead of computing it again.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lifecycle import evidence
from lifecycle.records import DatasetVersion, Evidence, ModelVersion, User
from lifecycle.progress import Progress, quiet
from lifecycle.validate.fairness_review import (DEFAULT_BOOTSTRAP, FORMAT_VERSION, MIN_GROUP_SIZE,
                                                FairnessReport, review)
from lifecycle.validate.held_out import HeldOut
from lifecycle.workspace import Workspace

__all__ = ["KIND", "decision_text", "decisions_of", "review_decisions", "review_held_out", "review_key",
           "store_review"]

KIND = "fairness"  # the evidence kind of a stored review


def decision_text(task: str, threshold: float | None, positive_class: str | None) -> str:
    """How decisions were made, in words, as the stored review says it."""
    if task == "binary" and threshold is not None:
        text = f"positive-class probability ≥ {threshold:g} (the latest validation report's threshold)"
    else:
        text = "the model's predict"
    if task == "binary" and positive_class is not None:
        text += f"; the selected outcome is the positive class {positive_class!r}"
    return text


def decisions_of(pipeline, task: str, X: pd.DataFrame, threshold: float | None) -> np.ndarray:
    """The model's decisions for ``X`` (n rows): binary with ``threshold``, 1 where the probability
    of class 1 is at least it, else ``predict`` (binary 0/1, multiclass labels, regression
    values) — the decisions the validation report makes."""
    if task == "binary" and threshold is not None:
        classes = list(pipeline.classes_)
        return (np.asarray(pipeline.predict_proba(X))[:, classes.index(1)] >= threshold).astype(int)
    return np.asarray(pipeline.predict(X))


def review_decisions(task: str, y_true, decisions, sensitive: pd.DataFrame, *, classes=None,
                     threshold: float | None = None, positive_class: str | None = None, seed: int = 0,
                     n_bootstrap: int = DEFAULT_BOOTSTRAP,
                     min_group_size: int = MIN_GROUP_SIZE) -> FairnessReport:
    """The fairness review of ``decisions`` against ``y_true`` (n test rows each; binary 0/1,
    multiclass labels with the model's ``classes``, regression numbers) by each column of
    ``sensitive`` (n rows, same order) and their intersection.

    ``threshold`` and ``positive_class`` only word the report's ``decision``. The numbers are the
    review's per-group counts with seeded stratified bootstrap intervals
    (:mod:`lifecycle.validate.fairness_bootstrap`, checked against Fairlearn in the tests).
    Raises InputError when the rows cannot be reviewed (e.g. a column with more than 50 groups)."""
    frame = pd.DataFrame({str(c): np.asarray(sensitive[c], dtype=object) for c in sensitive.columns})
    if task == "binary":
        y_true, decisions, classes = np.asarray(y_true).astype(int), np.asarray(decisions).astype(int), None
    elif task == "multiclass":
        y_true, decisions = np.asarray(y_true), np.asarray(decisions)
        classes = None if classes is None else tuple(classes)
    else:
        y_true, decisions, classes = np.asarray(y_true, dtype=float), np.asarray(decisions, dtype=float), None
    return review(task, y_true, decisions, frame, classes=classes, seed=seed, n_bootstrap=n_bootstrap,
                  min_group_size=min_group_size, decision=decision_text(task, threshold, positive_class))


def review_held_out(held: HeldOut, sensitive: tuple[str, ...] | list[str], *, threshold: float | None,
                    seed: int = 0, n_bootstrap: int = DEFAULT_BOOTSTRAP, min_group_size: int = MIN_GROUP_SIZE,
                    progress: Progress = quiet) -> FairnessReport:
    """The review of ``held``'s pipeline on its test rows by the dataset columns ``sensitive``
    (taken from the rows already loaded), deciding as the validation report with ``threshold``
    does. Raises InputError as :func:`review_decisions` does, or for a column the version lacks."""
    rows = held.columns(list(sensitive)).reset_index(drop=True)
    progress(0.4, "Predicting the test rows")
    decisions = decisions_of(held.pipeline, held.task, held.X, threshold)
    classes = tuple(held.pipeline.classes_.tolist()) if held.task == "multiclass" else None
    progress(0.6, f"Group metrics and {n_bootstrap} bootstrap resamples")
    return review_decisions(held.task, held.y, decisions, rows, classes=classes, threshold=threshold,
                            positive_class=held.positive_class, seed=seed, n_bootstrap=n_bootstrap,
                            min_group_size=min_group_size)


def review_key(version: ModelVersion, dataset: DatasetVersion, split_id: int, sensitive, *,
               threshold: float | None, seed: int, n_bootstrap: int, min_group_size: int) -> str:
    """The evidence key of a review: everything its numbers depend on."""
    return evidence.cache_key(model=version.artifact_hash, data=dataset.content_hash, split=split_id,
                              sensitive=list(sensitive), threshold=threshold, seed=seed, n_bootstrap=n_bootstrap,
                              min_group_size=min_group_size, format=FORMAT_VERSION)


def store_review(workspace: Workspace, actor: User, version: ModelVersion, key: str,
                 report: FairnessReport) -> Evidence:
    """Store ``report`` as the version's fairness evidence under ``key`` (with its audit event);
    the stored one when that key is already on record."""
    return evidence.record(workspace, actor, version.id, KIND, key, summary=report.summary,
                           payload=report.to_dict())
