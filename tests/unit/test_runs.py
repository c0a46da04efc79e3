"""Runs on record: the store, the leaderboard, comparison, learning curves and the charts."""
from __future__ import annotations

import html

import json
import random

import numpy as np
import plotly.graph_objects as go
import pytest
from sklearn.model_selection import learning_curve as sklearn_learning_curve

from lifecycle.develop import run_logging
from lifecycle.develop import runs
from lifecycle.develop import search
from lifecycle.develop import training
from lifecycle.charts import run_charts
from lifecycle.errors import InputError, NotFound, PermissionDenied
from lifecycle.problem.objectives import parse_objective
from lifecycle.store import runs as run_store
from tests.unit.training_data import csv_bytes, frozen_split, make_project


@pytest.fixture
def analyst(actors):
    return actors["analyst"]


def _fake_run(project_id: int, score: float | None, *, algorithm="knn", status="finished", **extra):
    metrics = {} if score is None else {
        "roc_auc": {"mean": score, "std": 0.01, "folds": [score - 0.01, score + 0.01]},
        "recall": {"mean": 1 - score, "std": 0.02, "folds": [1 - score, 1 - score]}}
    return dict(search_id=None, project_id=project_id, dataset_id=1, split_id=1, recipe_id=1,
                algorithm=algorithm, params={"n_neighbors": int(score * 100) if score else 1, "weights": "uniform"},
                seed=0, cv_folds=2, n_samples=100, halving_round=None, status=status,
                error=None if status == "finished" else "boom", cv_metrics=metrics, primary_metric="roc_auc",
                primary_score=score, fit_seconds=0.1, score_seconds=0.01, library_versions={"numpy": "2"},
                created_by="analyst", **extra)


@pytest.fixture
def many(workspace, project):
    """2,000 runs bulk-inserted, a few failed, in random score order."""
    rng = random.Random(0)
    rows = [_fake_run(project.id, rng.random()) for _ in range(1990)]
    rows += [_fake_run(project.id, None, status="failed") for _ in range(10)]
    rng.shuffle(rows)
    with workspace.db.transaction() as cursor:
        ids = run_store.insert_runs(cursor, rows)
    return rows, ids


def test_bulk_insert_round_trips_every_field(workspace, project, many):
    rows, ids = many
    assert len(ids) == 2000 == len(set(ids))
    stored = run_store.get_run(workspace.db.cursor(), ids[7])
    for key, value in rows[7].items():
        assert getattr(stored, key) == value, key


def test_leaderboard_sorts_pages_and_counts_in_sql(workspace, project, many):
    rows, ids = many
    scores = sorted((r["primary_score"] for r in rows if r["primary_score"] is not None), reverse=True)
    first = runs.leaderboard(workspace, project.id, limit=50)
    assert (first.metric, first.higher_is_better, first.total) == ("roc_auc", True, 1990)
    assert [r.primary_score for r in first.runs] == scores[:50]
    assert first.best is first.runs[0] and first.ranks[:2] == (1, 2)
    page = runs.leaderboard(workspace, project.id, limit=50, offset=100)
    assert [r.primary_score for r in page.runs] == scores[100:150] and page.ranks[0] == 101
    assert page.best is None
    by_recall = runs.leaderboard(workspace, project.id, metric="recall", limit=5)
    assert [r.metric("recall") for r in by_recall.runs] == sorted(1 - s for s in scores)[::-1][:5]
    with_failed = runs.leaderboard(workspace, project.id, limit=20, offset=1985, include_failed=True)
    assert with_failed.total == 2000 and [r.status for r in with_failed.runs][-10:] == ["failed"] * 10


def test_leaderboard_refuses_a_metric_of_another_task(workspace, project):
    with pytest.raises(InputError, match="Metric 'rmse' does not rank binary runs"):
        runs.leaderboard(workspace, project.id, metric="rmse")
    with pytest.raises(InputError, match="Page limit"):
        runs.leaderboard(workspace, project.id, limit=0)


