"""The Develop and Validate commands, run headless as a CI pipeline would, gating on exit codes."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lifecycle.cli import main
from lifecycle.store.db import close_database


@pytest.fixture
def cli(tmp_path, capsys):
    workspace = tmp_path / "w.duckdb"

    def run(*argv: str, user: str | None = "ana") -> tuple[int, dict | str, str]:
        prefix = ["--workspace", str(workspace), "--json"] + (["--user", user] if user else [])
        code = main([*prefix, *argv])
        out, err = capsys.readouterr()
        try:
            return code, json.loads(out) if out.strip() else {}, err
        except json.JSONDecodeError:
            return code, out, err

    yield run, tmp_path
    close_database(workspace)


def _csv(path, rows=240, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    frame = pd.DataFrame({"x": x, "noise": rng.normal(size=rows), "group": rng.choice(["a", "b"], rows),
                          "y": np.where(x + rng.normal(scale=0.5, size=rows) > 0, "yes", "no")})
    frame.to_csv(path, index=False)
    return path


def test_train_register_validate_approve(cli):
    run, folder = cli
    assert run("workspace", "init", "--admin", "root", user=None)[0] == 0
    assert run("user", "add", "ana", "--role", "analyst", user="root")[0] == 0
    assert run("user", "add", "rey", "--role", "reviewer", user="root")[0] == 0
    assert run("project", "create", "churn", "--task", "binary", "--target", "y", "--positive-class", "yes",
               "--sensitive", "group", "--objective", "roc_auc>=0.7", "--risk-tier", "low",
               "--statement", "Who churns", "--intended-use", "Retention calls", "--out-of-scope", "Pricing")[0] == 0
    code, ingested, _ = run("data", "ingest", str(_csv(folder / "d.csv")), "--project", "churn")
    assert code == 0
    code, frozen, _ = run("data", "freeze", str(ingested["id"]))
    assert code == 0 and frozen["lineage"]["recipe_id"]
    code, split, _ = run("data", "split", str(frozen["id"]), "--test-size", "0.3")
    assert code == 0 and sum(split["counts"].values()) == 240

    code, trained, err = run("train", "--project", "churn", "--dataset", str(frozen["id"]), "--algorithm", "linear",
                             "--folds", "3")
    assert code == 0, err
    assert len(trained["runs"]) == 1 and trained["best_run_id"] == trained["runs"][0]["id"]
    code, listed, _ = run("runs", "list", "--project", "churn")
    assert code == 0 and listed["total"] == 1

    code, registered, _ = run("register", str(trained["best_run_id"]))
    assert code == 0 and registered["state"] == "candidate"
    code, validated, _ = run("validate", str(registered["version_id"]), "--bootstrap", "50")
    assert code == 0 and validated["passed"] and validated["state"] == "validated"
    assert [v["status"] for v in validated["report"]["verdicts"]] == ["pass"]

    code, _, err = run("approve", str(registered["version_id"]), user="ana")
    assert code == 2 and "Only a reviewer" in err and len(err.strip().splitlines()) == 1
    # approve is a sign-off: the low tier's blocking statement (risks accepted) is asked for first
    code, refused, _ = run("approve", str(registered["version_id"]), "--reason", "evidence read", user="rey")
    assert code == 1 and "Risks and mitigations accepted (risks_accepted)" in refused["refused"]
    code, approved, _ = run("approve", str(registered["version_id"]), "--reason", "evidence read", "--item",
                            "risks_accepted=accept:residual risk accepted", user="rey")
    assert code == 0 and approved["state"] == "approved" and approved["signoff"]["signer"] == "rey"


def test_validate_exits_1_when_a_blocking_objective_fails(cli):
    run, folder = cli
    run("workspace", "init", "--admin", "ana", user=None)
    run("project", "create", "hard", "--task", "binary", "--target", "y", "--positive-class", "yes",
        "--objective", "roc_auc>=0.999")
    _, ingested, _ = run("data", "ingest", str(_csv(folder / "d.csv")), "--project", "hard")
    _, frozen, _ = run("data", "freeze", str(ingested["id"]))
    run("data", "split", str(frozen["id"]))
    _, trained, _ = run("train", "--project", "hard", "--dataset", str(frozen["id"]), "--algorithm", "dummy",
                        "--folds", "2")
    _, registered, _ = run("register", str(trained["best_run_id"]))
    code, report, _ = run("validate", str(registered["version_id"]), "--bootstrap", "20")
    assert code == 1 and not report["passed"] and report["state"] == "candidate"


def test_train_on_an_unfrozen_dataset_says_what_to_do(cli):
    run, folder = cli
    run("workspace", "init", "--admin", "ana", user=None)
    run("project", "create", "raw", "--task", "binary", "--target", "y", "--positive-class", "yes")
    _, ingested, _ = run("data", "ingest", str(_csv(folder / "d.csv")), "--project", "raw")
    code, _, err = run("train", "--project", "raw", "--dataset", str(ingested["id"]), "--algorithm", "linear")
    assert code == 2 and "has no split" in err
