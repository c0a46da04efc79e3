"""Stage 3 — hyperparameter search where every trial is a run on record the moment it ends.

The loop is ours, not ``GridSearchCV``'s, so a trial is stored as soon as it finishes, a
progress callback advances per trial, and a cancel event stops the search after the
current trial with the finished runs kept. Candidates come from scikit-learn's
``ParameterGrid`` / ``ParameterSampler``; each is scored with ``cross_validate`` on the
training split only.

Successive halving uses the number of training rows as its resource: round ``i`` of ``R``
cross-validates the surviving candidates on ``n // factor**(R-1-i)`` rows (a seeded,
stratified subsample), and the best ``1/factor`` go on; the last round uses every
training row.
"""
from __future__ import annotations

import math
import threading
from contextlib import closing, nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sklearn.model_selection import ParameterGrid, ParameterSampler

from lifecycle import config
from lifecycle.problem import metrics as metric_lib
from lifecycle.auth import Permission, require
from lifecycle.develop.cluster import dask_client, fitted_trials
from lifecycle.develop.catalogue import Algorithm, get_algorithm, is_grid, parse_space, space_dict
from lifecycle.errors import InputError
from lifecycle.problem.objectives import CATALOGUE as METRICS
from lifecycle.problem.projects import get_project
from lifecycle.records import User
from lifecycle.records import Run
from lifecycle.store import audit_log
from lifecycle.store import runs as run_store
from lifecycle.develop.training import (TrainingData, check_folds, python_params, record_run, run_metrics,
                                        training_frames)
from lifecycle.workspace import Workspace

METHODS = ("none", "grid", "random", "halving")
DEFAULT_TRIALS = {"random": 20, "halving": 27}
MAX_TRIALS = 1000
FACTOR = 3
Progress = Callable[[int, int, Run], None]


@dataclass(frozen=True, kw_only=True)
class SearchResult:
    search_id: int
    runs: tuple[Run, ...]
    best_run_id: int | None
    cancelled: bool

    @property
    def finished(self) -> int:
        return sum(r.status == "finished" for r in self.runs)

    @property
    def failed(self) -> int:
        return sum(r.status == "failed" for r in self.runs)


# ----------------------------------------------------------------------------- candidates

def candidates(method: str, parsed: Mapping[str, Any], trials: int | None, seed: int) -> list[dict[str, Any]]:
    """Parameter sets to try, as plain Python values (exactly what each run records)."""
    if method not in METHODS:
        raise InputError(f"Search method {method!r} is not known.", f"Choose one of: {', '.join(METHODS)}.")
    if trials is not None and (isinstance(trials, bool) or not isinstance(trials, int)
                               or not 1 <= trials <= MAX_TRIALS):
        raise InputError(f"Trials {trials!r} is not a whole number from 1 to {MAX_TRIALS}.", "Use 20, for example.")
    ranges = sorted(k for k, v in parsed.items() if not isinstance(v, list))
    if method == "none":
        several = sorted(k for k, v in parsed.items() if isinstance(v, list) and len(v) != 1)
        if ranges or several:
            raise InputError(f"Training without a search takes one value per parameter; {(ranges + several)[0]} "
                             "has a range or several values.", "Give one value, or choose grid or random search.")
        return [python_params({k: v[0] for k, v in parsed.items()})]
    if method == "grid":
        if ranges:
            raise InputError(f"Grid search needs a list of values for every parameter; {ranges[0]} is a range.",
                             "Replace the range with a few values, e.g. [0.01, 0.1, 1], or use random search.")
        grid = ParameterGrid(dict(parsed))
        if trials is not None and len(grid) > trials:
            raise InputError(f"The grid has {len(grid)} combinations, more than the {trials} trials asked for.",
                             f"Raise trials to {len(grid)}, remove values from the grid, or use random search.")
        return [python_params(c) for c in grid]
    trials = trials or DEFAULT_TRIALS[method]
    if is_grid(parsed):
        grid = ParameterGrid(dict(parsed))
        if len(grid) <= trials:  # a small grid: try every point once rather than repeat some
            return [python_params(c) for c in grid]
    return [python_params(c) for c in ParameterSampler(dict(parsed), n_iter=trials, random_state=seed)]


def min_rows(data: TrainingData, folds: int) -> int:
    """The fewest rows a halving round may use: every class must still fill every fold."""
    floor = 4 * folds
    if data.task == "regression":
        return floor
    shares = data.y_train.value_counts(normalize=True)
    return max(floor, math.ceil((folds + 1) / float(shares.min())))