def test_compare_lines_runs_up_side_by_side(workspace, project, many):
    _, ids = many
    chosen = [ids[3], ids[1], ids[2]]
    rows = runs.compare(workspace, chosen)
    assert [r["run_id"] for r in rows] == chosen
    first = run_store.get_run(workspace.db.cursor(), ids[3])
    assert rows[0]["roc_auc"] == first.metric("roc_auc") and rows[0]["roc_auc_std"] == 0.01
    assert rows[0]["param:n_neighbors"] == first.params["n_neighbors"]
    with pytest.raises(NotFound, match="No run with id 999999"):
        runs.compare(workspace, [ids[0], 999999])
    assert runs.compare(workspace, []) == []


def test_list_runs_filters(workspace, project, many):
    assert len(runs.list_runs(workspace, project.id, status="failed")) == 10
    assert len(runs.list_runs(workspace, project.id, limit=7, offset=3)) == 7
    assert runs.list_runs(workspace, project.id, algorithm="linear") == []
    with pytest.raises(InputError, match="Run status 'done' is not known"):
        runs.list_runs(workspace, project.id, status="done")


def test_parallel_coordinates_rows_hold_params_and_score(workspace, project, many):
    found = runs.parallel_coordinates_data(workspace, project.id, "knn")
    assert len(found) == 1990
    assert set(found[0]) == {"run_id", "n_neighbors", "weights", "roc_auc"}
    fig = run_charts.parallel_coordinates_figure(found[:200], "roc_auc")
    labels = [d["label"] for d in fig.data[0].dimensions]
    assert labels == ["n_neighbors", "weights", "roc_auc"]
    assert list(fig.data[0].dimensions[1].ticktext) == ["uniform"]


def test_step_metrics_go_in_singly_and_in_bulk(workspace, project, many):
    _, ids = many
    with workspace.db.transaction() as cursor:
        assert run_store.record_metrics(cursor, ids[0], [("loss", 0.5, 0), ("loss", 0.4, 1)]) == 2
        points = [("loss", 1 / (step + 1), step) for step in range(2, 1002)]
        assert run_store.record_metrics(cursor, ids[0], points) == 1000
    history = run_store.metric_history(workspace.db.cursor(), ids[0], "loss")
    assert len(history) == 1002 and history[:2] == [(0, 0.5), (1, 0.4)] and history[-1] == (1001, 1 / 1002)


def test_searches_are_listed_newest_first(workspace, project):
    with workspace.db.transaction() as cursor:
        for method in ("grid", "random"):
            run_store.insert_search(cursor, project_id=project.id, dataset_id=1, split_id=1, recipe_id=1,
                                    algorithm="knn", method=method, trials_requested=3, cv_folds=3, seed=0,
                                    space={"n_neighbors": [1, 2]}, created_by="analyst")
    found = runs.list_searches(workspace, project.id)
    assert [s.method for s in found] == ["random", "grid"] and found[0].status == "running"
    assert found[0].space == {"n_neighbors": [1, 2]}
    with pytest.raises(NotFound):
        runs.get_search(workspace, 99)


def test_learning_curve_matches_scikit_learn(workspace, analyst):
    project = make_project(workspace, analyst, "binary")
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary"))
    run = search.run_search(workspace, analyst, project_id=project.id, dataset_id=dataset.id, split_id=split.id,
                            algorithm="linear", method="none", cv_folds=3, seed=4).runs[0]
    curve = runs.learning_curve(workspace, run.id, train_sizes=[0.3, 0.6, 1.0])
    data = training.training_frames(workspace, project, dataset.id, split.id)
    pipeline = training.build_pipeline(data.recipe, data.schema, "linear", "binary", {}, 4)
    sizes, train, test = sklearn_learning_curve(pipeline, data.X_train, data.y_train, train_sizes=[0.3, 0.6, 1.0],
                                                cv=training.splitter("binary", 3, 4), scoring="roc_auc",
                                                shuffle=True, random_state=4)
    assert curve["train_sizes"] == sizes.tolist()
    assert curve["cv_mean"] == test.mean(axis=1).tolist() and curve["train_std"] == train.std(axis=1).tolist()
    assert curve["cv_mean"][-1] == pytest.approx(run.primary_score, abs=0.02)  # all rows, shuffled: near its CV
    fig = run_charts.learning_curve_figure(curve)
    assert [html.unescape(t.name) for t in fig.data if t.showlegend is not False] == ["Training score",
                                                                                   "Cross-validation score"]
    with pytest.raises(InputError, match="must be shares in"):
        runs.learning_curve(workspace, run.id, train_sizes=[0, 1.5])


