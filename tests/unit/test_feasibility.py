"""Stage 1 feasibility: a naive baseline and a quick model, cross-validated, against the objectives."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline

from lifecycle import auth
from lifecycle.data import datasets
from lifecycle.problem import projects
from lifecycle.errors import InputError
from lifecycle.develop.feasibility import FOLDS, check_feasibility, summary_text
from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace


def _frame(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    group = rng.choice(["a", "b", "c"], size=n)
    signal = 1.5 * x1 - x2 + (group == "a") + rng.normal(scale=1.0, size=n)
    return pd.DataFrame({"x1": x1.round(4), "x2": x2.round(4), "group": group,
                         "sex": rng.choice(["F", "M"], size=n),
                         "y": np.where(signal > 0.5, "yes", "no")})


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """One workspace and one feasibility run shared by the tests that only read the report."""
    path = tmp_path_factory.mktemp("feasibility") / "w.duckdb"
    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin")
    project = projects.create_project(
        workspace, admin, name="Churn", task="binary", target="y", positive_class="yes", sensitive=["sex"],
        objectives=["roc_auc>=0.6", "accuracy>=0.999", "demographic_parity_difference<=0.2"])
    dataset = datasets.ingest_bytes(workspace, admin, project.id, _csv(_frame()), "churn.csv")
    report = check_feasibility(workspace, project, seed=0)
    yield workspace, project, dataset, report
    close_database(path)


def _check(report, metric):
    return next(c for c in report.checks if c.metric == metric)


def test_report_describes_the_data(checked):
    _, _, dataset, report = checked
    frame = _frame()
    assert (report.dataset_id, report.rows, report.sample_rows) == (dataset.id, 300, 300)
    assert report.features == 3  # x1, x2, group; sex is kept aside as sensitive
    assert report.class_counts == frame["y"].value_counts().to_dict()
    assert (report.positive_class, report.positive_class_inferred) == ("yes", False)
    assert report.warnings == ()


def test_baseline_roc_auc_is_chance(checked):
    _, _, _, report = checked
    assert _check(report, "roc_auc").baseline == pytest.approx(0.5)


def test_quick_model_matches_an_independent_cross_validation(checked):
    _, _, _, report = checked
    frame = datasets.load_frame(checked[0], checked[2])
    recipe = default_recipe(frame, target="y", sensitive=("sex",))
    pipeline = Pipeline([("recipe", compile_recipe(recipe, frame)),
                         ("model", HistGradientBoostingClassifier(random_state=0))])
    y = (frame["y"] == "yes").astype(np.int64)
    scores = cross_validate(pipeline, frame, y, cv=StratifiedKFold(FOLDS, shuffle=True, random_state=0),
                            scoring={"roc_auc": "roc_auc", "accuracy": "accuracy"})
    roc, accuracy = _check(report, "roc_auc"), _check(report, "accuracy")
    assert roc.quick_model == pytest.approx(scores["test_roc_auc"].mean(), abs=1e-12)
    assert roc.quick_model_std == pytest.approx(scores["test_roc_auc"].std(), abs=1e-12)
    assert accuracy.quick_model == pytest.approx(scores["test_accuracy"].mean(), abs=1e-12)
    assert 0.6 < roc.quick_model < 0.999


def test_verdicts(checked):
    _, _, _, report = checked
    roc, accuracy = _check(report, "roc_auc"), _check(report, "accuracy")
    assert roc.verdict == "reachable" and roc.objective == "roc_auc >= 0.6"
    assert "the naive baseline scores 0.500" in roc.explanation
    assert accuracy.verdict == "out of reach" and accuracy.objective == "accuracy >= 0.999"
    fairness = _check(report, "demographic_parity_difference")
    assert fairness.verdict == "judged later" and fairness.quick_model is None
    assert "judged in Validate and Monitor" in fairness.explanation


def test_summary_text_lists_every_check(checked):
    text = summary_text(checked[3])
    assert text.startswith("Feasibility on churn v1 (#1): 300 rows, 3 features")
    assert "[reachable] roc_auc >= 0.6" in text and "[out of reach] accuracy >= 0.999" in text


def test_missing_dataset_names_the_fix(workspace, project):
    with pytest.raises(InputError) as caught:
        check_feasibility(workspace, project)
    assert "Project 'Churn' has no dataset yet" in str(caught.value)
    assert "Ingest one in stage 2 (Data)" in str(caught.value)


def test_dataset_of_another_project(workspace, actors, project):
    other = projects.create_project(workspace, actors["analyst"], name="Other", task="binary", target="y", positive_class="a")
    dataset = datasets.ingest_bytes(workspace, actors["analyst"], other.id, b"x,y\n1,a\n2,b\n", "o.csv")
    with pytest.raises(InputError, match=f"Dataset #{dataset.id} belongs to another project"):
        check_feasibility(workspace, project, dataset_id=dataset.id)


def test_small_data_warns_and_infers_the_positive_class(workspace, actors):
    # A project from before the positive class was required (the store keeps it empty): inferred from data.
    from lifecycle.store import projects as project_store
    created = projects.create_project(workspace, actors["analyst"], name="Tiny", task="binary", target="y",
                                      positive_class="yes")
    with workspace.db.transaction() as cursor:
        project = project_store.update(cursor, created.id, {"positive_class": None})
    frame = _frame(60, seed=5)
    frame.loc[frame.index[:50], "y"] = "no"
    frame.loc[frame.index[50:], "y"] = "yes"
    datasets.ingest_bytes(workspace, actors["analyst"], project.id, _csv(frame), "tiny.csv")
    report = check_feasibility(workspace, project)
    assert (report.positive_class, report.positive_class_inferred) == ("yes", True)
    assert any("Only 60 rows" in w and "collect at least 100" in w for w in report.warnings)
    assert any("Class 'yes' has only 10 rows" in w for w in report.warnings)
    assert any("the rarer class 'yes' was assumed" in w for w in report.warnings)
    assert _check(report, "roc_auc").verdict == "reference"


def test_binary_project_with_three_classes(workspace, actors):
    project = projects.create_project(workspace, actors["analyst"], name="Three", task="binary", target="y", positive_class="a")
    frame = _frame(60)
    frame["y"] = np.array(["a", "b", "c"] * 20)
    datasets.ingest_bytes(workspace, actors["analyst"], project.id, _csv(frame), "three.csv")
    with pytest.raises(InputError, match="binary but its target has 3 classes. Change the task to multiclass"):
        check_feasibility(workspace, project)


def test_a_check_is_stored_as_evidence_of_stage_1_and_read_back_not_recomputed(tmp_path, monkeypatch):
    from lifecycle import audit
    from lifecycle.develop import feasibility

    workspace = open_workspace(tmp_path / "w.duckdb")
    admin = auth.init_admin(workspace, "admin")
    project = projects.create_project(workspace, admin, name="Churn", task="binary", target="y",
                                      positive_class="yes", objectives=["roc_auc>=0.6"])
    datasets.ingest_bytes(workspace, admin, project.id, _csv(_frame()), "churn.csv")
    assert feasibility.latest_report(workspace, project) is None
    report, from_store = feasibility.check_and_record(workspace, admin, project)
    assert not from_store
    assert report == check_feasibility(workspace, project)  # the stored form reads back whole
    event = audit.recent_events(workspace, limit=1)[0]
    assert (event.action, event.entity) == ("evidence.feasibility", f"project:{project.id}")
    stored_report, stored = feasibility.latest_report(workspace, project)
    assert stored_report == report and stored.created_by == "admin"

    calls = []
    monkeypatch.setattr(feasibility, "check_feasibility", lambda *a, **k: calls.append(1))
    again, from_store = feasibility.check_and_record(workspace, admin, project)
    assert (again, from_store, calls) == (report, True, [])  # same data, framing and objectives: not recomputed
    projects.set_objectives(workspace, admin, project.id, ["roc_auc>=0.7"])
    assert feasibility.evidence_key(workspace, project) != stored.cache_key  # new objectives, new check
    assert audit.verify_chain(workspace).ok
    close_database(tmp_path / "w.duckdb")


def test_the_cli_check_is_recorded_and_read_back(tmp_path, capsys):
    from lifecycle.cli import main

    workspace_path = tmp_path / "w.duckdb"
    workspace = open_workspace(workspace_path)
    admin = auth.init_admin(workspace, "admin")
    project = projects.create_project(workspace, admin, name="Churn", task="binary", target="y",
                                      positive_class="yes", objectives=["roc_auc>=0.6"])
    datasets.ingest_bytes(workspace, admin, project.id, _csv(_frame()), "churn.csv")
    close_database(workspace_path)
    args = ["--workspace", str(workspace_path), "--user", "admin", "project", "feasibility", "Churn"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert first.startswith("Feasibility on churn") and "read from the record" not in first
    assert main(args) == 0
    assert "unchanged since the last check: read from the record" in capsys.readouterr().out
