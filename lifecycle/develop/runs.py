"""Stage 3 — reading runs: lists, the leaderboard, comparisons, learning curves, param charts."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
from sklearn.model_selection import learning_curve as sklearn_learning_curve

from lifecycle.problem import metrics as metric_lib
from lifecycle.errors import InputError, NotFound
from lifecycle.problem.objectives import CATALOGUE as METRICS
from lifecycle.problem.projects import get_project
from lifecycle.records import RUN_STATUSES, Leaderboard, Run, Search
from lifecycle.store import runs as run_store
from lifecycle.develop.training import build_pipeline, data_for_run, get_run, splitter, subsample
from lifecycle.workspace import Workspace

__all__ = ["compare", "get_run", "get_search", "leaderboard", "learning_curve", "list_runs", "list_searches",
           "parallel_coordinates_data", "runs_of_search"]

MAX_PAGE = 1000
DEFAULT_TRAIN_SIZES = (0.1, 0.325, 0.55, 0.775, 1.0)


def get_search(workspace: Workspace, search_id: int) -> Search:
    found = run_store.get_search(workspace.db.cursor(), search_id)
    if found is None:
        raise NotFound(f"No search with id {search_id}.", "Start one on the Develop page.")
    return found


def list_searches(workspace: Workspace, project_id: int, limit: int = 100) -> list[Search]:
    """The project's searches, newest first."""
    return run_store.searches_for(workspace.db.cursor(), project_id, limit)


def _check_statuses(statuses: Iterable[str] | None) -> list[str] | None:
    if statuses is None:
        return None
    statuses = [statuses] if isinstance(statuses, str) else list(statuses)
    unknown = [s for s in statuses if s not in RUN_STATUSES]
    if unknown:
        raise InputError(f"Run status {unknown[0]!r} is not known.", f"Use one of: {', '.join(RUN_STATUSES)}.")
    return statuses


def _page(limit: int, offset: int) -> None:
    if not (isinstance(limit, int) and 1 <= limit <= MAX_PAGE and isinstance(offset, int) and offset >= 0):
        raise InputError(f"Page limit {limit!r} / offset {offset!r} is out of range.",
                         f"Use a limit from 1 to {MAX_PAGE} and an offset >= 0.")


def list_runs(workspace: Workspace, project_id: int, *, search_id: int | None = None,
              algorithm: str | None = None, status: str | Iterable[str] | None = None,
              limit: int | None = None, offset: int = 0, newest_first: bool = False) -> list[Run]:
    return run_store.list_runs(workspace.db.cursor(), project_id, search_id=search_id, algorithm=algorithm,
                               statuses=_check_statuses(status), limit=limit, offset=offset,
                               newest_first=newest_first)


def runs_of_search(workspace: Workspace, search_id: int) -> list[Run]:
    search = get_search(workspace, search_id)
    return list_runs(workspace, search.project_id, search_id=search_id)


def _metric_for(workspace: Workspace, project_id: int, metric: str | None) -> tuple[str, bool]:
    """The metric (default: the task's primary) and whether it is the primary one."""
    task = get_project(workspace, project_id).task
    primary = metric_lib.PRIMARY[task]
    metric = metric or primary
    spec = METRICS.get(metric)
    if spec is None or spec.kind != "performance" or task not in spec.tasks:
        choices = [m for m, s in METRICS.items() if s.kind == "performance" and task in s.tasks]
        raise InputError(f"Metric {metric!r} does not rank {task} runs.", f"Choose one of: {', '.join(choices)}.")
    return metric, metric == primary


def leaderboard(workspace: Workspace, project_id: int, *, metric: str | None = None, limit: int = 50,
                offset: int = 0, search_id: int | None = None, algorithm: str | None = None,
                include_failed: bool = False) -> Leaderboard:
    """A page of the project's runs, best first by ``metric`` (mean over folds).

    Sorting and paging happen in SQL; only the page's runs are parsed. Failed runs are left
    out unless ``include_failed`` (then they come last, as do runs without the metric).
    """
    _page(limit, offset)
    metric, primary = _metric_for(workspace, project_id, metric)
    higher = METRICS[metric].higher_is_better
    statuses = RUN_STATUSES if include_failed else ("finished",)
    runs, total = run_store.leaderboard(workspace.db.cursor(), project_id, metric=metric, primary=primary,
                                        descending=higher, limit=limit, offset=offset, search_id=search_id,
                                        algorithm=algorithm, statuses=statuses)
    return Leaderboard(metric=metric, higher_is_better=higher, runs=tuple(runs), total=total, offset=offset,
                       limit=limit, ranks=tuple(range(offset + 1, offset + 1 + len(runs))))


