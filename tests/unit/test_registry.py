"""Model registry: skops artifacts named by content hash, refused when changed or untrusted; state machine."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from lifecycle import audit
from lifecycle.models import states as model_states
from lifecycle.models import registry
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.hashing import sha256_file
from lifecycle.records import InputColumn
from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from tests.unit.govern_fixtures import METRICS, approve, make_signable

SCHEMA = (InputColumn(name="x", dtype="float", kind="numeric"),
          InputColumn(name="c", dtype="string", kind="categorical", categories=("a", "b")))


class Untrusted(ClassifierMixin, BaseEstimator):
    """A class skops does not know: loading a file that holds it must be refused."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def _frame(n=80):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b"], n)})
    return frame, (frame["x"] > 0).astype(int)


def _pipeline(estimator=None):
    frame, y = _frame()
    recipe = default_recipe(frame.assign(y=y), target="y")
    return Pipeline([("recipe", compile_recipe(recipe, frame.assign(y=y))), ("model", estimator or LogisticRegression())]).fit(frame, y)


def _register(workspace, actor, pipeline=None, trained_by="analyst"):
    return registry.register_pipeline(workspace, actor, project_id=1, run_id=7, pipeline=pipeline or _pipeline(),
                                      schema=SCHEMA, trained_by=trained_by)


def test_register_saves_a_skops_file_named_by_its_hash_and_loads_it_back(workspace, actors):
    version = _register(workspace, actors["analyst"])
    path = registry.artifact_path(workspace, version)
    assert path.name == f"{version.artifact_hash}.skops" and path.exists()
    assert (version.state, version.version, version.input_schema) == ("candidate", 1, SCHEMA)
    loaded = registry.load_pipeline(workspace, version)
    frame, _ = _frame()
    np.testing.assert_array_equal(loaded.predict_proba(frame), _pipeline().predict_proba(frame))
    assert audit.recent_events(workspace, limit=1)[0].action == "model.registered"


def test_a_changed_artifact_is_refused_with_an_audit_event(workspace, actors):
    version = _register(workspace, actors["analyst"])
    path = registry.artifact_path(workspace, version)
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(InputError, match="changed after it was registered"):
        registry.load_pipeline(workspace, version, actor_name="rey")
    event = audit.recent_events(workspace, limit=1)[0]
    assert (event.action, event.actor, event.entity) == ("model.load_refused", "rey", f"model:{version.id}")
    assert audit.verify_chain(workspace).ok


def test_an_untrusted_type_is_refused_with_an_audit_event(workspace, actors):
    version = _register(workspace, actors["analyst"], _pipeline(Untrusted()))
    with pytest.raises(InputError, match="does not trust: .*Untrusted"):
        registry.load_pipeline(workspace, version)
    assert audit.recent_events(workspace, limit=1)[0].action == "model.load_refused"


def test_a_reviewer_cannot_register(workspace, actors):
    with pytest.raises(PermissionDenied):
        _register(workspace, actors["reviewer"])


def _validated(workspace, actor, passed=True, trained_by="analyst"):
    version = _register(workspace, actor, trained_by=trained_by)
    with workspace.db.transaction() as cursor:
        model_store.insert_validation(cursor, model_version_id=version.id, objectives_version=1, passed=passed,
                                      report={"verdicts": [{"objective": "roc_auc >= 0.9", "blocking": True,
                                                            "status": "pass" if passed else "fail",
                                                            "kind": "performance"}],
                                              "metrics": METRICS, "primary_metric": "roc_auc"},
                                      created_by=actor.name)
    return version


def test_validation_gate(workspace, actors):
    failing = _validated(workspace, actors["analyst"], passed=False)
    with pytest.raises(InputError, match="fails blocking objective.*roc_auc >= 0.9"):
        model_states.transition(workspace, actors["analyst"], failing.id, "validated", "looks fine")
    passing = _validated(workspace, actors["analyst"])
    moved = model_states.transition(workspace, actors["analyst"], passing.id, "validated", "all objectives pass")
    assert moved.state == "validated"
    event = audit.recent_events(workspace, limit=1)[0]
    assert event.action == "model.validated" and event.details["reason"] == "all objectives pass"