def halving_schedule(n_candidates: int, n_rows: int, smallest: int, factor: int = FACTOR) -> list[tuple[int, int]]:
    """(candidates, rows) per round: candidates shrink by ``factor``, rows grow to ``n_rows``."""
    rounds = 1 + (int(math.floor(math.log(n_candidates, factor) + 1e-9)) if n_candidates > 1 else 0)
    while rounds > 1 and n_rows // factor ** (rounds - 1) < smallest:
        rounds -= 1
    return [(math.ceil(n_candidates / factor ** i), n_rows // factor ** (rounds - 1 - i)) for i in range(rounds)]


def _better(metric: str) -> bool:
    return METRICS[metric].higher_is_better


def _ranked(runs: list[Run], metric: str) -> list[Run]:
    finished = [r for r in runs if r.ok and r.primary_score is not None]
    sign = -1 if _better(metric) else 1
    return sorted(finished, key=lambda r: (sign * r.primary_score, r.id))


# ----------------------------------------------------------------------------- the loop

def run_search(workspace: Workspace, actor: User, *, project_id: int, dataset_id: int, split_id: int,
               algorithm: str | Algorithm, method: str = "random", trials: int | None = None, seed: int = 0,
               space: Mapping[str, Any] | str | None = None, cv_folds: int = 5, progress: Progress | None = None,
               cancel: threading.Event | None = None) -> SearchResult:
    """Search ``algorithm``'s space on the training split; every trial becomes a run.

    With ``LIFECYCLE_DASK_SCHEDULER`` set, each round's candidates are fitted on that Dask cluster
    (``cluster.fitted_trials``) and recorded in candidate order as they come back; InputError when
    the scheduler cannot be reached (nothing is recorded then, not even the search).

    ``space`` (JSON text or a dict) defaults to the algorithm's default space for the method
    (no space for ``none``: the estimator's defaults). ``progress(done, total, run)`` is called
    after every trial; setting ``cancel`` stops after the current trial.
    """
    require(actor, Permission.TRAIN)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"Seed {seed!r} is not a whole number >= 0.", "Use a seed such as 42.")
    project = get_project(workspace, project_id)
    algo = get_algorithm(algorithm)
    if not algo.supports(project.task):
        raise InputError(f"{algo.label} does not handle {project.task} tasks.", "Pick another algorithm.")
    if space is None:
        space = {} if method == "none" else algo.default_space(project.task, method)
    space = space_dict(space)
    found = candidates(method, parse_space(algo, project.task, space), trials, seed)
    data = training_frames(workspace, project, dataset_id, split_id)
    check_folds(data, cv_folds)
    metrics = run_metrics(workspace, project)
    primary = metric_lib.PRIMARY[project.task]
    if method == "halving":
        schedule = halving_schedule(len(found), len(data.y_train), min_rows(data, cv_folds))
    else:
        schedule = [(len(found), len(data.y_train))]
    total = sum(keep for keep, _ in schedule)
    address = config.dask_scheduler()
    with dask_client(address) if address else nullcontext() as client:  # unreachable: refused before any record
        with workspace.db.transaction() as cursor:
            search = run_store.insert_search(
                cursor, project_id=project.id, dataset_id=data.dataset.id, split_id=data.split.id,
                recipe_id=data.recipe_id, algorithm=algo.name, method=method, trials_requested=len(found),
                cv_folds=cv_folds, seed=seed, space=space, created_by=actor.name)
            audit_log.append(cursor, actor=actor.name, action="search.started", entity=f"search:{search.id}",
                             details={"project_id": project.id, "dataset_id": data.dataset.id,
                                      "split_id": data.split.id, "recipe_id": data.recipe_id, "algorithm": algo.name,
                                      "method": method, "candidates": len(found), "trials_planned": total,
                                      "cv_folds": cv_folds, "seed": seed, "space": space})
        runs: list[Run] = []
        cancelled = False
        try:
            survivors = list(range(len(found)))
            for round_no, (_, rows) in enumerate(schedule):
                this_round: list[tuple[int, Run]] = []
                fitted = fitted_trials(data, algorithm=algo, candidates=[found[i] for i in survivors], seed=seed,
                                       folds=cv_folds, metrics=metrics, n_samples=rows, cancel=cancel, client=client)
                with closing(fitted):
                    for index, fields in zip(survivors, fitted):
                        run = record_run(workspace, actor, fields, search_id=search.id,
                                         halving_round=round_no if method == "halving" else None)
                        runs.append(run)
                        this_round.append((index, run))
                        if progress is not None:
                            progress(len(runs), total, run)
                        if cancel is not None and cancel.is_set():
                            break
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    break
                if round_no + 1 < len(schedule):
                    keep = schedule[round_no + 1][0]
                    ranked = _ranked([r for _, r in this_round], primary)
                    by_run = {r.id: i for i, r in this_round}
                    survivors = [by_run[r.id] for r in ranked[:keep]]
                    if not survivors:
                        break
        except BaseException as error:
            _finish(workspace, actor, search.id, runs, "failed", f"{type(error).__name__}: {error}", primary)
            raise
        best = _best(runs, primary, method)
        status = "cancelled" if cancelled else ("failed" if runs and best is None else "finished")
        message = runs[0].error if status == "failed" else ""
        _finish(workspace, actor, search.id, runs, status, message or "", primary, best)
        return SearchResult(search_id=search.id, runs=tuple(runs), best_run_id=best.id if best else None,
                            cancelled=cancelled)


def _best(runs: list[Run], metric: str, method: str) -> Run | None:
    if method == "halving":  # only the furthest round saw every candidate on the same rows
        reached = [r.halving_round for r in runs if r.ok]
        runs = [r for r in runs if reached and r.halving_round == max(reached)]
    ranked = _ranked(runs, metric)
    return ranked[0] if ranked else None


def _finish(workspace: Workspace, actor: User, search_id: int, runs: list[Run], status: str, message: str,
            metric: str, best: Run | None = None) -> None:
    with workspace.db.transaction() as cursor:
        run_store.finish_search(cursor, search_id, status, message[:600])
        audit_log.append(cursor, actor=actor.name, action="search.finished", entity=f"search:{search_id}",
                         details={"status": status, "runs": len(runs),
                                  "finished": sum(r.status == "finished" for r in runs),
                                  "failed": sum(r.status == "failed" for r in runs),
                                  "best_run_id": best.id if best else None, "metric": metric,
                                  "best_score": best.primary_score if best else None})
