"""A small project with a past, for the Retire stage's tests: two data generations (each a raw file and a
frozen version with a split), a run on each, model v1 (on the old data) in production and v2 (on the new
data) approved in staging, and prediction-log segments of known ages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from lifecycle.clock import utc_now
from lifecycle.data import datasets, preparation
from lifecycle.deploy import promotion
from lifecycle.deploy.paths import log_dir
from lifecycle.deploy.prediction_log import ANSWER, PredictionLog
from lifecycle.develop import training
from lifecycle.models import registry
from lifecycle.models import states as model_states
from lifecycle.records import DatasetVersion, ModelVersion
from lifecycle.store import models as model_store
from tests.unit import deploy_model, govern_fixtures

REPORT = {"primary_metric": "roc_auc", "n_test": 24,
          "metrics": {"roc_auc": {"value": 0.81, "low": 0.7, "high": 0.9}, "recall": {"value": 0.62, "low": 0.5,
                                                                                     "high": 0.75}},
          "verdicts": [{"objective": "roc_auc >= 0.7", "blocking": True, "status": "pass", "kind": "performance"}]}


@dataclass(frozen=True)
class History:
    raw_old: DatasetVersion
    old: DatasetVersion
    raw_new: DatasetVersion
    new: DatasetVersion
    v1: ModelVersion  # production, trained on ``old``
    v2: ModelVersion  # approved, in staging, trained on ``new``


def csv_bytes(seed: int, n: int = 60) -> bytes:
    inputs, y = deploy_model.frame(n=n, seed=seed)
    return inputs.assign(y=y).to_csv(index=False).encode()


def _run(workspace, analyst, project_id: int, dataset: DatasetVersion, split_id: int):
    fields = dict(project_id=project_id, dataset_id=dataset.id, split_id=split_id, recipe_id=dataset.lineage.recipe_id,
                  algorithm="linear", params={}, seed=0, cv_folds=3, n_samples=40, primary_metric="roc_auc",
                  library_versions={}, status="finished", error=None, cv_metrics={"roc_auc": {"mean": 0.8}},
                  primary_score=0.8, fit_seconds=0.1, score_seconds=None)
    return training.record_run(workspace, analyst, fields, search_id=None)


def validated_version(workspace, actors, project_id: int, run_id: int, *, approve: bool = True) -> ModelVersion:
    """A registered model version of run ``run_id``, validated with ``REPORT`` and (by default) approved."""
    version, _, _ = deploy_model.register(workspace, actors["analyst"], project_id, run_id=run_id)
    with workspace.db.transaction() as cursor:
        model_store.insert_validation(cursor, model_version_id=version.id, objectives_version=1, passed=True,
                                      report=REPORT, created_by="analyst")
    model_states.transition(workspace, actors["analyst"], version.id, "validated", "passes")
    if approve:  # a low-risk project: one reviewer's sign-off approves
        govern_fixtures.make_signable(workspace, actors["analyst"], project_id)
        govern_fixtures.approve(workspace, actors["reviewer"], version.id)
    return registry.get_version(workspace, version.id)


def generation(workspace, analyst, project_id: int, seed: int, name: str):
    raw = datasets.ingest_bytes(workspace, analyst, project_id, csv_bytes(seed), f"{name}.csv")
    frozen = preparation.freeze_with_suggested_recipe(workspace, analyst, raw.id, name=f"{name}-recipe")
    split = preparation.create_split(workspace, analyst, frozen.id, method="random", seed=0, test_size=0.3)
    return raw, frozen, _run(workspace, analyst, project_id, frozen, split.id)


def history(workspace, actors, project) -> History:
    analyst = actors["analyst"]
    raw_old, old, run_old = generation(workspace, analyst, project.id, 1, "customers_2024")
    raw_new, new, run_new = generation(workspace, analyst, project.id, 2, "customers_2025")
    v1 = validated_version(workspace, actors, project.id, run_old.id)
    promotion.move(workspace, analyst, v1.id, "production", "first release")
    v2 = validated_version(workspace, actors, project.id, run_new.id)
    promotion.move(workspace, analyst, v2.id, "staging", "next release")
    return History(raw_old=raw_old, old=old, raw_new=raw_new, new=new, v1=registry.get_version(workspace, v1.id),
                   v2=registry.get_version(workspace, v2.id))


def log_segments(workspace, project_id: int, version_id: int, ages_in_days: list[list[float]],
                 now: datetime | None = None) -> list:
    """Write one prediction-log segment per inner list, one row per age (days before ``now``), and one
    feedback segment of the oldest ages; returns the segment paths in order."""
    now = now or utc_now()
    log = PredictionLog(log_dir(workspace.path, project_id), flush_rows=10_000, flush_seconds=3600)
    written = []
    try:
        for ages in ages_in_days:
            for number, age in enumerate(ages):
                log.log(request_id=f"r{len(written)}-{number}", version_id=version_id, version=1, role=ANSWER,
                        route="predict", status=200, latency_ms=1.0, inputs=[{"age": 30}], predictions=["yes"],
                        time=now - timedelta(days=age))
            written.append(log.predictions.flush())
        for number, age in enumerate(ages_in_days[0]):
            log.feedback(f"r0-{number}", "yes", time=now - timedelta(days=float(np.max(ages_in_days[0]))))
        log.feedback_writer.flush()
    finally:
        log.close()
    return written