def test_no_validation_report_blocks_the_move(workspace, actors):
    version = _register(workspace, actors["analyst"])
    with pytest.raises(InputError, match="no validation report"):
        model_states.transition(workspace, actors["analyst"], version.id, "validated", "why not")


def test_four_eyes_approval(workspace, actors, project):
    """Approval is a sign-off: the approve move needs a complete one, never by the version's builder."""
    make_signable(workspace, actors["analyst"], project.id)
    version = _validated(workspace, actors["admin"], trained_by="reviewer")
    model_states.transition(workspace, actors["admin"], version.id, "validated", "passes")
    with pytest.raises(PermissionDenied, match="only a reviewer who did not train this model can sign it off"):
        model_states.transition(workspace, actors["analyst"], version.id, "approved", "ok")
    with pytest.raises(PermissionDenied, match="trained or registered"):
        model_states.transition(workspace, actors["reviewer"], version.id, "approved", "my own model")
    with pytest.raises(PermissionDenied, match="trained or registered"):
        approve(workspace, actors["reviewer"], version.id)
    current = registry.get_version(workspace, version.id)
    moves = {m.to_state: m for m in model_states.possible_moves(workspace, actors["reviewer"], current)
             if m.to_state == "approved"}
    assert not moves["approved"].allowed and "four eyes" in moves["approved"].reason


def test_the_approve_move_needs_a_complete_sign_off(workspace, actors, project):
    make_signable(workspace, actors["analyst"], project.id)
    version = _validated(workspace, actors["analyst"])
    model_states.transition(workspace, actors["analyst"], version.id, "validated", "passes")
    with pytest.raises(InputError, match="complete sign-off only: 0 of 1 reviewer approved.*signoff"):
        model_states.transition(workspace, actors["reviewer"], version.id, "approved", "looks fine")
    assert registry.get_version(workspace, version.id).state == "validated"


def test_approval_by_another_reviewer_and_the_path_to_retirement(workspace, actors, project):
    make_signable(workspace, actors["analyst"], project.id)
    version = _validated(workspace, actors["analyst"])
    model_states.transition(workspace, actors["analyst"], version.id, "validated", "passes")
    assert approve(workspace, actors["reviewer"], version.id).version.state == "approved"
    for state in ("staging", "production"):
        version = model_states.transition(workspace, actors["analyst"], version.id, state, f"to {state}")
    with pytest.raises(InputError, match="retired through the decommission flow"):
        model_states.transition(workspace, actors["analyst"], version.id, "retired", "end of life")
    version = model_states.retire(workspace, actors["analyst"], version.id, "end of life")  # the Retire stage's move
    assert version.state == "retired"
    with pytest.raises(InputError, match="nowhere"):
        model_states.transition(workspace, actors["analyst"], version.id, "production", "again")


def test_rejected_is_a_dead_end_and_every_move_needs_a_reason(workspace, actors):
    version = _register(workspace, actors["analyst"])
    with pytest.raises(InputError, match="needs a reason"):
        model_states.transition(workspace, actors["reviewer"], version.id, "rejected", "  ")
    model_states.transition(workspace, actors["reviewer"], version.id, "rejected", "leaks the target")
    with pytest.raises(InputError, match="cannot move from rejected"):
        model_states.transition(workspace, actors["analyst"], version.id, "candidate", "undo")


