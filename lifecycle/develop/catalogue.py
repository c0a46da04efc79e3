"""Stage 3 — the algorithm catalogue and user-editable hyperparameter search spaces.

A search space is plain JSON, so a user can read and edit it::

    {"max_depth": [3, 6, null],                       # values to try (a grid axis)
     "learning_rate": {"log_uniform": [0.01, 0.3]},   # a range, sampled on a log scale
     "max_iter": {"int_uniform": [50, 300]},          # whole numbers, both ends included
     "l2_regularization": {"uniform": [0.0, 1.0]}}    # a range, sampled evenly

A bare value (``"max_iter": 200``) is a single fixed value. :func:`parse_space` checks every
name against the estimator's parameters and every value against scikit-learn's own parameter
constraints, then returns lists (for grid search) and ``scipy.stats`` distributions (for
random search and successive halving).
"""
from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from scipy.stats import loguniform, randint, uniform
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                              HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from lifecycle.errors import InputError

ALL_TASKS = ("binary", "multiclass", "regression")
DISTRIBUTIONS = ("log_uniform", "uniform", "int_uniform")
SEED_PARAMS = ("random_state",)  # set from the run's seed, never from the space


def task_kind(task: str) -> str:
    if task not in ALL_TASKS:
        raise InputError(f"Task {task!r} is not supported.", f"Choose one of: {', '.join(ALL_TASKS)}.")
    return "regression" if task == "regression" else "classification"


@dataclass(frozen=True, kw_only=True, eq=False)
class Algorithm:
    """One entry of the catalogue: how to build the estimator and where to search."""

    name: str
    label: str
    family: str
    tasks: tuple[str, ...]
    summary: str
    builders: Mapping[str, Callable[[], BaseEstimator]]  # "classification"/"regression" -> estimator
    spaces: Mapping[str, Mapping[str, Any]]  # task kind -> default random/halving space
    grids: Mapping[str, Mapping[str, Any]]  # task kind -> default (small) grid
    parallel: bool = False  # has a working n_jobs parameter (pinned to 1: one core per search)

    def supports(self, task: str) -> bool:
        return task in self.tasks

    def _check_task(self, task: str) -> str:
        kind = task_kind(task)
        if not self.supports(task):
            raise InputError(f"{self.label} does not handle {task} tasks.",
                             f"Choose one of: {', '.join(a.name for a in for_task(task))}.")
        return kind

    def default_space(self, task: str, method: str = "random") -> dict[str, Any]:
        """A fresh copy of the default space: lists only for ``grid``, ranges otherwise."""
        kind = self._check_task(task)
        source = self.grids if method == "grid" else self.spaces
        return copy.deepcopy(dict(source[kind]))

    def make(self, task: str, params: Mapping[str, Any] | None = None, seed: int = 0) -> BaseEstimator:
        """The unfitted estimator: ``random_state=seed`` and ``n_jobs=1`` where it has them."""
        kind = self._check_task(task)
        estimator = self.builders[kind]()
        known = estimator.get_params(deep=False)
        common = {"random_state": seed} if "random_state" in known else {}
        if self.parallel:
            common["n_jobs"] = 1
        estimator.set_params(**common, **dict(params or {}))
        return estimator

    def parameter_names(self, task: str) -> list[str]:
        return sorted(p for p in self.make(task).get_params(deep=False) if p not in SEED_PARAMS)


def _forest_space(n_estimators: tuple[int, int]) -> dict[str, Any]:
    return {"n_estimators": {"int_uniform": list(n_estimators)}, "max_depth": [None, 6, 12, 24],
            "min_samples_leaf": {"int_uniform": [1, 10]}, "max_features": ["sqrt", 0.5, 1.0]}


_FOREST_GRID = {"n_estimators": [100], "max_depth": [None, 8, 16], "min_samples_leaf": [1, 5],
                "max_features": ["sqrt", 0.5]}
_HGB_SPACE = {"learning_rate": {"log_uniform": [0.01, 0.3]}, "max_iter": {"int_uniform": [50, 300]},
              "max_leaf_nodes": [15, 31, 63], "min_samples_leaf": {"int_uniform": [5, 50]},
              "l2_regularization": {"log_uniform": [0.0001, 1.0]}}
_HGB_GRID = {"learning_rate": [0.05, 0.1, 0.2], "max_leaf_nodes": [15, 31], "max_iter": [100]}
_KNN_SPACE = {"n_neighbors": {"int_uniform": [3, 50]}, "weights": ["uniform", "distance"]}
_KNN_GRID = {"n_neighbors": [5, 15, 31], "weights": ["uniform", "distance"]}

