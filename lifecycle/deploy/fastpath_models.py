"""The compiled row path's estimators: histogram gradient boosting through its fitted predictors,
logistic regression through its coefficients, any other fitted estimator by its own methods.
"""
from __future__ import annotations

import copy
from typing import Any, Callable
import numpy as np


# --- estimators ----------------------------------------------------------------------------------

Model = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


def compile_estimator(estimator: Any, classes: bool) -> tuple[Model, str]:
    """``(function X -> (labels, probabilities or None), how)`` for the final estimator."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    kind = type(estimator)
    if kind in (HistGradientBoostingClassifier, HistGradientBoostingRegressor) and \
            getattr(estimator, "_preprocessor", None) is None:
        threads = _openmp_effective_n_threads()
        baseline = estimator._baseline_prediction
        per_iteration = estimator.n_trees_per_iteration_

        def raw(X):
            out = np.zeros((X.shape[0], per_iteration), dtype=baseline.dtype, order="F")
            out += baseline
            estimator._predict_iterations(X, estimator._predictors, out, False, threads)
            return out
        if kind is HistGradientBoostingRegressor:
            return (lambda X: (estimator._loss.link.inverse(raw(X).ravel()), None)), "hgb predictors"
        labels_of = estimator.classes_

        def hgb(X):
            scores = raw(X)
            encoded = (scores.ravel() > 0).astype(int) if scores.shape[1] == 1 else np.argmax(scores, axis=1)
            return labels_of[encoded], (estimator._loss.predict_proba(scores) if classes else None)
        return hgb, "hgb predictors"
    if kind is LogisticRegression and classes:
        from scipy.special import expit
        from sklearn.utils.extmath import softmax

        coef_t, intercept, labels_of = estimator.coef_.T, estimator.intercept_, estimator.classes_

        def logistic(X):
            scores = X @ coef_t + intercept
            if scores.shape[1] == 1:
                scores = scores.reshape(-1)
                labels = labels_of[(scores > 0).astype(int)]
                prob = expit(scores)
                return labels, np.vstack([1 - prob, prob]).T
            return labels_of[scores.argmax(axis=1)], softmax(scores.copy(), copy=False)
        return logistic, "coef_"
    # any other fitted estimator: its own methods on the float array, without the name check
    bare = copy.copy(estimator)
    if hasattr(bare, "feature_names_in_"):
        del bare.feature_names_in_
    if classes and hasattr(bare, "predict_proba"):
        from lifecycle.deploy.live import _argmax_classifiers

        argmax = type(estimator) in _argmax_classifiers()
        labels_of = np.asarray(estimator.classes_, dtype=object)

        def proba(X):
            probabilities = np.asarray(bare.predict_proba(X), dtype=float)
            if not argmax:
                return bare.predict(X), probabilities
            labels = labels_of.take(probabilities.argmax(axis=1))
            tied = np.flatnonzero((probabilities == probabilities.max(axis=1, keepdims=True)).sum(axis=1) > 1)
            if len(tied):
                labels[tied] = bare.predict(X[tied])
            return labels, probabilities
        return proba, f"{kind.__name__}.predict_proba"
    return (lambda X: (bare.predict(X), None)), f"{kind.__name__}.predict"
