"""A hyperparameter search on a Dask cluster (LIFECYCLE_DASK_SCHEDULER, joblib's Dask backend): its
fits run on the cluster's workers and its runs equal the same search in process; an unreachable
scheduler is refused by name before anything is recorded."""
from __future__ import annotations

import socket

import pytest

distributed = pytest.importorskip("distributed")

from lifecycle import config  # noqa: E402
from lifecycle.develop import runs, search  # noqa: E402
from lifecycle.errors import InputError  # noqa: E402
from tests.unit.training_data import csv_bytes, frozen_split, make_project  # noqa: E402


@pytest.fixture
def analyst(actors):
    return actors["analyst"]


@pytest.fixture
def binary(workspace, analyst):
    project = make_project(workspace, analyst, "binary", objectives=["roc_auc>=0.7", "recall>=0.5"])
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary"))
    return project, dataset, split


@pytest.fixture(scope="module")
def cluster():
    """One in-process scheduler with one worker of two threads (about 0.2 s to start)."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None,
                                  silence_logs=40) as local:
        yield local


def _search(workspace, actor, setup, **kwargs):
    project, dataset, split = setup
    kwargs = {"method": "random", "trials": 4, **kwargs}
    return search.run_search(workspace, actor, project_id=project.id, dataset_id=dataset.id, split_id=split.id,
                             algorithm="knn", seed=3, cv_folds=3, **kwargs)


def _outcome(result):
    return [(r.params, r.status, r.cv_metrics) for r in result.runs]


def test_a_search_with_a_scheduler_fits_on_the_cluster_and_equals_the_search_in_process(
        workspace, analyst, binary, cluster, monkeypatch):
    monkeypatch.delenv(config.DASK_SCHEDULER, raising=False)
    local = _search(workspace, analyst, binary)
    monkeypatch.setenv(config.DASK_SCHEDULER, cluster.scheduler_address)
    with distributed.Client(cluster) as watcher, distributed.get_task_stream(client=watcher) as stream:
        remote = _search(workspace, analyst, binary)
    worker = next(iter(cluster.workers.values())).address
    trials = [t for t in stream.data if "trial" in t["key"] or "batch_of_trial" in t["key"]]
    assert len(trials) == 4 and {t["worker"] for t in trials} == {worker}, stream.data
    assert _outcome(remote) == _outcome(local) and len(remote.runs) == 4
    assert remote.search_id != local.search_id
    best = runs.leaderboard(workspace, binary[0].id, search_id=remote.search_id).runs[0]
    assert best.id == remote.best_run_id and best.params == runs.leaderboard(
        workspace, binary[0].id, search_id=local.search_id).runs[0].params


def test_a_halving_search_on_the_cluster_keeps_the_same_survivors(workspace, analyst, binary, cluster, monkeypatch):
    monkeypatch.delenv(config.DASK_SCHEDULER, raising=False)
    local = _search(workspace, analyst, binary, method="halving", trials=9)
    monkeypatch.setenv(config.DASK_SCHEDULER, cluster.scheduler_address)
    remote = _search(workspace, analyst, binary, method="halving", trials=9)
    assert [(r.halving_round, r.n_samples) for r in remote.runs] == [(r.halving_round, r.n_samples) for r in local.runs]
    assert _outcome(remote) == _outcome(local)


def test_an_unreachable_scheduler_is_named_and_nothing_is_recorded(workspace, analyst, binary, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setattr("lifecycle.develop.cluster.CONNECT_SECONDS", 1)
    monkeypatch.setenv(config.DASK_SCHEDULER, address)
    with pytest.raises(InputError) as raised:
        _search(workspace, analyst, binary)
    assert address in raised.value.problem and config.DASK_SCHEDULER in raised.value.problem
    assert config.DASK_SCHEDULER in raised.value.fix
    assert runs.leaderboard(workspace, binary[0].id, include_failed=True).total == 0
