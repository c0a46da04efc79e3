"""The model card a bundle carries (Markdown): what the model is, what it is for and not for, the
data it learnt from, how it did on held-out data (metrics with intervals, the verdict on every
objective), its fairness review, the rows it takes, and how to run it.

Everything is read from the record (stage 1's project, the run, the stored validation and
fairness evidence); nothing is computed again. User text is shown with HTML escaped.
"""
from __future__ import annotations

import html
import json
from typing import Any

from lifecycle import evidence
from lifecycle.clock import utc_now
from lifecycle.data import datasets
from lifecycle.errors import NotFound
from lifecycle.records import ModelVersion, Project
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

MAX_CATEGORIES = 12  # categories listed per column in the schema table


def model_card(workspace: Workspace, version: ModelVersion, project: Project, *, port: int = 8080,
               exported_by: str = "") -> str:
    """The card of ``version`` of ``project`` as Markdown."""
    parts = [_header(workspace, version, project, exported_by), _uses(project), _data(workspace, version),
             _validation(workspace, version), _fairness(workspace, version), _schema(version),
             _how_to_run(version, port)]
    return "\n\n".join(p.strip() for p in parts if p) + "\n"


def _t(value: Any) -> str:
    """User text in Markdown: HTML escaped, table bars escaped, one line."""
    return html.escape(" ".join(str(value).split()), quote=False).replace("|", "\\|")


def _number(value: Any) -> str:
    return "—" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def _interval(low: Any, high: Any) -> str:
    return "" if low is None or high is None else f"[{_number(low)}, {_number(high)}]"


def _run(workspace: Workspace, version: ModelVersion):
    from lifecycle.develop import training  # scikit-learn's model zoo: only the card needs the run

    try:
        return training.get_run(workspace, version.run_id)
    except NotFound:
        return None


def _header(workspace: Workspace, version: ModelVersion, project: Project, exported_by: str) -> str:
    run = _run(workspace, version)
    trained = (f"{_t(run.algorithm)} (run #{run.id}, seed {run.seed}, parameters `{_t(json.dumps(run.params))}`)"
               if run is not None else f"run #{version.run_id} (not on record in this workspace)")
    state_note = "" if version.state in ("approved", "staging", "production") else (
        f"\n\n> **Not approved for production**: this version is *{version.state}*; it has not passed the "
        "reviewer's sign-off. Use it for testing only.")
    return f"""# Model card: {_t(project.name)} v{version.version}

| | |
|---|---|
| Model | {_t(project.name)} v{version.version} (model version #{version.id}) |
| State when exported | {version.state} |
| Task | {project.task}, target `{_t(project.target)}`{f", positive class `{_t(project.positive_class)}`" if project.positive_class else ""} |
| Trained | {trained}, by {_t(version.trained_by)} |
| Registered | {version.created_at:%Y-%m-%d %H:%M} UTC by {_t(version.created_by)} |
| Artifact | skops, SHA-256 `{version.artifact_hash}` |
| Owner, risk tier | {_t(project.owner) or "—"}, {_t(project.risk_tier) or "—"} |
| Exported | {utc_now():%Y-%m-%d %H:%M} UTC{f" by {_t(exported_by)}" if exported_by else ""} |{state_note}"""


def _uses(project: Project) -> str:
    return f"""## Intended use

{_t(project.statement) or "_No problem statement recorded._"}

{_t(project.intended_use) or "_No intended use recorded in stage 1 (Problem)._"}

## Out-of-scope use

{_t(project.out_of_scope) or "_No out-of-scope use recorded in stage 1 (Problem)._"}

Sensitive attributes declared: {", ".join(f"`{_t(s)}`" for s in project.sensitive) or "none"}."""


def _data(workspace: Workspace, version: ModelVersion) -> str:
    run = _run(workspace, version)
    if run is None:
        return "## Data\n\n_The run that trained this version is not on record, so its data version is unknown._"
    try:
        dataset = datasets.get_dataset(workspace, run.dataset_id)
    except NotFound:
        return f"## Data\n\nDataset version #{run.dataset_id} (no longer on record), split #{run.split_id}."
    return (f"## Data\n\nTrained on dataset **{_t(dataset.name)} v{dataset.version}** (#{dataset.id}, "
            f"{dataset.rows:,} rows, content SHA-256 `{dataset.content_hash}`), split #{run.split_id}, "
            f"{run.n_samples:,} training rows, {run.cv_folds}-fold cross-validation.")