_ALGORITHMS = [
    Algorithm(name="dummy", label="Dummy baseline", family="baseline", tasks=ALL_TASKS,
              summary="Predicts the class prior (classification) or the mean (regression); the bar "
                      "every real model must clear.",
              builders={"classification": lambda: DummyClassifier(strategy="prior"),
                        "regression": lambda: DummyRegressor(strategy="mean")},
              spaces={"classification": {"strategy": ["prior", "stratified", "uniform"]},
                      "regression": {"strategy": ["mean", "median"]}},
              grids={"classification": {"strategy": ["prior", "stratified", "uniform"]},
                     "regression": {"strategy": ["mean", "median"]}}),
    Algorithm(name="linear", label="Logistic / ridge regression", family="linear", tasks=ALL_TASKS,
              summary="Regularised linear model: logistic regression for classes, ridge for numbers. "
                      "Fast and easy to explain.",
              builders={"classification": lambda: LogisticRegression(max_iter=1000),
                        "regression": lambda: Ridge()},
              spaces={"classification": {"C": {"log_uniform": [0.001, 100.0]}},
                      "regression": {"alpha": {"log_uniform": [0.001, 100.0]}}},
              grids={"classification": {"C": [0.01, 0.1, 1.0, 10.0]},
                     "regression": {"alpha": [0.1, 1.0, 10.0, 100.0]}}),
    Algorithm(name="random_forest", label="Random forest", family="tree ensemble (bagging)",
              tasks=ALL_TASKS,
              summary="Many deep trees on bootstrap samples, averaged. Robust with little tuning.",
              builders={"classification": RandomForestClassifier, "regression": RandomForestRegressor},
              spaces={"classification": _forest_space((50, 200)),
                      "regression": _forest_space((50, 200))},
              grids={"classification": _FOREST_GRID, "regression": _FOREST_GRID}, parallel=True),
    Algorithm(name="hist_gradient_boosting", label="Histogram gradient boosting",
              family="tree ensemble (boosting)", tasks=ALL_TASKS,
              summary="Boosted trees on binned features; usually the strongest on tabular data.",
              builders={"classification": HistGradientBoostingClassifier,
                        "regression": HistGradientBoostingRegressor},
              spaces={"classification": _HGB_SPACE, "regression": _HGB_SPACE},
              grids={"classification": _HGB_GRID, "regression": _HGB_GRID}),
    Algorithm(name="extra_trees", label="Extra trees", family="tree ensemble (randomised)",
              tasks=ALL_TASKS,
              summary="Like a random forest with random split points: faster, often smoother.",
              builders={"classification": ExtraTreesClassifier, "regression": ExtraTreesRegressor},
              spaces={"classification": _forest_space((50, 200)),
                      "regression": _forest_space((50, 200))},
              grids={"classification": _FOREST_GRID, "regression": _FOREST_GRID}, parallel=True),
    Algorithm(name="knn", label="k nearest neighbours", family="instance-based", tasks=ALL_TASKS,
              summary="Predicts from the closest training rows; needs scaled numeric features.",
              builders={"classification": KNeighborsClassifier, "regression": KNeighborsRegressor},
              spaces={"classification": _KNN_SPACE, "regression": _KNN_SPACE},
              grids={"classification": _KNN_GRID, "regression": _KNN_GRID}, parallel=True),
]
CATALOGUE: dict[str, Algorithm] = {a.name: a for a in _ALGORITHMS}


def get_algorithm(name: str | Algorithm) -> Algorithm:
    """The catalogue's algorithm by name (an Algorithm passes through). Raises InputError listing the names there
    are."""
    if isinstance(name, Algorithm):
        return name
    found = CATALOGUE.get(name)
    if found is None:
        raise InputError(f"No algorithm named {name!r}.", f"Choose one of: {', '.join(CATALOGUE)}.")
    return found


def for_task(task: str) -> list[Algorithm]:
    """The algorithms of the catalogue that fit a task (binary, multiclass or regression). Raises InputError for
    an unknown task."""
    task_kind(task)
    return [a for a in _ALGORITHMS if a.supports(task)]


# ----------------------------------------------------------------------------- spaces