def test_a_refused_move_writes_nothing(workspace, actors):
    version = _register(workspace, actors["analyst"])
    before = len(audit_log.events(workspace.db.cursor()))
    with pytest.raises(PermissionDenied):
        model_states.transition(workspace, actors["stakeholder"], version.id, "rejected", "no")
    assert len(audit_log.events(workspace.db.cursor())) == before
    assert registry.get_version(workspace, version.id).state == "candidate"


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_every_catalogue_algorithm_loads_back_through_the_allow_list(workspace, actors, kind):
    """A fitted model of each family holds only trusted types (knn keeps a KD tree and a metric)."""
    from lifecycle.develop.catalogue import CATALOGUE
    frame, y = _frame()
    target = y if kind == "classification" else frame["x"] * 2.0
    for algorithm in CATALOGUE.values():
        builder = algorithm.builders.get(kind)
        if builder is None:
            continue
        for params in ({}, {"p": 1}) if algorithm.name == "knn" else ({},):
            recipe = default_recipe(frame.assign(y=target), target="y")
            pipeline = Pipeline([("recipe", compile_recipe(recipe, frame.assign(y=target))),
                                 ("model", builder(**params))]).fit(frame, target)
            version = _register(workspace, actors["analyst"], pipeline)
            loaded = registry.load_pipeline(workspace, version)
            np.testing.assert_array_equal(loaded.predict(frame), pipeline.predict(frame), err_msg=algorithm.name)


def test_an_artifact_saved_before_the_stage_packages_loads_through_the_legacy_aliases(workspace, actors):
    """tests/unit/data/legacy_pipeline.skops was written when the recipe's transformers lived in
    ``lifecycle.transformers``; it must load (same hash and allow-list checks) and predict as it did."""
    import shutil
    from pathlib import Path

    import skops.io as sio

    data = Path(__file__).parent / "data"
    legacy = data / "legacy_pipeline.skops"
    assert any(t.startswith("lifecycle.transformers.") for t in sio.get_untrusted_types(file=legacy))
    digest = sha256_file(legacy)
    registry.models_dir(workspace).mkdir(parents=True, exist_ok=True)
    shutil.copy(legacy, registry.models_dir(workspace) / f"{digest}.skops")
    with workspace.db.transaction() as cursor:
        version = model_store.insert_version(cursor, project_id=1, run_id=1, artifact_hash=digest, input_schema=SCHEMA,
                                             trained_by="analyst", created_by="analyst")
    rows = pd.read_csv(data / "legacy_pipeline_rows.csv")
    loaded = registry.load_pipeline(workspace, version)
    proba = loaded.predict_proba(rows.drop(columns=["y", "expected_proba"]))[:, 1]
    np.testing.assert_allclose(proba, rows["expected_proba"], rtol=1e-12)


# ----------------------------------------------------------------------------- states, gates and records

def test_model_states_have_one_order():
    from lifecycle.records import STATES, ModelState
    from lifecycle.validate.status import VALIDATED_OR_LATER

    assert ModelState.path() == ("candidate", "validated", "approved", "staging", "production", "retired")
    assert STATES == (*ModelState.path(), "rejected")
    assert ModelState.at_least("validated") == VALIDATED_OR_LATER == ModelState.path()[1:]
    assert ModelState.STAGING.reached("approved") and ModelState.STAGING.reached(ModelState.STAGING)
    assert not ModelState.VALIDATED.reached("approved") and not ModelState.REJECTED.reached("candidate")
    assert [s for s in ModelState if s.is_closed] == ["retired", "rejected"]
    assert ModelState("staging") is ModelState.STAGING and ModelState.STAGING == "staging"


def test_a_stored_version_reads_its_state_as_the_enum(workspace, actors):
    from lifecycle.records import ModelState

    version = _register(workspace, actors["analyst"])
    assert version.state is ModelState.CANDIDATE
    assert workspace.db.value("SELECT state FROM model_versions WHERE id = ?", [version.id]) == "candidate"
    moved = model_states.transition(workspace, actors["analyst"], version.id, ModelState.REJECTED, "not needed")
    assert moved.state is ModelState.REJECTED and "rejected" in moved.label
    assert workspace.db.value("SELECT count(*) FROM model_versions WHERE state = ?", [ModelState.REJECTED]) == 1


