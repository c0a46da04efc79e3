"""SHAP for a fitted ``recipe → model`` pipeline, in the columns its user knows.

SHAP cannot walk a pipeline, so the recipe transforms the rows, the estimator is explained, and
the values of every output feature are summed onto its source column (``cat__sex=Male`` and
``cat__sex=Female`` both onto ``sex``): SHAP values are additive, so the sum is the column's
contribution. The explainer follows the model (see :func:`explainer_method`); what the values
add up to is described in :mod:`lifecycle.review.explain`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shap
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,
                              GradientBoostingRegressor, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from lifecycle import row_parallel
from lifecycle.errors import InputError
from lifecycle.data.recipe.compiler import source_column

PERMUTATIONS = 2  # forward-and-back passes per row for the permutation explainer
TREE_MODELS = (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor,
               HistGradientBoostingClassifier, HistGradientBoostingRegressor, GradientBoostingClassifier,
               GradientBoostingRegressor, DecisionTreeClassifier, DecisionTreeRegressor)
MARGIN_TREES = (HistGradientBoostingClassifier, GradientBoostingClassifier)  # raw output is log-odds


def explainer_method(model: Any) -> str:
    """``"tree"``, ``"linear"`` or ``"permutation"`` for a fitted estimator."""
    if isinstance(model, TREE_MODELS):
        return "tree"
    if type(model).__module__.startswith("sklearn.linear_model") and hasattr(model, "coef_"):
        return "linear"
    if not (hasattr(model, "predict_proba") or hasattr(model, "predict")):
        raise InputError(f"SHAP cannot explain a {type(model).__name__}: it has no predict method.",
                         "Register a run of a scikit-learn estimator from the catalogue.")
    return "permutation"


# ----------------------------------------------------------------------------- the explainer


@dataclass(frozen=True, kw_only=True, eq=False)
class ShapValues:
    """SHAP values of some rows, summed onto source columns; ``base_value + values.sum(1) == outputs``."""

    base_value: float
    values: np.ndarray  # rows × source columns
    outputs: np.ndarray  # the explained model output per row
    transformed: pd.DataFrame  # the rows after the recipe (derived columns are read from here)


def _source(feature_name: str) -> str:
    """The user's column behind a model feature; a mitigation pipeline nests the recipe's
    outputs under ``recipe__`` (beside the sensitive one-hot columns it decorrelates and drops)."""
    return source_column(str(feature_name).removeprefix("recipe__"))


class PipelineExplainer:
    """SHAP for a fitted ``recipe → model`` pipeline, built once (explainer, background, class),
    then asked for any rows with :meth:`explain`. Values are in source columns."""

    def __init__(self, pipeline: Pipeline, background: pd.DataFrame, *, task: str, target_class: str | None = None,
                 positive_label: str | None = None, seed: int = 0):
        if not isinstance(pipeline, Pipeline) or len(pipeline.steps) < 2:
            raise InputError("Only a registered recipe → model pipeline can be explained.",
                             "Register a run on the Develop page and explain that version.")
        self.task = task
        self.recipe_ = pipeline[:-1]
        self.model_ = pipeline[-1]
        self.method = explainer_method(self.model_)
        self.class_index_, self.target_class = self._resolve_class(target_class, positive_label)
        self.output_kind = self._output_kind()
        self.output = self._output_words()
        background_frame = self._transform(background)
        self.feature_names_ = [str(c) for c in background_frame.columns]
        self.columns = tuple(dict.fromkeys(_source(name) for name in self.feature_names_))
        self._grouping = np.zeros((len(self.feature_names_), len(self.columns)))
        for row, name in enumerate(self.feature_names_):
            self._grouping[row, self.columns.index(_source(name))] = 1.0
        self.background_rows = len(background_frame)
        self.seed = seed
        self._explainer = self._guarded(self._build, background_frame.to_numpy(dtype=float))

    # -- what is explained

    def _resolve_class(self, target_class: str | None, positive_label: str | None) -> tuple[int | None, str | None]:
        if self.task == "regression":
            return None, None
        classes = list(getattr(self.model_, "classes_", []))
        if self.task == "binary":
            index = classes.index(1) if 1 in classes else len(classes) - 1
            return index, positive_label or str(classes[index])
        labels = [str(c) for c in classes]
        if target_class is None:
            return 0, labels[0]
        if str(target_class) not in labels:
            raise InputError(f"Class {target_class!r} is not one the model predicts.",
                             f"Choose one of: {', '.join(labels)}.")
        return labels.index(str(target_class)), str(target_class)

    def _output_kind(self) -> str:
        if self.task == "regression":
            return "prediction"
        if (self.method == "tree" and isinstance(self.model_, MARGIN_TREES)) or self.method == "linear":
            return "log-odds"
        return "probability"

    def _output_words(self) -> str:
        if self.output_kind == "prediction":
            return "prediction"
        return f"{self.output_kind} of '{self.target_class}'"

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        transformed = self.recipe_.transform(X)
        if not isinstance(transformed, pd.DataFrame):
            transformed = pd.DataFrame(np.asarray(transformed), columns=self.recipe_.get_feature_names_out(),
                                       index=X.index)
        return transformed

    def _frame(self, array: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(array, columns=self.feature_names_)

    def model_output(self, array: np.ndarray) -> np.ndarray:
        """The output the SHAP values add up to, for transformed rows."""
        frame = self._frame(np.atleast_2d(array))
        if self.output_kind == "prediction":
            return np.asarray(self.model_.predict(frame), dtype=float)
        if self.output_kind == "log-odds":
            margin = np.asarray(self.model_.decision_function(frame), dtype=float)
            return margin if margin.ndim == 1 else margin[:, self.class_index_]
        return np.asarray(self.model_.predict_proba(frame), dtype=float)[:, self.class_index_]

    # -- SHAP

    def _guarded(self, step, *args):
        try:
            return step(*args)
        except InputError:
            raise
        except Exception as error:  # SHAP raises many types; the user gets one clear message
            detail = " ".join(f"{type(error).__name__}: {error}".split())[:300]
            raise InputError(f"SHAP could not explain the {type(self.model_).__name__} model ({detail}).",
                             "Explain another registered version, or report this model type.") from error

    def _build(self, background: np.ndarray):
        if self.method == "tree":
            return shap.TreeExplainer(self.model_)
        if self.method == "linear":
            coef = np.asarray(self.model_.coef_, dtype=float)
            intercept = np.atleast_1d(np.asarray(self.model_.intercept_, dtype=float))
            if coef.ndim == 2:  # classifiers keep one row per class (one row in total for binary)
                row = 0 if coef.shape[0] == 1 else self.class_index_
                coef, intercept = coef[row], intercept[row if len(intercept) > 1 else 0]
            else:
                intercept = intercept[0]
            return shap.LinearExplainer((coef, float(intercept)), background)
        masker = shap.maskers.Independent(background, max_samples=len(background))
        return shap.PermutationExplainer(self.model_output, masker, seed=self.seed)

    def _shap(self, array: np.ndarray) -> tuple[float, np.ndarray]:
        if self.method == "permutation":
            result = self._explainer(array, max_evals=PERMUTATIONS * (2 * array.shape[1] + 1), silent=True)
            return float(np.atleast_1d(result.base_values)[0]), np.asarray(result.values, dtype=float)
        values = np.asarray(row_parallel.map_rows(
            lambda rows: np.asarray(self._explainer.shap_values(rows), dtype=float), array), dtype=float)
        base = np.atleast_1d(np.asarray(self._explainer.expected_value, dtype=float))
        if values.ndim == 3:  # one slice per class
            values = values[:, :, self.class_index_]
            base = base[self.class_index_] if len(base) > 1 else base[0]
        else:
            base = base[0]
        return float(base), values

    def explain(self, X: pd.DataFrame) -> ShapValues:
        if len(X) == 0:
            raise InputError("There are no rows to explain.", "Pick a model whose split has test rows.")
        transformed = self._transform(X)
        array = transformed.to_numpy(dtype=float)
        base, raw = self._guarded(self._shap, array)
        outputs = self._guarded(self.model_output, array)
        return ShapValues(base_value=base, values=raw @ self._grouping, outputs=outputs, transformed=transformed)
