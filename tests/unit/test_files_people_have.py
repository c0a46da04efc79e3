"""Data as people really have it (issue 10): each kind of awkward file run through the CLI as a
pipeline would — ingest → profile → freeze → split → train → register → validate — with the
audit chain intact at the end. Tiny files are made by the tests."""
from __future__ import annotations

import json

import numpy as np
import pytest

from lifecycle.cli import main
from lifecycle.store.db import close_database


@pytest.fixture
def cli(tmp_path, capsys):
    workspace = tmp_path / "w.duckdb"

    def run(*argv, user: str | None = "ana", json_out: bool = True) -> tuple[int, object, str]:
        prefix = ["--workspace", str(workspace)] + (["--json"] if json_out else []) + (
            ["--user", user] if user else [])
        code = main([*prefix, *map(str, argv)])
        out, err = capsys.readouterr()
        try:
            return code, json.loads(out) if json_out and out.strip() else out, err
        except json.JSONDecodeError:
            return code, out, err

    assert run("workspace", "init", "--admin", "root", user=None)[0] == 0
    assert run("user", "add", "ana", "--role", "analyst", user="root")[0] == 0
    yield run, tmp_path
    close_database(workspace)


def _project(run, *, task="binary", target="y", positive="yes", objective="roc_auc>=0.5"):
    extra = ["--positive-class", positive] if task == "binary" else []
    code, _, err = run("project", "create", "p", "--task", task, "--target", target, *extra,
                       "--objective", objective)
    assert code == 0, err


def through_the_lifecycle(run, path, *, ingest=(), split=(), train=("--algorithm", "random_forest",
                          "--search", "random", "--trials", "1")) -> dict:
    """Every stage on the CLI; returns what each printed (JSON). Fails on any exit other than 0
    (or 1 from validate, a failed objective) and on a broken audit chain."""
    out = {}
    code, out["ingest"], err = run("data", "ingest", path, "--project", "p", *ingest)
    assert code == 0, err
    code, out["profile"], err = run("data", "profile", out["ingest"]["id"])
    assert code == 0, err
    code, out["freeze"], err = run("data", "freeze", out["ingest"]["id"])
    assert code == 0, err
    code, out["split"], err = run("data", "split", out["freeze"]["id"], *split)
    assert code == 0, err
    code, out["train"], err = run("train", "--project", "p", "--dataset", out["freeze"]["id"], *train)
    assert code == 0, err
    code, out["register"], err = run("register", out["train"]["best_run_id"])
    assert code == 0, err
    code, out["validate"], err = run("validate", out["register"]["version_id"], "--bootstrap", "50")
    assert code in (0, 1), err
    code, text, err = run("audit", "verify", user=None, json_out=False)
    assert code == 0 and "intact" in text, (text, err)
    return out


# -- 1. a byte-order mark before a quoted header -----------------------------------------

def test_bom_and_quoted_header_with_the_target_first(cli):
    run, tmp = cli
    _project(run, target="churned")
    rng = np.random.default_rng(1)
    lines = ['\ufeff"churned","age","city"'] + [
        f'"{"yes" if a > 50 else "no"}",{a},"{c}"' for a, c in zip(rng.integers(18, 80, 120),
                                                                    rng.choice(["Oslo", "Rome"], 120))]
    path = tmp / "export.csv"
    path.write_bytes("\r\n".join(lines).encode() + b"\r\n")
    out = through_the_lifecycle(run, path)
    assert [c["name"] for c in out["profile"]["columns"]] == ["churned", "age", "city"]


# -- 5. the default split fits the task ---------------------------------------------------

def test_regression_default_split_is_random(cli):
    run, tmp = cli
    _project(run, task="regression", target="price", objective="r2>=0.5")
    rng = np.random.default_rng(2)
    a = rng.normal(size=150)
    path = tmp / "prices.csv"
    path.write_text("a,b,price\n" + "".join(f"{x:.3f},{rng.normal():.3f},{50 + 30 * x + rng.normal():.2f}\n"
                                            for x in a))
    out = through_the_lifecycle(run, path)
    assert out["split"]["method"] == "random"
    code, _, err = run("data", "split", out["freeze"]["id"], "--method", "stratified")
    assert code == 2 and "'price' is a continuous number" in err and "'random' method" in err, err
    assert "np." not in err


def test_classification_default_split_stays_stratified(cli):
    run, tmp = cli
    _project(run)
    path = tmp / "c.csv"
    path.write_text("x,y\n" + "".join(f"{i % 7},{'yes' if i % 3 else 'no'}\n" for i in range(60)))
    code, ingested, _ = run("data", "ingest", path, "--project", "p")
    code, frozen, _ = run("data", "freeze", ingested["id"])
    code, split, err = run("data", "split", frozen["id"])
    assert code == 0 and split["method"] == "stratified", err


# -- 4. column names that differ only in case ---------------------------------------------

def test_case_twins_profiled_queried_and_trained(cli):
    run, tmp = cli
    _project(run)
    rng = np.random.default_rng(4)
    score = rng.normal(size=150)
    path = tmp / "twins.csv"
    path.write_text("score,SCORE,Age,age,y\n" + "".join(
        f"{rng.normal():.3f},{s:.3f},{rng.integers(20, 60)},{rng.integers(20, 60)},{'yes' if s > 0 else 'no'}\n"
        for s in score))
    out = through_the_lifecycle(run, path)
    profile = out["profile"]
    means = {c["name"]: c["mean"] for c in profile["columns"]}
    assert means["SCORE"] == pytest.approx(score.mean(), abs=1e-3) and means["score"] != means["SCORE"]
    assert [f["column"] for f in profile["findings"] if f["kind"] == "leakage"] == ["SCORE"]
    code, rows, err = run("data", "query", "--project", "p", "SELECT score, SCORE_2 FROM twins LIMIT 1")
    assert code == 0 and list(rows[0]) == ["score", "SCORE_2"], err
    code, _, err = run("data", "query", "--project", "p", "SELECT SCORE FROM twins")
    assert code == 2 and "SCORE is ambiguous" in err and "SCORE_2 for 'SCORE'" in err, err