def test_every_gate_asks_a_registered_action():
    from lifecycle import auth
    from lifecycle.records import ModelState

    assert {gate.permission for gate in model_states.TRANSITIONS.values()} == {
        auth.Permission.VALIDATE_MODEL, auth.Permission.APPROVE_MODEL, auth.Permission.MOVE_MODEL,
        auth.Permission.REJECT_MODEL, auth.Permission.RETIRE_MODEL}
    for (frm, to), gate in model_states.TRANSITIONS.items():
        assert isinstance(frm, ModelState) and isinstance(to, ModelState)
        assert gate.permission in auth.GRANTS


@pytest.mark.parametrize("role, to_state, allowed", [
    ("analyst", "rejected", True), ("reviewer", "rejected", True), ("stakeholder", "rejected", False),
    ("reviewer", "validated", False), ("admin", "validated", True), ("stakeholder", "validated", False),
])
def test_gate_roles_come_from_the_registry(workspace, actors, role, to_state, allowed):
    from lifecycle import auth

    version = _validated(workspace, actors["analyst"])
    moves = {m.to_state: m for m in model_states.possible_moves(workspace, actors[role], version)}
    assert moves[to_state].allowed is allowed
    if not allowed:
        gate = model_states.TRANSITIONS[(version.state, to_state)]
        assert moves[to_state].reason == (f"{role} ({role}) may not make this move. It needs the role "
                                          f"{' or '.join(auth.roles_with(gate.permission))}.")


def test_stored_validation_names_its_failing_blocking_objectives(workspace, actors):
    version = _register(workspace, actors["analyst"])
    verdicts = [{"objective": "roc_auc >= 0.9", "blocking": True, "status": "fail", "kind": "performance"},
                {"objective": "latency_ms <= 5", "blocking": True, "status": "not judged", "kind": "latency"},
                {"objective": "psi <= 0.2", "blocking": True, "status": "fail", "kind": "drift"},
                {"objective": "f1 >= 0.5", "blocking": False, "status": "fail", "kind": "performance"},
                {"objective": "accuracy >= 0.5", "blocking": True, "status": "pass", "kind": "performance"}]
    with workspace.db.transaction() as cursor:
        stored = model_store.insert_validation(cursor, model_version_id=version.id, objectives_version=1,
                                               passed=False, report={"verdicts": verdicts}, created_by="analyst")
    assert stored.failing_blocking_objectives == ("roc_auc >= 0.9", "latency_ms <= 5")
    with pytest.raises(InputError, match=r"fails blocking objective\(s\): roc_auc >= 0.9, latency_ms <= 5\."):
        model_states.transition(workspace, actors["analyst"], version.id, "validated", "try")


def test_a_run_says_whether_it_is_a_mitigation():
    from dataclasses import replace
    from datetime import datetime

    from lifecycle.records import Run

    trial = Run(id=1, search_id=None, project_id=1, dataset_id=1, split_id=1, recipe_id=1, algorithm="logistic",
                params={"C": 1.0}, seed=0, cv_folds=5, n_samples=10, halving_round=None, status="finished",
                error=None, cv_metrics={}, primary_metric="roc_auc", primary_score=None, fit_seconds=None,
                score_seconds=None, library_versions={}, created_at=datetime(2024, 1, 1), created_by="analyst")
    assert not trial.is_mitigation and trial.mitigation_method is None and trial.mitigated_version_id is None
    mitigated = replace(trial, algorithm="threshold_optimizer",
                        params={"mitigation": "threshold_optimizer", "base_version": 7, "sensitive": ["sex"]})
    assert mitigated.is_mitigation and mitigated.mitigation_method == "threshold_optimizer"
    assert mitigated.mitigated_version_id == 7