def test_charts_build_from_runs_and_teach_when_empty(workspace, project, many):
    board = runs.leaderboard(workspace, project.id, limit=10)
    objective = parse_objective("roc_auc>=0.995", task="binary")
    fig = run_charts.leaderboard_figure(board, objective=objective)
    assert isinstance(fig, go.Figure)
    bars = fig.data[0]
    assert list(bars.x) == [r.primary_score for r in board.runs]
    assert bars.marker.color[0] == "#1a7f37"  # the best run meets roc_auc >= 0.995: green
    assert fig.layout.title.text == "Leaderboard by ROC AUC"
    chosen = list(board.runs[:3])
    fold_fig = run_charts.fold_comparison_figure(chosen, "roc_auc")
    assert [html.unescape(t.name) for t in fold_fig.data] == [run_charts.run_label(r) for r in chosen]
    assert list(fold_fig.data[0].y) == chosen[0].cv_metrics["roc_auc"]["folds"]
    empty = runs.leaderboard(workspace, project.id, algorithm="linear")
    assert "No finished runs yet" in run_charts.leaderboard_figure(empty).layout.annotations[0].text
    assert "at least two finished runs" in run_charts.parallel_coordinates_figure([], "roc_auc"
                                                                                  ).layout.annotations[0].text
    failed = runs.list_runs(workspace, project.id, status="failed")[:1]
    assert "None of the chosen runs" in run_charts.fold_comparison_figure(failed, "roc_auc"
                                                                          ).layout.annotations[0].text
    json.dumps(fig.to_plotly_json(), default=str)  # serialisable for the page


def test_nan_fold_scores_are_stored_as_null(workspace, project):
    row = _fake_run(project.id, 0.7)
    row["cv_metrics"]["recall"] = {"mean": None, "std": None, "folds": [None, 0.5]}
    with workspace.db.transaction() as cursor:
        run_id = run_store.insert_runs(cursor, [row])[0]
    board = runs.leaderboard(workspace, project.id, metric="recall")
    assert board.runs[0].id == run_id and board.runs[0].metric("recall") is None
    assert np.isnan(run_charts.fold_comparison_figure(board.runs, "recall").data[0].y[0])


def test_error_metrics_rank_lowest_first(workspace, actors):
    project = make_project(workspace, actors["analyst"], "regression")
    rows = []
    for score in (3.0, 1.0, 2.0):
        row = _fake_run(project.id, None)
        row.update(status="finished", error=None, primary_metric="rmse", primary_score=score,
                   cv_metrics={"rmse": {"mean": score, "std": 0.1, "folds": [score]},
                               "r2": {"mean": 1 / score, "std": 0.0, "folds": [1 / score]}})
        rows.append(row)
    with workspace.db.transaction() as cursor:
        run_store.insert_runs(cursor, rows)
    board = runs.leaderboard(workspace, project.id)
    assert (board.metric, board.higher_is_better) == ("rmse", False)
    assert [r.primary_score for r in board.runs] == [1.0, 2.0, 3.0]
    assert [r.metric("r2") for r in runs.leaderboard(workspace, project.id, metric="r2").runs] == [1.0, 0.5, 1 / 3]


def test_metric_logger_buffers_and_flushes(workspace, actors, project, many):
    _, ids = many
    analyst = actors["analyst"]
    with run_logging.MetricLogger(workspace, analyst, ids[0], flush_every=4, flush_seconds=3600) as logger:
        for step in range(6):
            logger.log_metric("loss", 1 / (step + 1), step)
        assert logger.written == 4  # one batch of four went in; two wait in the buffer
        logger.log_metrics({"acc": 0.5, "f1": 0.25}, step=6)
    assert logger.written == 8
    assert [s for s, _ in run_logging.history(workspace, ids[0], "loss")] == list(range(6))
    assert run_logging.log_metrics(workspace, analyst, ids[1], [("loss", 0.1, 0)]) == 1
    with pytest.raises(InputError, match="infinite value"):
        run_logging.log_metrics(workspace, analyst, ids[1], [("loss", float("inf"), 1)])
    with pytest.raises(NotFound):
        run_logging.MetricLogger(workspace, analyst, 10**9)
    with pytest.raises(PermissionDenied):
        run_logging.log_metrics(workspace, actors["reviewer"], ids[1], [("loss", 0.1, 0)])


