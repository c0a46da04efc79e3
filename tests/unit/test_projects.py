"""Stage 1: projects, and objectives parsed against the metric catalogue."""
from __future__ import annotations

import math

import pytest

from lifecycle import audit
from lifecycle.problem import projects
from lifecycle.errors import InputError, NotFound
from lifecycle.problem.objectives import (CATALOGUE, is_met, make_objective, metrics_for, objective_from_row,
                                  parse_objective)
from lifecycle.records import Objective


def _create(workspace, actors, **overrides):
    fields = dict(name="Income", task="binary", target="income", positive_class=">50K")
    fields.update(overrides)
    return projects.create_project(workspace, actors["analyst"], **fields)


# -- projects ----------------------------------------------------------------------------

def test_create_stores_every_field(workspace, actors):
    project = _create(workspace, actors, name="  Income  ", statement="Predict income.",
                      sensitive=["sex", " race ", "sex", ""], risk_tier="high",
                      objectives=["roc_auc>=0.85", "advisory:recall>=0.6"])
    again = projects.get_project(workspace, project.id)
    assert again == project
    assert project.name == "Income"  # trimmed
    assert project.sensitive == ("sex", "race")  # trimmed, deduplicated, empties dropped
    assert project.owner == "analyst" and project.created_by == "analyst"
    assert projects.find_project(workspace, "Income").id == project.id
    objective_set = projects.objectives(workspace, project.id)
    assert objective_set.version == 1
    assert [str(o) for o in objective_set.objectives] == ["roc_auc >= 0.85", "recall >= 0.6"]
    assert [o.blocking for o in objective_set.objectives] == [True, False]


def test_edit_writes_the_diff_into_the_audit_event(workspace, actors, project):
    updated = projects.update_project(workspace, actors["analyst"], project.id,
                                      statement="Who will churn?", sensitive=["sex"], risk_tier="high")
    assert updated.statement == "Who will churn?" and updated.sensitive == ("sex",)
    assert updated.updated_at >= project.updated_at
    event = audit.recent_events(workspace, limit=1)[0]
    assert event.action == "project.updated" and event.entity == f"project:{project.id}"
    assert event.details == {"statement": {"from": "", "to": "Who will churn?"},
                             "sensitive": {"from": [], "to": ["sex"]},
                             "risk_tier": {"from": "medium", "to": "high"}}
    assert audit.verify_chain(workspace).ok


def test_edit_without_changes_writes_nothing(workspace, actors, project):
    before = audit.verify_chain(workspace).events
    same = projects.update_project(workspace, actors["analyst"], project.id, name=project.name,
                                   sensitive=list(project.sensitive))
    assert same == project
    assert audit.verify_chain(workspace).events == before


def test_duplicate_name(workspace, actors, project):
    with pytest.raises(InputError, match="A project named 'Churn' already exists. Pick another name"):
        _create(workspace, actors, name="Churn")
    other = _create(workspace, actors, name="Other")
    with pytest.raises(InputError, match="'Churn' already exists"):
        projects.update_project(workspace, actors["analyst"], other.id, name="Churn")


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_name(workspace, actors, name):
    with pytest.raises(InputError, match="The project has no name. Give it a short name"):
        _create(workspace, actors, name=name)


def test_too_long_name(workspace, actors):
    with pytest.raises(InputError, match="81 characters long. Keep it under 80"):
        _create(workspace, actors, name="x" * 81)


def test_bad_task(workspace, actors):
    with pytest.raises(InputError) as caught:
        _create(workspace, actors, task="clustering")
    assert "Task 'clustering' is not supported" in str(caught.value)
    assert "binary, multiclass, regression" in str(caught.value)


def test_empty_target(workspace, actors):
    with pytest.raises(InputError, match="no target column. Name the column"):
        _create(workspace, actors, target=" ")


def test_bad_risk_tier(workspace, actors):
    with pytest.raises(InputError, match="Risk tier 'extreme'.*low, medium or high"):
        _create(workspace, actors, risk_tier="extreme")


def test_regression_with_positive_class(workspace, actors, project):
    with pytest.raises(InputError, match="A regression task has no positive class. Leave the positive class empty"):
        _create(workspace, actors, task="regression", target="price", positive_class="high")
    with pytest.raises(InputError, match="no positive class"):
        projects.update_project(workspace, actors["analyst"], project.id, task="regression")


def test_target_listed_as_sensitive(workspace, actors, project):
    with pytest.raises(InputError) as caught:
        _create(workspace, actors, sensitive=["sex", "income"])
    assert "The target 'income' is also listed as a sensitive attribute" in str(caught.value)
    assert "Remove it from the sensitive attributes" in str(caught.value)
    with pytest.raises(InputError, match="target 'y' is also listed"):
        projects.update_project(workspace, actors["analyst"], project.id, sensitive=["y"])


