"""Fairness mitigation: candidates on record that load, validate and predict exactly as Fairlearn's
own objects do, and a trade-off whose every number is Fairlearn's or scikit-learn's."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.preprocessing import CorrelationRemover
from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline

from lifecycle import audit, auth, evidence
from lifecycle.review import mitigation
from lifecycle.review import mitigation_tradeoff
from lifecycle.validate import stage as validate_stage
from lifecycle.models import states as model_states
from lifecycle.models import registry
from lifecycle.develop import search
from lifecycle.develop import training
from lifecycle.data import datasets
from lifecycle.data import preparation
from lifecycle.problem import projects
from lifecycle.charts import mitigation_charts
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.review.fair_models import GroupThresholdClassifier, MixtureClassifier, group_keys
from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace

FAST_VALIDATION = dict(n_bootstrap=20)


def _csv(task="binary", rows=300, seed=0, groups=("F", "M")) -> bytes:
    """a leans on sex, so a model of a, b, c treats the groups differently; sex is not a feature."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(groups, rows)
    a = rng.normal(size=rows) + 0.9 * (sex == groups[-1])
    b, c = rng.normal(size=rows), rng.choice(["u", "v", "w"], rows)
    signal = a + 0.5 * b + 0.3 * (c == "u") + rng.normal(size=rows) * 0.6
    if task == "binary":
        y = np.where(signal > 0.6, "yes", "no")
    elif task == "multiclass":
        y = np.where(signal < 0, "low", np.where(signal < 1, "mid", "high"))
    else:
        y = np.round(3 * signal + 10, 4).astype(str)
    frame = pd.DataFrame({"a": a.round(4), "b": b.round(4), "c": c, "sex": sex, "y": y})
    return frame.to_csv(index=False).encode()