def _validation(workspace: Workspace, version: ModelVersion) -> str:
    stored = model_store.latest_validation(workspace.db.cursor(), version.id)
    if stored is None:
        return "## Validation\n\n**Not validated.** No held-out evaluation is on record for this version."
    report = stored.report
    verdict = "PASS: every blocking objective passes" if stored.passed else (
        "FAIL: blocking objective(s) not met: " + ", ".join(_t(o) for o in stored.failing_blocking_objectives))
    lines = [f"## Validation\n\nReport #{stored.id}, {stored.created_at:%Y-%m-%d %H:%M} UTC by "
             f"{_t(stored.created_by)}, on {report.get('n_test', '?')} held-out test rows "
             f"({report.get('n_bootstrap', '?')} bootstrap resamples, seed {report.get('seed', '?')}). "
             f"**{verdict}.**", "", "| Metric | Value | 95% interval |", "|---|---|---|"]
    for name, estimate in (report.get("metrics") or {}).items():
        estimate = estimate or {}
        lines.append(f"| {_t(name)} | {_number(estimate.get('value'))} | "
                     f"{_interval(estimate.get('low'), estimate.get('high'))} |")
    verdicts = report.get("verdicts") or []
    if verdicts:
        lines += ["", "| Objective | Kind | Blocking | Value | 95% interval | Verdict |", "|---|---|---|---|---|---|"]
        for v in verdicts:
            lines.append(f"| {_t(v.get('objective'))} | {_t(v.get('kind'))} | {'yes' if v.get('blocking') else 'no'} "
                         f"| {_number(v.get('value'))} | {_interval(v.get('low'), v.get('high'))} "
                         f"| {_t(v.get('status'))} |")
    if report.get("decision_threshold") is not None:
        lines += ["", f"Decisions use the probability threshold {report['decision_threshold']:.3f}."]
    return "\n".join(lines)


def _fairness(workspace: Workspace, version: ModelVersion) -> str:
    found = evidence.latest(workspace, version.id, "fairness")
    if found is None:
        return "## Fairness\n\n_No fairness review is stored for this version._"
    lines = [f"## Fairness\n\nEvidence #{found.id}, {found.created_at:%Y-%m-%d %H:%M} UTC by {_t(found.created_by)}: "
             f"{_t(found.summary)}", "", "| Grouping | Measure | Value | 95% interval |", "|---|---|---|---|"]
    for grouping in found.payload.get("groupings") or []:
        for disparity in grouping.get("disparities") or []:
            lines.append(f"| {_t(grouping.get('name'))} | {_t(disparity.get('metric'))} | "
                         f"{_number(disparity.get('value'))} | "
                         f"{_interval(disparity.get('low'), disparity.get('high'))} |")
    return "\n".join(lines)


def _schema(version: ModelVersion) -> str:
    lines = ["## Input schema\n\nEach row must carry these columns (others are ignored). A row that does not "
             "fit is refused with its row and column named.", "",
             "| Column | Type | Treated as | May be empty | Categories seen in training |", "|---|---|---|---|---|"]
    for column in version.input_schema:
        shown = ", ".join(f"`{_t(c)}`" for c in column.categories[:MAX_CATEGORIES])
        more = f" … ({len(column.categories)} in all)" if len(column.categories) > MAX_CATEGORIES else ""
        lines.append(f"| `{_t(column.name)}` | {column.dtype} | {column.kind} | {'yes' if column.nullable else 'no'} "
                     f"| {shown}{more} |")
    return "\n".join(lines)


def example_row(version: ModelVersion) -> dict[str, Any]:
    """One row that fits the schema (a category seen in training, 0 for a number), for the examples."""
    row: dict[str, Any] = {}
    for column in version.input_schema:
        if column.categories:
            row[column.name] = column.categories[0]
        elif column.kind == "numeric" or column.dtype in ("integer", "float", "boolean"):
            row[column.name] = 0
        else:
            row[column.name] = ""
    return row


def _how_to_run(version: ModelVersion, port: int) -> str:
    row = example_row(version)
    body = json.dumps({"dataframe_split": {"columns": list(row), "data": [list(row.values())]}})
    quoted = "'" + body.replace("'", "'\\''") + "'"  # one shell word
    return f"""## How to run

With Docker (the image runs as a non-root user; bound to all interfaces it needs a token):

```bash
docker build -t model-v{version.version} .
docker run --rm -p {port}:{port} -e LIFECYCLE_SERVE_TOKEN=change-me model-v{version.version}
```

Without Docker (Python 3.11):

```bash
python -m venv .venv && .venv/bin/pip install -r requirements.txt
.venv/bin/python serve.py --port {port}        # 127.0.0.1 unless --host says otherwise
```

Score a row (MLflow's scoring protocol; `/predict` also returns probabilities):

```bash
curl -s http://127.0.0.1:{port}/health
curl -s http://127.0.0.1:{port}/invocations -H 'Content-Type: application/json' \\
     -H 'Authorization: Bearer change-me' -d {quoted}
```

Predictions are logged as Parquet segments under `logs/` (or `$LIFECYCLE_LOG_DIR`)."""
