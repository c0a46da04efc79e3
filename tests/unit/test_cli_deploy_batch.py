"""``score`` and ``export-bundle`` from the command line: summary printed, exit 0, and 2 on bad input."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from lifecycle.cli import main
from lifecycle.deploy import bundle, vendoring
from tests.unit import deploy_model


@pytest.fixture(autouse=True)
def no_default_user(monkeypatch):
    monkeypatch.delenv("LIFECYCLE_USER", raising=False)
    monkeypatch.delenv("LIFECYCLE_WORKSPACE", raising=False)


@pytest.fixture
def model(workspace, actors, project):
    return deploy_model.register(workspace, actors["analyst"], project.id)


def run(capsys, workspace, *argv):
    code = main(["--workspace", str(workspace.path), *[str(a) for a in argv]])
    out, err = capsys.readouterr()
    return code, out, err


def test_score_prints_the_summary_and_writes_every_row(capsys, workspace, model, tmp_path):
    version, pipeline, inputs = model
    rows = inputs.head(10).astype(object)
    rows.loc[4, "city"] = "=west"
    source = tmp_path / "rows.csv"
    rows.to_csv(source, index=False)
    code, out, err = run(capsys, workspace, "--user", "analyst", "score", source, "--version", version.id,
                         "--out", tmp_path / "scored.csv")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Scored 9 of 10 rows of rows.csv with Churn {version.label}; 1 not scored."
    assert lines[1].startswith("Predictions: no ") and "yes" in lines[1]
    assert lines[2:4] == ["Not scored (1 rows, 1 values):",
                          "  row 4, column 'city': '=west' is not a category seen in training (known: north, south)"]
    assert lines[-1] == f"Wrote 10 rows to {tmp_path / 'scored.csv'} (csv)."
    written = pd.read_csv(tmp_path / "scored.csv")
    assert written.loc[4, "city"] == "'=west" and pd.isna(written.loc[4, "prediction"])
    assert written["not_scored_because"].notna().sum() == 1

    code, out, _ = run(capsys, workspace, "--user", "analyst", "--json", "score", source, "--version", version.id)
    data = json.loads(out)
    assert code == 0 and data["summary"]["refused"] == 1 and data["problems"][0]["row"] == 4 and data["out"] is None


@pytest.mark.parametrize("argv, message", [
    (["score", "{tmp}/nowhere.csv", "--version", "{id}"], "does not exist"),
    (["score", "{tmp}/rows.csv", "--version", "999"], "No model version with id 999"),
    (["score", "{tmp}/rows.csv", "--version", "{id}", "--out", "{tmp}/x.xlsx"], "End the output file name with"),
    (["score", "{tmp}/no_city.csv", "--version", "{id}"], "has no column 'city'"),
])
def test_score_bad_input_exits_2_with_one_line(capsys, workspace, model, tmp_path, argv, message):
    version, _, inputs = model
    inputs.to_csv(tmp_path / "rows.csv", index=False)
    inputs.drop(columns="city").to_csv(tmp_path / "no_city.csv", index=False)
    argv = [a.format(tmp=tmp_path, id=version.id) for a in argv]
    code, out, err = run(capsys, workspace, "--user", "analyst", *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and message in err, err
    assert not (tmp_path / "x.xlsx").exists()


def test_stakeholders_do_not_score(capsys, workspace, model, tmp_path):
    version, _, inputs = model
    inputs.to_csv(tmp_path / "rows.csv", index=False)
    code, _, err = run(capsys, workspace, "--user", "stakeholder", "score", tmp_path / "rows.csv",
                       "--version", version.id)
    assert code == 2 and "may not score files with a model version" in err


def test_export_bundle_writes_the_folder(capsys, workspace, model, tmp_path, monkeypatch):
    version, _, _ = model
    if vendoring.module_file(bundle.SERVICE_MODULE) is None:  # the service arrives from the serving branch
        monkeypatch.setattr(bundle, "SERVICE_MODULE", "lifecycle.deploy.scorer")
    code, out, err = run(capsys, workspace, "--user", "analyst", "export-bundle", version.id, tmp_path / "b")
    assert code == 0, err
    assert out.startswith(f"Wrote the bundle of model version {version.id} to {tmp_path / 'b'}")
    assert (tmp_path / "b" / "serve.py").is_file() and (tmp_path / "b" / "MODEL_CARD.md").is_file()
    code, _, err = run(capsys, workspace, "--user", "analyst", "export-bundle", version.id, tmp_path / "b")
    assert code == 2 and "already exists and is not an empty folder" in err
