"""Fairness-mitigated classifiers that Lifecycle can save with skops and serve like any model.

Fairlearn's mitigators hold pandas objects and many internal types. After fitting, each one is
converted into a small estimator here that keeps only numpy arrays and already-trusted
scikit-learn estimators, and reads every input it needs (the sensitive attribute included)
from the columns of the row it is given:

* :class:`GroupThresholdClassifier` — what ``ThresholdOptimizer`` learned: per group of the
  sensitive attribute(s), a randomized mix of two thresholds on the base model's probability.
* :class:`MixtureClassifier` — what ``ExponentiatedGradient`` learned: a weighted mix of
  classifiers, each giving hard 0/1 decisions.

Both are randomized classifiers in Fairlearn. Here ``predict_proba`` returns their exact
probability of the positive class (Fairlearn's ``_pmf_predict``), and ``predict`` is the
deterministic *expected decision*: positive when that probability is at least 0.5. The same
row always gets the same answer, at the price of meeting the fairness constraint a little
less exactly than the randomized rule does; the trade-off chart shows the values reached.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from lifecycle.validate.groups import group_labels

GROUP_SEPARATOR = " · "
CONSTRAINTS = ("demographic_parity", "equalized_odds")


def group_keys(X: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One text key per row naming its group: each attribute's group name
    (:func:`lifecycle.validate.groups.group_labels`: the value as the recipe reads a category,
    empty ones "(missing)"), several attributes joined by " · ". Raises ValueError when ``X``
    lacks a column."""
    columns = list(columns)
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"The rows lack the sensitive column(s) {missing}; the model needs them to pick "
                         "each row's group.")
    labels = [group_labels(X[c]) for c in columns]
    if len(columns) == 1:
        return labels[0]
    return np.array([GROUP_SEPARATOR.join(row) for row in zip(*labels)], dtype=str)


def _positive_scores(estimator, X) -> np.ndarray:
    proba = np.asarray(estimator.predict_proba(X), dtype=float)
    return proba[:, list(estimator.classes_).index(1)]


def _expected_decision(positive: np.ndarray) -> np.ndarray:
    return (positive >= 0.5).astype(int)


