"""Training data, tracked searches, reproducible runs, cancelling, failures and bad input."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold, cross_validate

from lifecycle import audit, jobs
from lifecycle.data import datasets
from lifecycle.develop import runs
from lifecycle.develop import search
from lifecycle.develop import training
from lifecycle.problem import projects
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.problem.metrics import SCORERS
from tests.unit.training_data import NOT_NULL_Y, csv_bytes, frozen_split, make_project


@pytest.fixture
def analyst(actors):
    return actors["analyst"]


@pytest.fixture
def binary(workspace, analyst):
    project = make_project(workspace, analyst, "binary", objectives=["roc_auc>=0.7", "recall>=0.5"])
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary"))
    return project, dataset, split


def _search(workspace, actor, setup, **kwargs):
    project, dataset, split = setup
    kwargs.setdefault("cv_folds", 3)
    return search.run_search(workspace, actor, project_id=project.id, dataset_id=dataset.id, split_id=split.id,
                             **kwargs)


def test_training_frames_follow_the_split_and_the_recipe(workspace, binary):
    project, dataset, split = binary
    data = training.training_frames(workspace, project, dataset.id, split.id)
    assert (len(data.X_train), len(data.X_validation), len(data.X_test)) == (
        split.counts["train"], split.counts["validation"], split.counts["test"])
    assert data.feature_columns == ("a", "b", "c") == tuple(data.X_train.columns)
    assert data.recipe_id == dataset.lineage.recipe_id
    assert set(data.y_train.unique()) == {0, 1} and data.positive_class == "yes"
    parts = [set(data.X_train.index), set(data.X_validation.index), set(data.X_test.index)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])


def test_cv_metrics_equal_an_independent_cross_validate(workspace, analyst, binary):
    project, dataset, split = binary
    result = _search(workspace, analyst, binary, algorithm="linear", method="random", trials=3, seed=5)
    assert len(result.runs) == 3 and all(r.ok for r in result.runs)
    data = training.training_frames(workspace, project, dataset.id, split.id)
    run = result.runs[1]
    assert set(run.cv_metrics) == {"recall", "roc_auc"} and run.primary_metric == "roc_auc"
    pipeline = training.build_pipeline(data.recipe, dataset.columns, "linear", "binary", run.params, 5)
    expected = cross_validate(pipeline, data.X_train, data.y_train,
                              cv=StratifiedKFold(3, shuffle=True, random_state=5),
                              scoring={"roc_auc": "roc_auc", "recall": "recall"})
    for metric in ("roc_auc", "recall"):
        assert run.cv_metrics[metric]["folds"] == list(expected[f"test_{metric}"])
        assert run.cv_metrics[metric]["mean"] == float(np.mean(expected[f"test_{metric}"]))
        assert run.cv_metrics[metric]["std"] == float(np.std(expected[f"test_{metric}"]))
    assert run.primary_score == run.cv_metrics["roc_auc"]["mean"]
    assert run.fit_seconds > 0 and run.score_seconds > 0
    assert {"scikit-learn", "numpy", "pandas", "scipy", "lifecycle", "python"} <= set(run.library_versions)
    assert (run.dataset_id, run.split_id, run.recipe_id, run.seed, run.n_samples) == (
        dataset.id, split.id, data.recipe_id, 5, len(data.y_train))


def test_error_metrics_are_stored_positive_for_regression(workspace, analyst):
    project = make_project(workspace, analyst, "regression", objectives=["mae<=5"])
    setup = (project, *frozen_split(workspace, analyst, project, csv_bytes("regression"), method="random"))
    result = _search(workspace, analyst, setup, algorithm="linear", method="none")
    run = result.runs[0]
    assert run.primary_metric == "rmse" and set(run.cv_metrics) == {"mae", "rmse"}
    assert run.primary_score > 0 and all(v > 0 for v in run.cv_metrics["mae"]["folds"])
    data = training.training_frames(workspace, project, setup[1].id, setup[2].id)
    pipeline = training.build_pipeline(data.recipe, data.schema, "linear", "regression", {}, 0)
    expected = cross_validate(pipeline, data.X_train, data.y_train, cv=training.splitter("regression", 3, 0),
                              scoring=SCORERS["rmse"][0])
    assert run.cv_metrics["rmse"]["folds"] == [-v for v in expected["test_score"]]


@pytest.mark.parametrize("method,kwargs,expected", [
    ("none", {}, 1),
    ("grid", {}, 6),                      # knn's default grid: 3 n_neighbors x 2 weights
    ("random", {"trials": 4}, 4),
])
def test_each_method_records_one_run_per_trial(workspace, analyst, binary, method, kwargs, expected):
    seen = []
    result = _search(workspace, analyst, binary, algorithm="knn", method=method,
                     progress=lambda done, total, run: seen.append((done, total, run.id)), **kwargs)
    assert len(result.runs) == expected == len(runs.runs_of_search(workspace, result.search_id))
    assert seen == [(i + 1, expected, r.id) for i, r in enumerate(result.runs)]
    stored = runs.get_search(workspace, result.search_id)
    assert (stored.status, stored.method, stored.trials_requested) == ("finished", method, expected)
    best = max(result.runs, key=lambda r: r.primary_score)
    assert result.best_run_id == best.id and not result.cancelled


def test_successive_halving_grows_rows_and_keeps_the_best_third(workspace, analyst, binary):
    project, dataset, split = binary
    result = _search(workspace, analyst, binary, algorithm="knn", method="halving", trials=9, seed=2,
                     space={"n_neighbors": {"int_uniform": [1, 6]}, "weights": ["uniform", "distance"]})
    assert all(r.ok for r in result.runs)
    train_rows = split.counts["train"]
    schedule = search.halving_schedule(9, train_rows, search.min_rows(
        training.training_frames(workspace, project, dataset.id, split.id), 3))
    assert len(schedule) >= 2 and schedule[-1][1] == train_rows
    by_round = {}
    for run in result.runs:
        by_round.setdefault(run.halving_round, []).append(run)
    assert [len(by_round[i]) for i in range(len(schedule))] == [keep for keep, _ in schedule]
    assert [by_round[i][0].n_samples for i in range(len(schedule))] == [rows for _, rows in schedule]
    first = sorted(by_round[0], key=lambda r: (-r.primary_score, r.id))
    assert [r.params for r in by_round[1]] == [r.params for r in first[:schedule[1][0]]]
    last = by_round[len(schedule) - 1]
    assert result.best_run_id == max(last, key=lambda r: r.primary_score).id


def test_rerun_reproduces_the_metrics_exactly(workspace, analyst, binary):
    linear = _search(workspace, analyst, binary, algorithm="linear", method="random", trials=2, seed=11)
    forest = _search(workspace, analyst, binary, algorithm="random_forest", method="random", trials=1, seed=7,
                     space={"n_estimators": {"int_uniform": [5, 15]}, "max_features": {"uniform": [0.3, 0.9]}})
    halved = _search(workspace, analyst, binary, algorithm="knn", method="halving", trials=9, seed=4)
    assert isinstance(linear.runs[1].params["C"], float)
    for original in (linear.runs[1], forest.runs[0], halved.runs[0]):
        again = training.rerun(workspace, analyst, original.id)
        assert again.id != original.id and again.rerun_of == original.id
        assert again.cv_metrics == original.cv_metrics
        assert again.primary_score == original.primary_score
        assert (again.params, again.seed, again.n_samples) == (original.params, original.seed, original.n_samples)
    assert audit.recent_events(workspace, limit=1)[0].action == "run.rerun"


def test_cancel_stops_after_the_current_trial_and_keeps_finished_runs(workspace, analyst, binary):
    cancel = threading.Event()

    def progress(done, total, run):
        if done == 2:
            cancel.set()

    result = _search(workspace, analyst, binary, algorithm="knn", method="random", trials=5, progress=progress,
                     cancel=cancel)
    assert result.cancelled and len(result.runs) == 2
    assert runs.get_search(workspace, result.search_id).status == "cancelled"
    assert [r.id for r in runs.runs_of_search(workspace, result.search_id)] == [r.id for r in result.runs]
    event = audit.recent_events(workspace, limit=1)[0]
    assert (event.action, event.details["status"], event.details["finished"]) == ("search.finished", "cancelled", 2)


def test_a_failing_trial_is_recorded_and_the_leaderboard_still_works(workspace, analyst, binary):
    project = binary[0]
    # 500 neighbours cannot be found among ~90 training rows of a fold: every fold fails.
    result = _search(workspace, analyst, binary, algorithm="knn", method="grid",
                     space={"n_neighbors": [3, 500, 5]})
    statuses = [r.status for r in result.runs]
    assert statuses == ["finished", "failed", "finished"]
    failed = result.runs[1]
    assert failed.error.startswith("Training failed with n_neighbors=500: ValueError: Expected n_neighbors <=")
    assert failed.cv_metrics == {} and failed.primary_score is None
    board = runs.leaderboard(workspace, project.id)
    assert board.total == 2 and [r.status for r in board.runs] == ["finished", "finished"]
    board = runs.leaderboard(workspace, project.id, include_failed=True)
    assert board.total == 3 and board.runs[-1].id == failed.id
    assert runs.get_search(workspace, result.search_id).status == "finished"


def test_a_search_where_every_trial_fails_is_marked_failed(workspace, analyst, binary):
    result = _search(workspace, analyst, binary, algorithm="knn", method="none", space={"n_neighbors": 500})
    assert result.best_run_id is None and result.runs[0].status == "failed"
    stored = runs.get_search(workspace, result.search_id)
    assert stored.status == "failed" and "n_neighbors" in stored.message


def test_search_writes_a_started_and_a_finished_audit_event(workspace, analyst, binary):
    result = _search(workspace, analyst, binary, algorithm="dummy", method="grid")
    started, finished = audit.recent_events(workspace, entity_prefix=f"search:{result.search_id}")
    assert (started.action, started.details["method"], started.details["candidates"]) == ("search.started",
                                                                                        "grid", 3)
    assert finished.action == "search.finished"
    assert (finished.details["runs"], finished.details["finished"], finished.details["failed"]) == (3, 3, 0)
    assert finished.details["best_run_id"] == result.best_run_id
    assert audit.verify_chain(workspace).ok


def test_an_invalid_space_value_is_refused_before_anything_runs(workspace, analyst, binary):
    with pytest.raises(InputError, match=r"n_neighbors: -2 is not allowed for k nearest neighbours; use an int "
                                         r"in the range \[1, inf\) or null"):
        _search(workspace, analyst, binary, algorithm="knn", method="grid", space='{"n_neighbors": [3, -2]}')
    assert runs.list_searches(workspace, binary[0].id) == []


def test_a_reviewer_cannot_train(workspace, actors, analyst, binary):
    with pytest.raises(PermissionDenied, match="reviewer .* may not train models"):
        _search(workspace, actors["reviewer"], binary, algorithm="dummy", method="none")
    run = _search(workspace, analyst, binary, algorithm="dummy", method="none").runs[0]
    with pytest.raises(PermissionDenied):
        training.rerun(workspace, actors["reviewer"], run.id)
    assert _search(workspace, actors["admin"], binary, algorithm="dummy", method="none").runs[0].ok


# ----------------------------------------------------------------------------- bad input

def test_a_dataset_without_a_recipe_is_refused(workspace, analyst, binary):
    project, dataset, split = binary
    raw = next(d for d in datasets.list_datasets(workspace, project.id)
               if d.lineage.recipe_id is None)
    with pytest.raises(InputError, match="has no recipe.*freeze a version with it"):
        training.training_frames(workspace, project, raw.id, split.id)


def test_a_missing_target_names_the_not_null_filter(workspace, analyst):
    project = make_project(workspace, analyst, "binary")
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary", missing_target=3), method="random")
    with pytest.raises(InputError) as caught:
        training.training_frames(workspace, project, dataset.id, split.id)
    assert "The target 'y' is empty in 3 of 200 rows" in str(caught.value)
    assert "Add the row filter 'y not_null' to the recipe" in caught.value.fix


def test_the_not_null_filter_fixes_a_missing_target(workspace, analyst):
    project = make_project(workspace, analyst, "binary")
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary", missing_target=3),
                                  filters=(NOT_NULL_Y,))
    data = training.training_frames(workspace, project, dataset.id, split.id)
    assert len(data.y_train) + len(data.y_validation) + len(data.y_test) == 197


def test_regression_on_a_text_target_is_refused(workspace, analyst):
    project = make_project(workspace, analyst, "binary")
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary"))
    projects.update_project(workspace, analyst, project.id, task="regression", positive_class=None)
    with pytest.raises(InputError, match="holds text such as '(yes|no)', but project 'binary project' is a "
                                         "regression task"):
        training.training_frames(workspace, project.id, dataset.id, split.id)


def test_a_class_with_one_member_is_refused(workspace, analyst):
    project = make_project(workspace, analyst, "multiclass")
    setup = (project, *frozen_split(workspace, analyst, project, csv_bytes("multiclass", rare_class_rows=1),
                                    method="random", seed=3))
    data = training.training_frames(workspace, project, setup[1].id, setup[2].id)
    assert (data.y_train == "rare").sum() == 1  # seed 3 keeps the single rare row in training
    with pytest.raises(InputError) as caught:
        _search(workspace, analyst, setup, algorithm="dummy", method="none")
    assert "Class 'rare' of target 'y' has one member in the training split" in str(caught.value)
    assert "Merge or filter out rare classes" in caught.value.fix


def test_too_many_folds_for_a_small_class_suggests_fewer(workspace, analyst):
    project = make_project(workspace, analyst, "multiclass")
    setup = (project, *frozen_split(workspace, analyst, project, csv_bytes("multiclass", rare_class_rows=8),
                                    seed=3, validation_size=0.0))
    with pytest.raises(InputError, match="Class 'rare' .* has only [2-7] members .* needs at least 8 per class"):
        _search(workspace, analyst, setup, algorithm="dummy", method="none", cv_folds=8)


def test_multiclass_search_runs_with_balanced_accuracy(workspace, analyst):
    project = make_project(workspace, analyst, "multiclass", objectives=["f1_macro>=0.3"])
    setup = (project, *frozen_split(workspace, analyst, project, csv_bytes("multiclass")))
    result = _search(workspace, analyst, setup, algorithm="random_forest", method="random", trials=2,
                     space={"n_estimators": [10, 20], "max_depth": [3, None]})
    assert all(r.ok and set(r.cv_metrics) == {"balanced_accuracy", "f1_macro"} for r in result.runs)


# ----------------------------------------------------------------------------- jobs

def test_a_search_runs_as_a_background_job(workspace, analyst, binary):
    project, dataset, split = binary
    job = jobs.start("knn search", search.run_search, workspace=workspace, actor=analyst, project_id=project.id,
                     dataset_id=dataset.id, split_id=split.id, algorithm="knn", method="random", trials=3,
                     cv_folds=3)
    assert job.join(timeout=120)
    state = job.state
    assert (state.status, state.done, state.total) == ("finished", 3, 3)
    assert state.last_run_id == job.result.runs[-1].id
    assert jobs.get(job.id) is job and jobs.active_for(workspace, project.id) == []
    assert job in jobs.recent_for(workspace, project.id)


def test_a_job_can_be_cancelled_and_reports_failures(workspace, analyst, binary):
    project, dataset, split = binary
    release = threading.Event()

    def slow(progress, cancel, **_):
        for done in range(1, 100):
            progress(done, 99)
            release.wait(5)
            if cancel.is_set():
                return None

    job = jobs.start("slow", slow, workspace=workspace, project_id=project.id)
    assert jobs.active_for(workspace, project.id) == [job]
    job.request_cancel()
    release.set()
    assert job.join(timeout=10) and job.state.status == "cancelled"

    def broken(progress, cancel, **_):
        raise InputError("Nothing to train on.", "Ingest data first.")

    failed = jobs.start("broken", broken, workspace=workspace, project_id=project.id)
    assert failed.join(timeout=10)
    assert (failed.state.status, failed.state.error) == ("failed", "Nothing to train on. Ingest data first.")


# ----------------------------------------------------------------------------- loading once

def test_a_training_run_loads_its_dataset_version_once(workspace, analyst, binary, count_loads):
    result = _search(workspace, analyst, binary, algorithm="linear", method="none")
    assert len(count_loads) == 1
    count_loads.clear()
    training.rerun(workspace, analyst, result.runs[0].id)
    assert len(count_loads) == 1
    count_loads.clear()
    training.fit_run_pipeline(workspace, result.runs[0].id)
    assert len(count_loads) == 1