def _registered(workspace, analyst, *, name, task="binary", sensitive=("sex",), algorithm="linear", **csv):
    project = projects.create_project(workspace, analyst, name=name, task=task, target="y",
                                      positive_class="yes" if task == "binary" else None, sensitive=list(sensitive))
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, _csv(task, **csv), f"{name}.csv")
    recipe = preparation.save_recipe(workspace, analyst, project.id, "base",
                                     preparation.suggested_recipe(workspace, dataset, project))
    frozen = preparation.freeze_dataset(workspace, analyst, dataset.id, recipe.id)
    split = preparation.create_split(workspace, analyst, frozen.id, method="random" if task == "regression"
                                     else "stratified", seed=1, test_size=0.3, validation_size=0.1)
    result = search.run_search(workspace, analyst, project_id=project.id, dataset_id=frozen.id, split_id=split.id,
                               algorithm=algorithm, method="none", cv_folds=3)
    return registry.register_run(workspace, analyst, result.best_run_id)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One workspace: a binary project (sensitive sex, not fed to the model), its v1 and one
    candidate of each method."""
    path = tmp_path_factory.mktemp("mitigation") / "w.duckdb"
    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin")
    for name in ("analyst", "reviewer"):
        auth.add_user(workspace, admin, name, name)
    users = {u.role: u for u in auth.list_users(workspace)}
    analyst = users["analyst"]
    base = _registered(workspace, analyst, name="Loans")
    made = {
        "threshold_optimizer": mitigation.create_candidate(workspace, analyst, base.id, method="threshold_optimizer",
                                                           constraint="equalized_odds"),
        "exponentiated_gradient": mitigation.create_candidate(workspace, analyst, base.id,
                                                              method="exponentiated_gradient",
                                                              constraint="demographic_parity", max_iter=10),
        "correlation_remover": mitigation.create_candidate(workspace, analyst, base.id, method="correlation_remover",
                                                           constraint="demographic_parity"),
    }
    yield workspace, users, base, made
    close_database(path)


def _test_rows(workspace, version):
    data = training.data_for_run(workspace, training.get_run(workspace, version.run_id))
    sex = datasets.load_frame(workspace, data.dataset, columns=["sex"]).loc[data.X_test.index, "sex"]
    return data, sex


def _base_data(workspace, base):
    data = training.data_for_run(workspace, training.get_run(workspace, base.run_id))
    sex = datasets.load_frame(workspace, data.dataset, columns=["sex"])["sex"]
    return data, sex.loc[data.X_train.index], sex.loc[data.X_test.index]


# ----------------------------------------------------------------------------- candidates on record

@pytest.mark.parametrize("method", mitigation.METHODS)
def test_each_method_registers_a_candidate_run_on_record_that_loads_and_validates(world, method):
    workspace, users, base, made = world
    created = made[method]
    version, run = created.version, created.run
    assert (version.state, version.project_id, created.base.id) == ("candidate", base.project_id, base.id)
    base_run = training.get_run(workspace, base.run_id)
    assert (run.algorithm, run.status, run.dataset_id, run.split_id, run.recipe_id) == (
        method, "finished", base_run.dataset_id, base_run.split_id, base_run.recipe_id)
    assert run.params["mitigation"] == method and run.params["base_version"] == base.id
    assert run.params["sensitive"] == ["sex"] and "fairlearn" in run.library_versions
    schema = [c.name for c in version.input_schema]
    reads_sex = method != "exponentiated_gradient"
    assert ("sex" in schema) is reads_sex and run.params["extra_inputs"] == (["sex"] if reads_sex else [])
    assert any("sex" in note for note in created.notes) is reads_sex
    if method == "correlation_remover":  # a real pipeline: cross-validated as the base run was
        assert set(run.cv_metrics) == set(base_run.cv_metrics) and len(run.cv_metrics["roc_auc"]["folds"]) == 3
        assert run.primary_score == run.cv_metrics["roc_auc"]["mean"]
    else:
        assert run.cv_metrics == {} and "Not cross-validated" in run.params["cv_note"]

    model = registry.load_pipeline(workspace, version)  # through the skops allow-list
    data, _ = _test_rows(workspace, version)
    assert set(np.unique(model.predict(data.X_test))) <= {0, 1}
    outcome = validate_stage.validate_version(workspace, users["analyst"], version.id, **FAST_VALIDATION)
    assert outcome.report.n_test == len(data.X_test)
    assert {r.attribute for r in outcome.report.fairness} == {"sex"}
    assert outcome.version.state == "validated"
    events = [e.action for e in audit.recent_events(workspace, limit=60)
              if e.entity == f"model:{version.id}"]
    assert {"model.registered", "model.mitigated", "validation.recorded"} <= set(events)


def test_threshold_optimizer_candidate_predicts_what_fairlearn_does(world):
    workspace, _, base, made = world
    data, sex_train, sex_test = _base_data(workspace, base)
    base_model = registry.load_pipeline(workspace, base)
    optimizer = ThresholdOptimizer(estimator=base_model, constraints="equalized_odds", prefit=True,
                                   predict_method="predict_proba")
    optimizer.fit(data.X_train, data.y_train, sensitive_features=sex_train.astype(str))
    expected = optimizer._pmf_predict(data.X_test, sensitive_features=sex_test.astype(str))
    candidate = registry.load_pipeline(workspace, made["threshold_optimizer"].version)
    rows, _ = _test_rows(workspace, made["threshold_optimizer"].version)
    np.testing.assert_allclose(candidate.predict_proba(rows.X_test), expected, atol=1e-12)
    np.testing.assert_array_equal(candidate.predict(rows.X_test), (expected[:, 1] >= 0.5).astype(int))


def test_exponentiated_gradient_candidate_predicts_what_fairlearn_does(world):
    workspace, _, base, made = world
    data, sex_train, _ = _base_data(workspace, base)
    base_model = registry.load_pipeline(workspace, base)
    recipe = base_model.named_steps["recipe"]
    reduction = ExponentiatedGradient(clone(base_model.named_steps["model"]), DemographicParity(), eps=0.01,
                                      max_iter=10)
    reduction.fit(np.asarray(recipe.transform(data.X_train), float), data.y_train.astype(int),
                  sensitive_features=sex_train.astype(str).to_numpy())
    test_matrix = np.asarray(recipe.transform(data.X_test), float)
    candidate = registry.load_pipeline(workspace, made["exponentiated_gradient"].version)
    np.testing.assert_allclose(candidate.predict_proba(data.X_test), reduction._pmf_predict(test_matrix), atol=1e-12)
    assert made["exponentiated_gradient"].run.params["estimators"] == len(candidate.named_steps["model"].estimators_)


def test_correlation_remover_candidate_equals_fairlearn_on_the_one_hot_sensitive_columns(world):
    workspace, _, base, made = world
    data, sex_train, sex_test = _base_data(workspace, base)
    recipe = compile_recipe(data.recipe, data.schema).fit(data.X_train)
    one_hot = lambda sex: np.column_stack([(sex == g).to_numpy(float) for g in ("F", "M")])  # noqa: E731
    train = np.hstack([one_hot(sex_train), recipe.transform(data.X_train)])
    remover = CorrelationRemover(sensitive_feature_ids=[0, 1]).fit(train)
    model = clone(registry.load_pipeline(workspace, base).named_steps["model"])
    model.fit(remover.transform(train), data.y_train)
    test = remover.transform(np.hstack([one_hot(sex_test), recipe.transform(data.X_test)]))
    candidate = registry.load_pipeline(workspace, made["correlation_remover"].version)
    rows, _ = _test_rows(workspace, made["correlation_remover"].version)
    np.testing.assert_allclose(candidate.predict_proba(rows.X_test), model.predict_proba(test), atol=1e-8)


# ----------------------------------------------------------------------------- trade-off

@pytest.mark.parametrize("constraint,function", [("demographic_parity", flm.demographic_parity_difference),
                                                  ("equalized_odds", flm.equalized_odds_difference)])
def test_trade_off_numbers_are_fairlearns_and_sklearns_and_stored_once(world, constraint, function):
    workspace, users, base, made = world
    result, from_store = mitigation_tradeoff.trade_off(workspace, users["reviewer"], base.id, constraint=constraint)
    assert not from_store
    ids = [p.version_id for p in result.points]
    assert ids == [base.id, *[v.id for v, _ in mitigation_tradeoff.candidates(workspace, base.id)]]
    assert {m.version.id for m in made.values()} <= set(ids)
    assert result.points[0].is_base and result.metric == mitigation.CONSTRAINT_METRICS[constraint]
    for point in result.points:
        version = registry.get_version(workspace, point.version_id)
        data, sex = _test_rows(workspace, version)
        predictions = registry.load_pipeline(workspace, version).predict(data.X_test)
        y = data.y_test.astype(int)
        assert point.accuracy == pytest.approx(accuracy_score(y, predictions), abs=1e-12)
        assert point.fairness == pytest.approx(function(y, predictions, sensitive_features=sex), abs=1e-12)
        assert point.selection_rate == pytest.approx(np.mean(predictions), abs=1e-12)
    again, from_store = mitigation_tradeoff.trade_off(workspace, users["analyst"], base.id, constraint=constraint)
    assert from_store and again == result
    stored = evidence.latest(workspace, base.id, "mitigation")
    assert stored.kind == "mitigation" and result.metric.replace("_", " ") in stored.summary


def test_the_trade_off_loads_the_shared_dataset_once(world, count_loads):
    workspace, _, base, _ = world
    result = mitigation_tradeoff.compute_trade_off(workspace, base.id, constraint="equalized_odds")
    assert len(result.points) >= 4 and len(count_loads) == 1


def test_trade_off_chart_marks_the_base_and_labels_every_candidate(world):
    workspace, users, base, made = world
    result, _ = mitigation_tradeoff.trade_off(workspace, users["analyst"], base.id, constraint="demographic_parity")
    figure = mitigation_charts.trade_off_chart(result)
    names = [trace.name for trace in figure.data]
    assert names == ["base model", "candidates"]
    labels = [html.unescape(text) for trace in figure.data for text in trace.text]
    assert len(labels) == len(result.points) and all(f"#{p.version_id}" in " ".join(labels) for p in result.points)
    assert [row[0] for row in figure.data[1].customdata] == [p.version_id for p in result.points[1:]]
    empty = mitigation_charts.trade_off_chart(None)
    assert empty.layout.annotations and not empty.data


# ----------------------------------------------------------------------------- rules and bad input

def test_a_mitigation_run_is_not_rerun_and_its_version_is_known_to_the_base(world):
    workspace, users, base, made = world
    run = made["threshold_optimizer"].run
    with pytest.raises(InputError, match="fairness mitigation .* not re-run"):
        training.rerun(workspace, users["analyst"], run.id)
    with pytest.raises(InputError, match="already registered"):
        registry.register_run(workspace, users["analyst"], run.id)
    assert mitigation_tradeoff.base_of(workspace, made["threshold_optimizer"].version).id == base.id
    assert mitigation_tradeoff.base_of(workspace, base).id == base.id
    with pytest.raises(InputError, match="already a mitigated candidate"):
        mitigation.create_candidate(workspace, users["analyst"], made["threshold_optimizer"].version.id,
                                    method="threshold_optimizer", constraint="demographic_parity")


def test_a_reviewer_may_not_mitigate(world):
    workspace, users, base, _ = world
    with pytest.raises(PermissionDenied, match="reviewer"):
        mitigation.create_candidate(workspace, users["reviewer"], base.id, method="threshold_optimizer",
                                    constraint="demographic_parity")


@pytest.mark.parametrize("change,message", [
    (dict(method="reweighing"), "Unknown mitigation method 'reweighing'"),
    (dict(constraint="true_positive_rate_parity"), "Unknown fairness constraint"),
    (dict(sensitive=["age"]), "'age' is not a sensitive attribute"),
    (dict(max_iter=0), "Max iterations 0"),
])
def test_bad_choices_are_refused_with_the_fix(world, change, message):
    workspace, users, base, _ = world
    arguments = {"method": "threshold_optimizer", "constraint": "demographic_parity", **change}
    with pytest.raises(InputError, match=message):
        mitigation.create_candidate(workspace, users["analyst"], base.id, **arguments)


def test_projects_that_cannot_be_mitigated_say_why(world):
    workspace, users, _, _ = world
    analyst = users["analyst"]
    cases = [
        (dict(name="No groups", sensitive=()), "lists no sensitive attribute"),
        (dict(name="One group", groups=("F",)), "single group \\('F'\\)"),
        (dict(name="Amounts", task="regression"), "regression task.*binary classification only"),
        (dict(name="Bands", task="multiclass"), "multiclass task.*binary classification only"),
    ]
    for setup, message in cases:
        version = _registered(workspace, analyst, **setup)
        with pytest.raises(InputError, match=message):
            mitigation.create_candidate(workspace, analyst, version.id, method="threshold_optimizer",
                                        constraint="demographic_parity")


def test_rejected_base_and_estimator_without_sample_weights_are_refused(world):
    workspace, users, _, _ = world
    analyst = users["analyst"]
    knn = _registered(workspace, analyst, name="Neighbours", algorithm="knn")
    with pytest.raises(InputError, match="takes no sample weights"):
        mitigation.create_candidate(workspace, analyst, knn.id, method="exponentiated_gradient",
                                    constraint="demographic_parity", max_iter=5)
    model_states.transition(workspace, analyst, knn.id, "rejected", "too slow to serve")
    with pytest.raises(InputError, match="is rejected; it is not mitigated"):
        mitigation.create_candidate(workspace, analyst, knn.id, method="threshold_optimizer",
                                    constraint="demographic_parity")


# ----------------------------------------------------------------------------- the estimators themselves

def _toy(n=400, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "c": rng.choice(["u", "v"], n), "sex": rng.choice(["F", "M"], n)})
    y = ((frame.a + 0.8 * (frame.sex == "M") + rng.normal(size=n) * 0.5) > 0.3).astype(int)
    recipe = default_recipe(frame.assign(y=y), target="y", sensitive=("sex",))
    base = Pipeline([("recipe", compile_recipe(recipe, frame.assign(y=y))), ("model", LogisticRegression())])
    return frame, y, base.fit(frame[["a", "c"]], y)


@pytest.mark.parametrize("constraints", ["demographic_parity", "equalized_odds"])
def test_group_threshold_classifier_equals_threshold_optimizer_and_keeps_unseen_groups(constraints):
    frame, y, base = _toy()
    optimizer = ThresholdOptimizer(estimator=base, constraints=constraints, prefit=True,
                                   predict_method="predict_proba").fit(frame[["a", "c"]], y,
                                                                       sensitive_features=frame.sex)
    converted = GroupThresholdClassifier.from_optimizer(optimizer, sensitive_columns=["sex"], feature_columns=["a", "c"])
    fitted = GroupThresholdClassifier(base, sensitive_columns=["sex"], feature_columns=["a", "c"],
                                      constraints=constraints).fit(frame, y)
    expected = optimizer._pmf_predict(frame[["a", "c"]], sensitive_features=frame.sex)
    np.testing.assert_allclose(converted.predict_proba(frame), expected, atol=1e-12)
    np.testing.assert_allclose(fitted.predict_proba(frame), expected, atol=1e-12)
    unseen = frame.assign(sex="X").head(5)
    np.testing.assert_allclose(fitted.predict_proba(unseen), base.predict_proba(unseen[["a", "c"]]))


def test_mixture_classifier_equals_exponentiated_gradient():
    frame, y, base = _toy(seed=1)
    matrix = np.asarray(base[:-1].transform(frame[["a", "c"]]), float)
    reduction = ExponentiatedGradient(LogisticRegression(), EqualizedOdds(), max_iter=15)
    reduction.fit(matrix, y, sensitive_features=frame.sex.to_numpy())
    converted = MixtureClassifier.from_reduction(reduction)
    np.testing.assert_allclose(converted.predict_proba(matrix), reduction._pmf_predict(matrix), atol=1e-12)
    assert converted.constraints == "equalized_odds" and np.isclose(converted.weights_.sum(), 1.0)


def test_group_keys_join_attributes_and_name_missing_values():
    frame = pd.DataFrame({"sex": ["F", None, "M"], "band": [1.0, 2.0, np.nan]})
    assert group_keys(frame, ["sex"]).tolist() == ["F", "(missing)", "M"]
    assert group_keys(frame, ["sex", "band"]).tolist() == ["F · 1", "(missing) · 2", "M · (missing)"]


# ----------------------------------------------------------------------------- command line

def test_the_mitigate_command_prints_the_new_version_and_the_trade_off(world, capsys):
    import json

    from lifecycle.cli import main

    workspace, _, base, made = world
    prefix = ["--workspace", str(workspace.db.path), "--user", "analyst"]
    code = main([*prefix, "--json", "mitigate", str(base.id), "--method", "threshold_optimizer",
                 "--constraint", "demographic_parity", "--sensitive", "sex"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["base_version_id"] == base.id
    created = registry.get_version(workspace, out["version_id"])
    assert training.get_run(workspace, created.run_id).params["constraints"] == "demographic_parity"
    ids = [p["version_id"] for p in out["trade_off"]["points"]]
    assert ids[0] == base.id and created.id in ids and made["threshold_optimizer"].version.id in ids
    code = main([*prefix, "mitigate", str(base.id), "--method", "threshold_optimizer", "--constraint",
                 "equalized_odds", "--sensitive", "age"])
    assert code == 2 and "'age' is not a sensitive attribute" in capsys.readouterr().err
    code = main(["--workspace", str(workspace.db.path), "--user", "reviewer", "mitigate", str(base.id),
                 "--method", "correlation_remover", "--constraint", "demographic_parity"])
    assert code == 2 and "may not train" in capsys.readouterr().err


def test_every_candidate_is_explained_in_source_columns(world):
    """The explanation panel works on candidates: the threshold optimizer's scores come from the
    base model (said in a note), the others are explained as they are."""
    from lifecycle.review import explain
    workspace, users, base, made = world
    for method, made_candidate in made.items():
        explanation, _, _ = explain.explain_version(workspace, users["analyst"], made_candidate.version, rows=40)
        assert set(explanation.columns) <= {"a", "b", "c", "sex"}, method
        np.testing.assert_allclose(explanation.base_value + explanation.values.sum(axis=1), explanation.outputs,
                                   rtol=1e-4, atol=1e-4, err_msg=method)  # stored at 6 significant digits
        assert any("threshold per group" in n for n in explanation.notes) == (method == "threshold_optimizer")
