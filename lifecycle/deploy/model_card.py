"""What the model card says about serving a version (its "How to Get Started" section): an example
row that fits the input schema, the request that scores it, and the commands that run an exported
bundle. The card itself is the Govern stage's (``lifecycle.govern.card``), one card for the app,
the documentation pack and the bundle; the bundle's caller passes it in."""
from __future__ import annotations

import json
from typing import Any

from lifecycle.records import ModelVersion


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


def example_request(version: ModelVersion) -> str:
    """The JSON body of a one-row scoring request (MLflow's ``dataframe_split``)."""
    row = example_row(version)
    return json.dumps({"dataframe_split": {"columns": list(row), "data": [list(row.values())]}})


def bundle_commands(version: ModelVersion, port: int) -> tuple[tuple[str, str], ...]:
    """(what it does, shell commands) to run an exported bundle and score the example row."""
    quoted = "'" + example_request(version).replace("'", "'\\''") + "'"  # one shell word
    return (
        ("With Docker (the image runs as a non-root user; bound to all interfaces it needs a token):",
         f"docker build -t model-v{version.version} .\n"
         f"docker run --rm -p {port}:{port} -e LIFECYCLE_SERVE_TOKEN=change-me model-v{version.version}"),
        ("Without Docker (Python 3.11):",
         "python -m venv .venv && .venv/bin/pip install -r requirements.txt\n"
         f".venv/bin/python serve.py --port {port}        # 127.0.0.1 unless --host says otherwise"),
        ("Score a row (MLflow's scoring protocol; /predict also returns probabilities). Predictions are logged "
         "as Parquet segments under logs/ (or $LIFECYCLE_LOG_DIR):",
         f"curl -s http://127.0.0.1:{port}/health\n"
         f"curl -s http://127.0.0.1:{port}/invocations -H 'Content-Type: application/json' \\\n"
         f"     -H 'Authorization: Bearer change-me' -d {quoted}"),
    )
