"""A project with a champion in production and a validated challenger in staging, and labelled
traffic written to its logs as the scoring service writes them: shared by the Retrain tests."""
from __future__ import annotations

from datetime import timedelta

import numpy as np

from lifecycle.clock import utc_now
from lifecycle.deploy import promotion
from lifecycle.deploy.paths import log_dir
from lifecycle.deploy.prediction_log import ANSWER, PredictionLog
from lifecycle.models import states
from lifecycle.store import models as model_store
from tests.unit import govern_fixtures
from tests.unit.deploy_fixtures import register


def validated(workspace, actors, *, accuracy=0.8, C=1.0, seed=0):
    """A registered version with a passing validation on record (accuracy ``accuracy``), moved to validated."""
    entry, _, _ = register(workspace, actors["analyst"], C=C, seed=seed)
    with workspace.db.transaction() as cursor:
        model_store.insert_validation(
            cursor, model_version_id=entry.version_id, objectives_version=1, passed=True, created_by="analyst",
            report={"verdicts": [{"objective": "accuracy >= 0.7", "blocking": True, "status": "pass",
                                  "kind": "performance", "value": accuracy}],
                    "metrics": {"accuracy": {"value": accuracy, "low": accuracy - 0.03, "high": accuracy + 0.03,
                                             "n": 200}}})
    return states.transition(workspace, actors["analyst"], entry.version_id, "validated", "passes")


def champion_and_challenger(workspace, actors):
    """(champion in production, challenger in staging) of project 1."""
    govern_fixtures.make_signable(workspace, actors["analyst"], 1)  # low risk: one reviewer's sign-off approves
    champion = validated(workspace, actors)
    govern_fixtures.approve(workspace, actors["reviewer"], champion.id)
    champion = promotion.move(workspace, actors["analyst"], champion.id, "production", "first release")
    challenger = validated(workspace, actors, accuracy=0.82, C=0.05, seed=1)
    challenger = promotion.move(workspace, actors["analyst"], challenger.id, "staging", "next candidate")
    return champion, challenger


def labelled_traffic(workspace, project_id, versions, rates, n, *, seed=0, feedback=True, classes=("yes", "no")):
    """``n`` answered single-row requests split among ``versions`` (ids, cycled), each right with its
    version's rate in ``rates``, and (with ``feedback``) the true label of every one; ``classes`` are the
    two the model answers (a label counts only when it is one of them: Monitor's rule)."""
    rng = np.random.default_rng(seed)
    log = PredictionLog(log_dir(workspace.path, project_id), flush_rows=100_000, flush_seconds=3600)
    start = utc_now()
    try:
        for i in range(n):
            version_id = versions[i % len(versions)]
            positive, negative = classes
            truth = positive if rng.random() < 0.5 else negative
            right = rng.random() < rates[i % len(versions)]
            predicted = truth if right else (negative if truth == positive else positive)
            at = start + timedelta(microseconds=i)
            log.log(request_id=f"req-{seed}-{i}", version_id=version_id, version=1, role=ANSWER, route="/predict",
                    status=200, latency_ms=1.0, inputs=[{"age": 30}], predictions=[predicted], time=at)
            if feedback:
                log.feedback(f"req-{seed}-{i}", truth, time=at)
    finally:
        log.close()