def test_missing_project_names_the_ones_there(workspace, project):
    with pytest.raises(NotFound, match="No project named 'Nope'. Projects here: Churn"):
        projects.find_project(workspace, "Nope")
    with pytest.raises(NotFound, match="No project with id 99.*project list"):
        projects.get_project(workspace, 99)


# -- objectives: parsing and the catalogue -----------------------------------------------

def test_parse_a_good_objective():
    objective = parse_objective("roc_auc>=0.85", task="binary")
    assert objective == Objective(metric="roc_auc", comparator=">=", threshold=0.85, blocking=True)
    assert str(objective) == "roc_auc >= 0.85"
    assert parse_objective(" mae <= 3.5 ", task="regression").threshold == 3.5
    assert parse_objective("advisory:f1>=0.6", task="binary").blocking is False
    assert parse_objective("r2>=-0.5", task="regression").threshold == -0.5


@pytest.mark.parametrize("text, task, problem, fix", [
    ("roc_auc<=0.85", "binary", "roc_auc <= 0.85 points the wrong way: higher ROC AUC is better",
     "Write roc_auc>=0.85"),
    ("mae>=3", "regression", "mae >= 3 points the wrong way: lower Mean absolute error is better",
     "Write mae<=3"),
    ("auc>=0.8", "binary", "Unknown objective metric 'auc'", "Choose one of: roc_auc"),
    ("mae<=3", "binary", "Mean absolute error (mae) does not apply to a binary task",
     "For binary choose one of: roc_auc"),
    ("roc_auc>=0.8", "regression", "does not apply to a regression task", "mae, rmse, r2"),
    ("roc_auc>=1.5", "binary", "Threshold 1.5 for roc_auc is outside its range [0, 1]",
     "Pick a threshold inside the range"),
    ("mae<=-1", "regression", "Threshold -1.0 for mae is outside its range [0, inf]", "inside the range"),
    ("roc_auc>=0.8.5", "binary", "Threshold '0.8.5' in 'roc_auc>=0.8.5' is not a number",
     "Write a number such as 0.85"),
    ("roc_auc>=high", "binary", "'roc_auc>=high' is not of the form metric>=threshold",
     "'roc_auc>=0.85'"),
    ("roc_auc=0.8", "binary", "is not of the form metric>=threshold", "'mae<=3.5'"),
])
def test_parse_refuses_with_problem_and_fix(text, task, problem, fix):
    with pytest.raises(InputError) as caught:
        parse_objective(text, task=task)
    assert problem in str(caught.value)
    assert fix in str(caught.value)


def test_non_finite_thresholds_are_refused():
    with pytest.raises(InputError, match="outside its range"):
        make_objective("rmse", "<=", math.inf, task="regression")
    with pytest.raises(InputError, match="outside its range"):
        make_objective("roc_auc", ">=", math.nan, task="binary")


def test_catalogue_is_consistent():
    for task in ("binary", "multiclass", "regression"):
        names = [m.name for m in metrics_for(task)]
        assert names and all(task in CATALOGUE[n].tasks for n in names)
    assert {m.name for m in metrics_for("binary", kind="fairness")} >= {"demographic_parity_difference"}
    for spec in CATALOGUE.values():
        assert spec.low < spec.high
        assert spec.default_comparator == (">=" if spec.higher_is_better else "<=")


def test_objective_from_row_follows_the_metric_direction():
    assert objective_from_row("rmse", "2.5", None, task="regression") == Objective(
        metric="rmse", comparator="<=", threshold=2.5, blocking=True)
    assert objective_from_row("f1", 0.7, False, task="binary").blocking is False
    assert objective_from_row("f1", 0.7, float("nan"), task="binary").blocking is True
    with pytest.raises(InputError, match="The threshold for f1 is 'abc', not a number. Type a number"):
        objective_from_row("f1", "abc", True, task="binary")


def test_is_met():
    at_least = Objective(metric="roc_auc", comparator=">=", threshold=0.8)
    at_most = Objective(metric="mae", comparator="<=", threshold=3.0)
    assert is_met(at_least, 0.8) and not is_met(at_least, 0.79)
    assert is_met(at_most, 3.0) and not is_met(at_most, 3.1)
    assert not is_met(at_least, math.nan) and not is_met(at_least, None)


# -- objective versions ------------------------------------------------------------------