class GroupThresholdClassifier(ClassifierMixin, BaseEstimator):
    """A fitted binary classifier whose decisions are re-thresholded per group.

    ``estimator`` is the base model, already fitted (it is never refitted); it reads
    ``feature_columns``. The group of a row comes from its ``sensitive_columns``. ``fit``
    runs Fairlearn's ``ThresholdOptimizer`` (``prefit=True``, on ``predict_proba``) with
    ``constraints`` and keeps, per group, the interpolation it learned: with probability
    ``p0_`` the rule "score op0 threshold0", with ``p1_`` the other rule, and with
    ``p_ignore_`` the constant ``prediction_constant_``. A group never seen in ``fit`` keeps
    the base model's own probability.
    """

    def __init__(self, estimator=None, *, sensitive_columns: Sequence[str] = (),
                 feature_columns: Sequence[str] = (), constraints: str = "demographic_parity"):
        self.estimator = estimator
        self.sensitive_columns = sensitive_columns
        self.feature_columns = feature_columns
        self.constraints = constraints

    def fit(self, X: pd.DataFrame, y, **_ignored):
        from fairlearn.postprocessing import ThresholdOptimizer

        optimizer = ThresholdOptimizer(estimator=self.estimator, constraints=self.constraints,
                                       objective="accuracy_score", prefit=True, predict_method="predict_proba")
        optimizer.fit(X[list(self.feature_columns)], np.asarray(y).astype(int),
                      sensitive_features=group_keys(X, self.sensitive_columns))
        return self._adopt(optimizer)

    @classmethod
    def from_optimizer(cls, optimizer, *, sensitive_columns: Sequence[str],
                       feature_columns: Sequence[str]) -> "GroupThresholdClassifier":
        """Convert a fitted ``ThresholdOptimizer`` whose groups were ``group_keys`` of these columns."""
        model = cls(optimizer.estimator_, sensitive_columns=tuple(sensitive_columns),
                    feature_columns=tuple(feature_columns), constraints=optimizer.constraints)
        return model._adopt(optimizer)

    def _adopt(self, optimizer) -> "GroupThresholdClassifier":
        rules = optimizer.interpolated_thresholder_.interpolation_dict
        groups = sorted(rules, key=str)
        self.groups_ = np.array([str(g) for g in groups], dtype=str)
        self.p0_ = np.array([float(rules[g].p0) for g in groups])
        self.p1_ = np.array([float(rules[g].p1) for g in groups])
        self.above0_ = np.array([rules[g].operation0.operator == ">" for g in groups])
        self.above1_ = np.array([rules[g].operation1.operator == ">" for g in groups])
        self.threshold0_ = np.array([float(rules[g].operation0.threshold) for g in groups])
        self.threshold1_ = np.array([float(rules[g].operation1.threshold) for g in groups])
        self.p_ignore_ = np.array([float(rules[g].get("p_ignore", 0.0)) for g in groups])
        self.prediction_constant_ = np.array([float(rules[g].get("prediction_constant", 0.0)) for g in groups])
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(self.feature_columns) + len(
            [c for c in self.sensitive_columns if c not in self.feature_columns])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "groups_")
        scores = _positive_scores(self.estimator, X[list(self.feature_columns)])
        keys = group_keys(X, self.sensitive_columns)
        positive = scores.copy()  # unseen groups keep the base model's probability
        for i, group in enumerate(self.groups_):
            rows = keys == group
            if not rows.any():
                continue
            s = scores[rows]
            first = (s > self.threshold0_[i]) if self.above0_[i] else (s < self.threshold0_[i])
            second = (s > self.threshold1_[i]) if self.above1_[i] else (s < self.threshold1_[i])
            mixed = self.p0_[i] * first + self.p1_[i] * second
            positive[rows] = self.p_ignore_[i] * self.prediction_constant_[i] + (1 - self.p_ignore_[i]) * mixed
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The expected decision: positive when the probability of a positive is at least 0.5."""
        return _expected_decision(self.predict_proba(X)[:, 1])


class MixtureClassifier(ClassifierMixin, BaseEstimator):
    """A weighted mix of binary classifiers, each voting 0 or 1: what Fairlearn's
    ``ExponentiatedGradient`` returns.

    ``fit(X, y, sensitive_features=...)`` runs ``ExponentiatedGradient`` on clones of
    ``estimator`` (which must accept ``sample_weight``) with ``constraints``, ``eps`` and
    ``max_iter``, and keeps the classifiers with a positive weight (``estimators_``,
    ``weights_``). ``X`` is a numeric matrix (the recipe's output, in a pipeline).
    """

    def __init__(self, estimator=None, *, constraints: str = "demographic_parity", eps: float = 0.01,
                 max_iter: int = 50):
        self.estimator = estimator
        self.constraints = constraints
        self.eps = eps
        self.max_iter = max_iter

    def fit(self, X, y, *, sensitive_features):
        from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient

        moment = {"demographic_parity": DemographicParity, "equalized_odds": EqualizedOdds}[self.constraints]()
        reduction = ExponentiatedGradient(clone(self.estimator), moment, eps=self.eps, max_iter=self.max_iter)
        reduction.fit(np.asarray(X, dtype=float), np.asarray(y).astype(int),
                      sensitive_features=np.asarray(sensitive_features))
        return self._adopt(reduction)

    @classmethod
    def from_reduction(cls, reduction) -> "MixtureClassifier":
        """Convert a fitted ``ExponentiatedGradient`` (classification constraints)."""
        model = cls(reduction.estimator, eps=reduction.eps, max_iter=reduction.max_iter,
                    constraints=_constraint_name(reduction.constraints))
        return model._adopt(reduction)

    def _adopt(self, reduction) -> "MixtureClassifier":
        kept = [(int(t), float(w)) for t, w in reduction.weights_.items() if w > 0]
        self.estimators_ = [reduction.predictors_[t] for t, _ in kept]
        self.weights_ = np.array([w for _, w in kept])
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = getattr(self.estimators_[0], "n_features_in_", None)
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        matrix = np.asarray(X, dtype=float)
        positive = np.zeros(len(matrix))
        for estimator, weight in zip(self.estimators_, self.weights_):
            positive += weight * np.asarray(estimator.predict(matrix), dtype=float)
        positive = np.clip(positive, 0.0, 1.0)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X) -> np.ndarray:
        """The expected decision: positive when the weighted vote for positive is at least 0.5."""
        return _expected_decision(self.predict_proba(X)[:, 1])


def _constraint_name(moment) -> str:
    name = type(moment).__name__
    return {"DemographicParity": "demographic_parity", "EqualizedOdds": "equalized_odds"}.get(name, name)