def test_bulk_writes_survive_a_result_left_pending_on_the_cursor(workspace, actors, project, many):
    _, ids = many
    workspace.db.cursor().execute("SELECT 1 UNION ALL SELECT 2").fetchone()  # as some store reads do
    points = [("loss", 0.1, step) for step in range(200)]
    assert run_logging.log_metrics(workspace, actors["analyst"], ids[0], points) == 200
    workspace.db.cursor().execute("SELECT 1 UNION ALL SELECT 2").fetchone()
    with workspace.db.transaction() as cursor:
        assert len(run_store.insert_runs(cursor, [_fake_run(project.id, 0.5)] * 70)) == 70


def test_single_points_are_journalled_durably_and_read_back(workspace, actors, project, many):
    from lifecycle.develop import metric_journal
    _, ids = many
    analyst = actors["analyst"]
    for step in range(5):
        run_logging.log_metric(workspace, analyst, ids[0], "loss", 1.0 / (step + 1), step)
    journal = metric_journal.journal_for(workspace)
    assert journal.path.read_bytes().count(b"\n") == 5  # on disk before any fold
    assert run_store.metric_history(workspace.db.cursor(), ids[0], "loss") == []
    assert run_logging.history(workspace, ids[0], "loss") == [(s, 1.0 / (s + 1)) for s in range(5)]
    assert journal.path.read_bytes() == b""
    with pytest.raises(NotFound):
        run_logging.log_metric(workspace, analyst, 10**9, "loss", 0.1)
    with pytest.raises(PermissionDenied):
        run_logging.log_metric(workspace, actors["reviewer"], ids[0], "loss", 0.1)
    with pytest.raises(InputError, match="infinite"):
        run_logging.log_metric(workspace, analyst, ids[0], "loss", float("inf"))


def test_journal_folds_in_batches(workspace, actors, project, many, monkeypatch):
    from lifecycle.develop import metric_journal
    monkeypatch.setattr(metric_journal, "FOLD_EVERY", 10)
    _, ids = many
    for step in range(25):
        run_logging.log_metric(workspace, actors["analyst"], ids[1], "acc", 0.5, step)
    assert len(run_store.metric_history(workspace.db.cursor(), ids[1], "acc")) == 20  # two folds so far
    assert len(run_logging.history(workspace, ids[1], "acc")) == 25


def test_a_crashed_process_leaves_nothing_lost_nothing_doubled(workspace, actors, project, many):
    """A new process replays what the journal holds, skips what was already folded and drops a
    torn last line (an append that never returned)."""
    from lifecycle.develop import metric_journal
    _, ids = many
    for step in range(3):
        run_logging.log_metric(workspace, actors["analyst"], ids[2], "loss", 0.5, step)
    journal = metric_journal.journal_for(workspace)
    journal.fold()
    for step in range(3, 6):
        run_logging.log_metric(workspace, actors["analyst"], ids[2], "loss", 0.5, step)
    # Simulate: the fold's commit happened but the file was not emptied, then a torn append.
    with open(journal.path, "rb+") as handle:
        lines = handle.read()
        handle.seek(0)
        handle.write(lines + b'[99, 1, "lo')
    journal.close()
    metric_journal._journals.clear()  # a new process: fresh journal object
    fresh = metric_journal.journal_for(workspace)
    assert fresh.fold() == 3
    assert [s for s, _ in run_logging.history(workspace, ids[2], "loss")] == [0, 1, 2, 3, 4, 5]
    # Folding again (as after a crash between commit and truncation) doubles nothing.
    fresh.path.write_bytes(lines)
    fresh._pending = 1
    assert fresh.fold() == 0
    assert len(run_logging.history(workspace, ids[2], "loss")) == 6
    run_logging.log_metric(workspace, actors["analyst"], ids[2], "loss", 0.5, 6)
    assert len(run_logging.history(workspace, ids[2], "loss")) == 7