def test_each_set_makes_a_new_version_and_old_ones_stay_readable(workspace, actors, project):
    first = projects.set_objectives(workspace, actors["analyst"], project.id, ["roc_auc>=0.8"])
    second = projects.set_objectives(workspace, actors["analyst"], project.id,
                                     ["roc_auc>=0.85", "advisory:recall>=0.5"])
    third = projects.set_objectives(workspace, actors["analyst"], project.id, [])
    assert (first.version, second.version, third.version) == (2, 3, 4)  # v1 came with the project
    assert projects.objective_versions(workspace, project.id) == [1, 2, 3, 4]
    assert [str(o) for o in projects.objectives(workspace, project.id, 2).objectives] == ["roc_auc >= 0.8"]
    assert [str(o) for o in projects.objectives(workspace, project.id, 3).objectives] == [
        "roc_auc >= 0.85", "recall >= 0.5"]
    assert projects.objectives(workspace, project.id).version == 4
    assert projects.objectives(workspace, project.id).objectives == ()
    event = [e for e in audit.recent_events(workspace) if e.action == "objectives.set"][1]
    assert event.details == {"version": 3, "objectives": ["roc_auc >= 0.85", "recall >= 0.5 (advisory)"]}


def test_set_objectives_validates_against_the_project_task(workspace, actors, project):
    before = projects.objective_versions(workspace, project.id)
    with pytest.raises(InputError, match="does not apply to a binary task"):
        projects.set_objectives(workspace, actors["analyst"], project.id, ["mae<=3"])
    with pytest.raises(InputError, match="points the wrong way"):
        projects.set_objectives(workspace, actors["analyst"], project.id,
                                [Objective(metric="roc_auc", comparator="<=", threshold=0.9)])
    with pytest.raises(InputError, match="roc_auc appears more than once. Keep one threshold per metric"):
        projects.set_objectives(workspace, actors["analyst"], project.id, ["roc_auc>=0.8", "roc_auc>=0.9"])
    assert projects.objective_versions(workspace, project.id) == before


# -- issue 9: half-filled objective rows, saving nothing new, binary without positive class ----------

def test_a_half_filled_objective_row_is_refused_naming_the_row(workspace, actors, project):
    from lifecycle.problem.objectives import objectives_from_rows
    rows = [{"metric": "roc_auc", "threshold": 0.8, "blocking": True},
            {"metric": None, "threshold": float("nan"), "blocking": True}]
    with pytest.raises(InputError, match=r"Objective row 2 \(no metric\) has no metric and no threshold"):
        objectives_from_rows(rows, task="binary")
    with pytest.raises(InputError, match=r"Objective row 1 \(metric f1\) has no threshold.*or delete the row"):
        objectives_from_rows([{"metric": "f1", "threshold": None, "blocking": None}], task="binary")
    assert [str(o) for o in objectives_from_rows(rows[:1], task="binary")] == ["roc_auc >= 0.8"]


def test_saving_the_same_objectives_makes_no_new_version(workspace, actors, project):
    first = projects.set_objectives(workspace, actors["analyst"], project.id, ["roc_auc>=0.8"])
    events = len(audit.recent_events(workspace, limit=1000))
    again = projects.set_objectives(workspace, actors["analyst"], project.id, ["roc_auc>=0.8"])
    assert again.version == first.version
    assert projects.objective_versions(workspace, project.id)[-1] == first.version
    assert len(audit.recent_events(workspace, limit=1000)) == events  # nothing written
    changed = projects.set_objectives(workspace, actors["analyst"], project.id, ["roc_auc>=0.85"])
    assert changed.version == first.version + 1


def test_a_binary_project_needs_a_positive_class(workspace, actors):
    with pytest.raises(InputError, match="A binary project needs a positive class. Name the value of 'income'"):
        _create(workspace, actors, positive_class=None)
    with pytest.raises(InputError, match="needs a positive class"):
        _create(workspace, actors, positive_class="  ")
    assert projects.list_projects(workspace) == []


def test_clearing_the_positive_class_lists_the_targets_values(workspace, actors, project):
    from lifecycle.data.datasets import ingest_bytes
    ingest_bytes(workspace, actors["analyst"], project.id, b"x,y\n1,yes\n2,no\n3,no\n", "c.csv")
    with pytest.raises(InputError, match=r"needs a positive class. Pick one of the values of 'y' in the data: "
                                         r"'no', 'yes'\."):
        projects.update_project(workspace, actors["analyst"], project.id, positive_class=None)
    assert projects.get_project(workspace, project.id).positive_class == "yes"


def test_the_cli_refuses_a_binary_project_without_positive_class(tmp_path, capsys):
    from lifecycle.cli import main
    path = str(tmp_path / "w.duckdb")
    assert main(["--workspace", path, "workspace", "init", "--admin", "root"]) == 0
    code = main(["--workspace", path, "--user", "root", "project", "create", "P", "--task", "binary", "--target", "y"])
    assert code == 2
    assert "A binary project needs a positive class" in capsys.readouterr().err