# -- 3. nested and other exotic Arrow types -----------------------------------------------

def test_nested_parquet_runs_through_every_stage(cli):
    from tests.unit.test_profile import _exotic_table
    import pyarrow.parquet as pq

    run, tmp = cli
    _project(run, positive="a")
    table = _exotic_table(160)
    path = tmp / "nested.parquet"
    pq.write_table(table, path)
    out = through_the_lifecycle(run, path)
    kinds = {c["name"]: c["kind"] for c in out["profile"]["columns"]}
    assert kinds["tags"] == "nested" and kinds["raw"] == "binary"
    code, text, err = run("explain", out["register"]["version_id"], "--rows", "20", json_out=False)
    assert code == 0, err


def test_a_length_feature_of_a_list_column_trains(workspace, actors):
    from tests.unit.test_profile import _exotic_table, _parquet
    from lifecycle.data import datasets, preparation
    from lifecycle.data.recipe.compiler import DerivedColumn
    from lifecycle.develop import search
    from lifecycle.problem import projects
    import dataclasses

    analyst = actors["analyst"]
    project = projects.create_project(workspace, analyst, name="nested", task="binary", target="y",
                                      positive_class="a")
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, _parquet(_exotic_table(120)), "n.parquet")
    recipe = preparation.suggested_recipe(workspace, dataset, project)
    recipe = dataclasses.replace(recipe, derived=(DerivedColumn(name="n_tags", op="length", inputs=("tags",)),))
    saved = preparation.save_recipe(workspace, analyst, project.id, "with-length", recipe)
    frozen = preparation.freeze_dataset(workspace, analyst, dataset.id, saved.id)
    split = preparation.create_split(workspace, analyst, frozen.id)
    result = search.run_search(workspace, analyst, project_id=project.id, dataset_id=frozen.id, split_id=split.id,
                               algorithm="random_forest", method="none")
    assert result.runs[0].status == "finished", result.runs[0].error


# -- 6. metrics that are undefined --------------------------------------------------------

def test_three_positives_in_two_hundred_rows(cli):
    run, tmp = cli
    _project(run, objective="precision>=0.0")
    rng = np.random.default_rng(6)
    path = tmp / "rare.csv"
    path.write_text("a,b,y\n" + "".join(f"{rng.normal():.3f},{rng.normal():.3f},{'yes' if i in (5, 80, 150) else 'no'}\n"
                                        for i in range(200)))
    out = through_the_lifecycle(run, path, train=("--algorithm", "random_forest", "--folds", "2"))
    report = out["validate"]["report"]
    assert report["class_counts"] == {"0": 39, "1": 1}
    precision = report["metrics"]["precision"]
    assert precision["value"] is None and "undefined (0/0)" in precision["note"]
    assert "rests on 1 positive row(s)" in report["metrics"]["roc_auc"]["unreliable"]
    [verdict] = report["verdicts"]
    assert verdict["status"] == "fail" and "cannot pass" in verdict["reason"]
    assert not out["validate"]["passed"]
    code, text, _ = run("validate", out["register"]["version_id"], "--bootstrap", "20", json_out=False)
    assert code == 1 and "1 positive and 39 negative of 40 test rows" in text
    assert "precision >= 0: — — Cannot be computed, so it cannot pass: Precision" in text, text


# -- 2. numbers written for people --------------------------------------------------------

def _balances(tmp, name, rows, *, european=False):
    rng = np.random.default_rng(9)
    lines = ["id;balance;rate;y" if european else "id,balance,rate,y"]
    for i in range(rows):
        balance = rng.uniform(100, 20000)
        y = "yes" if balance > 10000 else "no"
        if european:  # 1.234,56 and 12,5%
            swap = str.maketrans(",.", ".,")
            lines.append(f'{i};"{f"{balance:,.2f}".translate(swap)}";"{f"{rng.uniform(0, 50):.1f}".translate(swap)}%";{y}')
        else:
            lines.append(f'{i},"{balance:,.2f}","{rng.uniform(0, 50):.1f}%",{y}')
    path = tmp / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_thousands_separators_detected_profiled_and_converted(cli):
    run, tmp = cli
    _project(run)
    out = through_the_lifecycle(run, _balances(tmp, "balances.csv", 150))
    columns = {c["name"]: c for c in out["profile"]["columns"]}
    assert columns["balance"]["number_format"] == "1,234.56" and columns["rate"]["number_format"] == "1,234.56"
    assert not any(f["kind"] == "id_like" and f["column"] == "balance" for f in out["profile"]["findings"])
    code, text, _ = run("data", "profile", out["ingest"]["id"], json_out=False)
    assert "balance: numbers stored as text (1,234.56)" in text
    assert out["validate"]["report"]["metrics"]["roc_auc"]["value"] > 0.9  # balance decides y: it was used


def test_cli_ingest_takes_the_convention_a_user_names(cli):
    run, tmp = cli
    _project(run)
    out = through_the_lifecycle(run, _balances(tmp, "european.csv", 150, european=True),
                                ingest=("--decimal", ",", "--thousands", "."))
    assert {c["name"]: c["dtype"] for c in out["profile"]["columns"]}["balance"] == "float"
    assert {c["name"]: c["dtype"] for c in out["profile"]["columns"]}["rate"] == "float"  # 12,5% read as 12.5
    assert out["validate"]["report"]["metrics"]["roc_auc"]["value"] > 0.9