def space_dict(space: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """The space as a JSON-ready dict (parsing JSON text, naming the line of a typo)."""
    if space is None:
        return {}
    if isinstance(space, str):
        text = space.strip() or "{}"
        try:
            space = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"The search space is not valid JSON: {error.msg} at line {error.lineno}, "
                             f"column {error.colno}.",
                             'Write it like {"max_depth": [3, 6, null], "learning_rate": '
                             '{"log_uniform": [0.01, 0.3]}} (null, not None; double quotes).') from None
    if not isinstance(space, Mapping):
        raise InputError(f"The search space is a {type(space).__name__}, not a mapping of parameter "
                         "names to values.", 'Write it like {"max_depth": [3, 6, null]}.')
    try:
        return json.loads(json.dumps(dict(space), allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InputError(f"The search space holds a value JSON cannot store ({error}).",
                         "Use numbers, text, true/false, null, lists and ranges only.") from None


def _shown(value: Any) -> str:
    return json.dumps(value) if value is None or isinstance(value, bool) else repr(value)


def _constraint_text(error: Exception) -> str:
    """The 'must be ...' part of a scikit-learn InvalidParameterError, in JSON words."""
    text = str(error)
    start = text.find("must be ")
    if start < 0:
        return text.rstrip(".")
    rule = text[start + len("must be "):]
    rule = rule.split(". Got ")[0].rstrip(".")
    return rule.replace("None", "null").replace("True", "true").replace("False", "false")


def _check_value(algorithm: Algorithm, task: str, param: str, value: Any) -> None:
    estimator = algorithm.make(task)
    try:
        estimator.set_params(**{param: value})
        validate = getattr(estimator, "_validate_params", None)
        if validate is not None:
            validate()
    except Exception as error:  # scikit-learn raises InvalidParameterError (a ValueError/TypeError)
        raise InputError(f"{param}: {_shown(value)} is not allowed for {algorithm.label}; use "
                         f"{_constraint_text(error)}.",
                         "Edit that value in the search space.") from None


def _range(param: str, kind: str, bounds: Any) -> tuple[Any, Any]:
    if (not isinstance(bounds, list) or len(bounds) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)):
        raise InputError(f"{param}: {kind} needs two numbers [low, high]; got {_shown(bounds)}.",
                         f'Write it like {{"{kind}": [1, 10]}}.')
    low, high = bounds
    if not all(math.isfinite(b) for b in bounds) or low >= high:
        raise InputError(f"{param}: {kind} range [{low}, {high}] is empty; low must be below high.",
                         "Swap or widen the bounds, or give a list of values instead.")
    if kind == "int_uniform" and not all(isinstance(b, int) for b in bounds):
        raise InputError(f"{param}: int_uniform needs whole-number bounds; got [{low}, {high}].",
                         "Use whole numbers, or a uniform range for fractions.")
    if kind == "log_uniform" and low <= 0:
        raise InputError(f"{param}: log_uniform needs a low bound above 0; got {low}.",
                         "Use a small positive low bound such as 0.0001, or a uniform range.")
    return low, high


def parse_space(algorithm: str | Algorithm, task: str,
                space: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """Validated, scikit-learn-ready space: lists of values, or scipy.stats distributions.

    Every name must be a parameter of the estimator (except ``random_state``, which comes
    from the run's seed) and every value, or both ends of every range, must pass
    scikit-learn's own parameter constraints.
    """
    algorithm = get_algorithm(algorithm)
    algorithm._check_task(task)
    names = algorithm.parameter_names(task)
    parsed: dict[str, Any] = {}
    for param, spec in space_dict(space).items():
        if param in SEED_PARAMS:
            raise InputError(f"{param} is set from the run's seed, not from the search space.",
                             "Remove it from the space and set the seed instead.")
        if param not in names:
            raise InputError(f"{param!r} is not a parameter of {algorithm.label} ({task}).",
                             f"Use one of: {', '.join(names)}.")
        if isinstance(spec, dict):
            kinds = [k for k in spec if k in DISTRIBUTIONS]
            if len(spec) != 1 or not kinds:
                raise InputError(f"{param}: a range must be one of {', '.join(DISTRIBUTIONS)}; got "
                                 f"{json.dumps(spec)}.", f'Write it like {{"log_uniform": [0.01, 0.3]}}.')
            kind = kinds[0]
            low, high = _range(param, kind, spec[kind])
            for bound in (low, high):
                _check_value(algorithm, task, param, bound)
            parsed[param] = (loguniform(low, high) if kind == "log_uniform"
                             else uniform(low, high - low) if kind == "uniform"
                             else randint(low, high + 1))
            continue
        values = spec if isinstance(spec, list) else [spec]
        if not values:
            raise InputError(f"{param}: the list of values is empty.", "Give at least one value or remove it.")
        for value in values:
            _check_value(algorithm, task, param, value)
        parsed[param] = list(values)
    return parsed


def is_grid(parsed: Mapping[str, Any]) -> bool:
    """True when every entry is a list of values (a space grid search can walk)."""
    return all(isinstance(v, list) for v in parsed.values())
