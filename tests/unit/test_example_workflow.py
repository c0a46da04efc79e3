"""The example GitHub Actions workflow runs as written: its ``run:`` steps, in order, on a small CSV and a
fresh workspace, each with the exit code the gates promise (PyYAML is not installed: a small reader
of the workflow's ``env:`` and ``steps:`` is enough for this file)."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecycle.records import ModelState

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "github-actions.yml"
NEEDS_NETWORK = {"Install Lifecycle"}  # pip install: the test runs in this environment instead


def _value(text: str) -> str:
    text = re.sub(r"\s+#.*$", "", text.strip())
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" else text


def read_workflow(text: str) -> tuple[dict[str, str], list[tuple[str, str | None]]]:
    """The top-level ``env:`` and each step's (name, run script or None for a ``uses:`` step)."""
    lines = text.splitlines()
    env: dict[str, str] = {}
    start = lines.index("env:")
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break
        if line.strip() and not line.strip().startswith("#"):
            key, _, value = line.strip().partition(":")
            env[key] = _value(value)
    at = next(i for i, line in enumerate(lines) if line.strip() == "steps:")
    indent = None
    steps: list[list[str]] = []
    for line in lines[at + 1:]:
        match = re.match(r"^(\s*)- (.*)$", line)
        if match and (indent is None or len(match.group(1)) == indent):
            indent = len(match.group(1))
            steps.append([" " * (indent + 2) + match.group(2)])
        elif steps:
            steps[-1].append(line)
    found = []
    for step in steps:
        name, run = None, None
        for i, line in enumerate(step):
            key = re.match(r"^(\s*)(name|run):\s?(.*)$", line)
            if not key or len(key.group(1)) != indent + 2:
                continue
            if key.group(2) == "name":
                name = _value(key.group(3))
            elif key.group(3).strip() == "|":
                block = []
                for more in step[i + 1:]:
                    if more.strip() and len(more) - len(more.lstrip()) <= indent + 2:
                        break
                    block.append(more)
                run = textwrap.dedent("\n".join(block)).strip() + "\n"
            else:
                run = key.group(3).strip() + "\n"
        found.append((name or "", run))
    return env, found


def _customers(path: Path, rows: int = 400, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, rows)
    charges = rng.normal(70, 20, rows).round(2)
    score = -0.08 * tenure + 0.03 * (charges - 70) + rng.normal(0, 1.5, rows) + 2.0  # AUC about 0.85
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"tenure": tenure, "monthly_charges": charges, "gender": rng.choice(["female", "male"], rows),
                  "churned": np.where(score > 0, "yes", "no")}).to_csv(path, index=False)


def _run_steps(tmp_path: Path, **overrides: str):
    """Run the workflow's steps in order as Actions would (bash -eo pipefail, $GITHUB_ENV carried to later
    steps); yield (name, completed process) after each, stopping at the first failure as a job does."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "python"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    workdir = tmp_path / "repo"
    workflow_env, steps = read_workflow(WORKFLOW.read_text())
    _customers(workdir / workflow_env["DATA_FILE"])
    github_env = tmp_path / "github_env"
    github_env.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFECYCLE_")}
    env.update(workflow_env, **overrides, GITHUB_ENV=str(github_env), PYTHONPATH=str(ROOT),
               PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for name, script in steps:
        if script is None or name in NEEDS_NETWORK:
            continue
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workdir,
                              env=env, capture_output=True, text=True, timeout=600)
        for line in github_env.read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
        yield name, done
        if done.returncode != 0:
            return


def test_the_reader_finds_every_step():
    env, steps = read_workflow(WORKFLOW.read_text())
    assert env["LIFECYCLE_USER"] == "ci-bot" and env["OBJECTIVE"] == "roc_auc>=0.75"
    named = [name for name, run in steps if run is not None]
    assert named == ["Install Lifecycle", "Workspace and project (first run only)", "Ingest",
                     "Freeze a prepared version", "Split", "Train", "Register",
                     "Validate (exit 1 when a blocking objective fails)",
                     "Move to staging (exit 1 when the gate refuses)", "Export the serving bundle"]
    assert "if [ ! -f \"$LIFECYCLE_WORKSPACE\" ]; then" in dict(steps)["Workspace and project (first run only)"]


@pytest.mark.slow
def test_a_passing_model_reaches_staging(tmp_path):
    ran = []
    for name, done in _run_steps(tmp_path, ALGORITHM="linear", TRIALS="2"):
        ran.append(name)
        assert "Traceback" not in done.stderr, (name, done.stderr)
        if name.startswith("Move to staging") and (ModelState.VALIDATED, ModelState.STAGING) not in _transitions():
            pytest.xfail("staging needs validated: the promotion gate comes from the lead's branch")
        if name.startswith("Export") and not (ROOT / "lifecycle/deploy/service.py").exists():
            pytest.xfail("the bundle needs lifecycle/deploy/service.py from the serving branch")
        assert done.returncode == 0, f"{name}\n{done.stdout}\n{done.stderr}"
        if name.startswith("Validate"):
            assert done.stdout.startswith("Model v1") and "PASS" in done.stdout.splitlines()[0]
        if name.startswith("Move to staging"):
            assert done.stdout.strip().endswith("is now staging.")
    assert ran[-1] == "Export the serving bundle"
    assert list((tmp_path / "repo").glob("bundle-*/serve.py"))


@pytest.mark.slow
def test_a_failing_objective_stops_the_job_before_staging(tmp_path):
    ran = []
    for name, done in _run_steps(tmp_path, ALGORITHM="linear", TRIALS="2", OBJECTIVE="roc_auc>=0.99"):
        ran.append((name, done.returncode))
        assert "Traceback" not in done.stderr, (name, done.stderr)
    assert ran[-1] == ("Validate (exit 1 when a blocking objective fails)", 1)
    assert all(code == 0 for _, code in ran[:-1])


def _transitions():
    from lifecycle.models import states

    return states.TRANSITIONS