def compare(workspace: Workspace, run_ids: Sequence[int]) -> list[dict[str, Any]]:
    """One row per run, side by side: what it trained on, its params, every metric mean ± std."""
    if not run_ids:
        return []
    runs = run_store.get_runs(workspace.db.cursor(), list(run_ids))
    missing = sorted(set(run_ids) - {r.id for r in runs})
    if missing:
        raise NotFound(f"No run with id {missing[0]}.", "Pick runs from the leaderboard.")
    metrics = sorted({m for r in runs for m in r.cv_metrics})
    params = sorted({p for r in runs for p in r.params})
    rows = []
    for run in runs:
        row: dict[str, Any] = {"run_id": run.id, "algorithm": run.algorithm, "status": run.status,
                               "dataset_id": run.dataset_id, "split_id": run.split_id, "recipe_id": run.recipe_id,
                               "seed": run.seed, "cv_folds": run.cv_folds, "n_samples": run.n_samples,
                               "fit_seconds": run.fit_seconds, "score_seconds": run.score_seconds,
                               "error": run.error}
        for metric in metrics:
            row[metric] = run.metric(metric)
            row[f"{metric}_std"] = run.metric_std(metric)
        for param in params:
            row[f"param:{param}"] = run.params.get(param)
        rows.append(row)
    return rows


def compared_runs(workspace: Workspace, run_ids: Sequence[int]) -> list[Run]:
    """The run records themselves, in the order asked (for per-fold charts)."""
    return run_store.get_runs(workspace.db.cursor(), list(run_ids))


def learning_curve(workspace: Workspace, run_id: int, *,
                   train_sizes: Sequence[float] = DEFAULT_TRAIN_SIZES) -> dict[str, Any]:
    """Train and cross-validation score of the run's pipeline as the training rows grow.

    Uses scikit-learn's ``learning_curve`` on the run's training rows with its splitter, seed
    and primary metric; scores are in metric units (error metrics positive).
    """
    run = get_run(workspace, run_id)
    if not run.ok:
        raise InputError(f"Run #{run.id} {run.status}; a learning curve needs a finished run.",
                         "Pick a finished run from the leaderboard.")
    sizes = [float(s) for s in train_sizes]
    if not sizes or any(not 0 < s <= 1 for s in sizes):
        raise InputError(f"Train sizes {list(train_sizes)} must be shares in (0, 1].", "Use e.g. [0.1, 0.5, 1.0].")
    data = data_for_run(workspace, run)
    X, y = subsample(data.X_train, data.y_train, run.n_samples, run.seed, data.task)
    pipeline = build_pipeline(data.recipe, data.schema, run.algorithm, data.task, run.params, run.seed)
    metric = run.primary_metric
    try:
        rows, train, test = sklearn_learning_curve(
            pipeline, X, y, train_sizes=sizes, cv=splitter(data.task, run.cv_folds, run.seed),
            scoring=metric_lib.SCORERS[metric][0], shuffle=True, random_state=run.seed, error_score="raise")
    except ValueError as error:
        raise InputError(f"The learning curve of run #{run.id} could not be computed: {error}",
                         "Use larger train sizes (small shares may miss a class).") from None
    sign = metric_lib.SCORERS[metric][1]
    train, test = sign * np.asarray(train, dtype=float), sign * np.asarray(test, dtype=float)
    return {"run_id": run.id, "metric": metric, "higher_is_better": METRICS[metric].higher_is_better,
            "train_sizes": [int(n) for n in rows],
            "train_mean": train.mean(axis=1).tolist(), "train_std": train.std(axis=1).tolist(),
            "cv_mean": test.mean(axis=1).tolist(), "cv_std": test.std(axis=1).tolist()}


def parallel_coordinates_data(workspace: Workspace, project_id: int, algorithm: str, *,
                              metric: str | None = None) -> list[dict[str, Any]]:
    """One row per finished run of ``algorithm``: its params and its score under ``metric``."""
    metric, primary = _metric_for(workspace, project_id, metric)
    found = run_store.param_scores(workspace.db.cursor(), project_id, algorithm, metric=metric, primary=primary)
    return [{"run_id": run_id, **params, metric: score} for run_id, params, score in found]
