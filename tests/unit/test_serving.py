"""Serving a workspace's projects from the app: start (a real process on a free port), the sample
request the page shows answered by it, stop; and serving everything in production at once."""
from __future__ import annotations

import json
import urllib.request

import pytest

from lifecycle import audit
from lifecycle.deploy import promotion, serving
from lifecycle.errors import InputError, PermissionDenied
from tests.unit.test_promotion import _ready


def test_start_answer_and_stop_a_project_service(workspace, actors, project):
    analyst = actors["analyst"]
    with pytest.raises(InputError, match="is in production, so there is nothing to serve"):
        serving.start(workspace, analyst, project)
    version = _ready(workspace, actors)
    promotion.move(workspace, analyst, version.id, "production", "release")
    with pytest.raises(PermissionDenied):
        serving.start(workspace, actors["stakeholder"], project)
    started = serving.start(workspace, analyst, project)
    try:
        assert started.running and started.healthy and started.url.startswith("http://127.0.0.1:")
        body = json.dumps(serving.sample_request(workspace, project)).encode()
        request = urllib.request.Request(f"{started.url}/invocations", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert len(json.loads(response.read())["predictions"]) == 1
        assert serving.start(workspace, analyst, project).pid == started.pid  # already running: the same one
    finally:
        assert serving.stop(workspace, analyst, project)
    assert not serving.status(workspace, project).running
    actions = [e.action for e in audit.recent_events(workspace, limit=2)]
    assert actions == ["deployment.service_started", "deployment.service_stopped"]


def test_serve_production_starts_what_is_live_and_says_why_not_otherwise(workspace, actors, project):
    version = _ready(workspace, actors)
    promotion.move(workspace, actors["analyst"], version.id, "production", "release")
    outcome = serving.serve_production(workspace)
    try:
        assert list(outcome) == [project.name] and outcome[project.name].healthy
    finally:
        serving.stop(workspace, actors["analyst"], project)


def test_answers_name_the_target_classes_not_their_codes(workspace, actors, project, tmp_path):
    """A binary model is trained on 1 = the positive class: the service, /metadata and batch scoring
    answer with the target's labels ('yes'/'no'), the probabilities keyed by them."""
    import pandas as pd
    from starlette.testclient import TestClient

    from lifecycle.data import datasets
    from lifecycle.deploy import batch
    from lifecycle.deploy.labels import class_labels
    from lifecycle.deploy.paths import deploy_dir
    from lifecycle.deploy.service import create_app

    datasets.ingest_bytes(workspace, actors["analyst"], project.id, b"x,y\n1,yes\n2,no\n3,no\n", "labels.csv")
    assert class_labels(workspace, project) == {"0": "no", "1": "yes"}
    version = _ready(workspace, actors)
    promotion.move(workspace, actors["analyst"], version.id, "production", "release")
    manifest = promotion.manifest_for(workspace, project.id)
    assert manifest.class_labels == {"0": "no", "1": "yes"}
    row = serving.sample_request(workspace, project)["dataframe_records"][0]
    with TestClient(create_app(deploy_dir(workspace.path, project.id), None)) as client:
        answer = client.post("/predict", json=row).json()
        assert answer["classes"] == ["no", "yes"] and set(answer["probabilities"][0]) == {"no", "yes"}
        assert answer["predictions"][0] in ("no", "yes")
        assert client.post("/invocations", json={"dataframe_records": [row]}).json()["predictions"][0] in ("no", "yes")
        assert client.get("/metadata").json()["versions"][0]["classes"] == ["no", "yes"]
    scored = batch.score_bytes(workspace, actors["analyst"], version.id, pd.DataFrame([row]).to_csv(index=False).encode(),
                               "rows.csv")
    assert {"probability_no", "probability_yes"} <= set(scored.frame.columns)
    assert scored.frame["prediction"].iloc[0] in ("no", "yes")
