"""The scoring service through Starlette's test client: every route, MLflow's request shapes, the
traffic split and shadow, reloads and refusals, and every bad input the Deploy issue lists."""
from __future__ import annotations

import io
import json
import logging
import math

import numpy as np
import pytest
from starlette.testclient import TestClient

from lifecycle.deploy.manifest import FILE_NAME
from lifecycle.deploy.rows import RowChecker
from lifecycle.deploy.schema import check_strict, frame_from_records
from lifecycle.deploy.service import create_app, serve
from lifecycle.deploy.settings import ServeSettings
from lifecycle.store.prediction_log import feedback_rows, inputs_frame, prediction_rows
from tests.unit.deploy_fixtures import deploy, register, rows


@pytest.fixture
def model(workspace, actors):
    return register(workspace, actors["analyst"])


@pytest.fixture
def setup(model, tmp_path):
    entry, pipeline, X = model
    deploy(tmp_path / "deploy", entry)
    return tmp_path / "deploy", tmp_path / "logs", entry, pipeline, X


def _client(folder, logs, **settings):
    app = create_app(folder, logs, settings=ServeSettings(flush_rows=10_000, flush_seconds=60, **settings), watch=False)
    return TestClient(app), app


def _service(app):
    return (app.app if hasattr(app, "expected") else app).state.service


def test_predict_answers_predictions_probabilities_the_version_and_a_request_id(setup):
    folder, logs, entry, pipeline, X = setup
    client, _ = _client(folder, logs)
    with client:
        one = client.post("/predict", json=rows(X, 1)[0], headers={"X-Request-Id": "abc-1"})
        assert one.status_code == 200, one.text
        body = one.json()
        assert body["request_id"] == "abc-1" and one.headers["x-request-id"] == "abc-1"
        assert body["version_id"] == entry.version_id and body["model"] == entry.label
        assert body["predictions"] == list(pipeline.predict(X.head(1)))
        assert body["classes"] == ["no", "yes"]
        np.testing.assert_allclose([p["yes"] for p in body["probabilities"]], pipeline.predict_proba(X.head(1))[:, 1])

        batch = client.post("/predict", json=rows(X, 30))
        assert batch.status_code == 200
        assert batch.json()["predictions"] == list(pipeline.predict(X.head(30)))
        assert len(batch.json()["request_id"]) == 32  # generated when the client sends none


def test_invocations_speaks_every_shape_an_mlflow_client_sends(setup):
    folder, logs, _, pipeline, X = setup
    expected = list(pipeline.predict(X.head(5)))
    records = rows(X, 5)
    columns = list(X.columns)
    bodies = {
        "dataframe_split": {"dataframe_split": {"columns": columns, "data": [[r[c] for c in columns] for r in records]}},
        "dataframe_split with index": {"dataframe_split": {"index": list(range(5)), "columns": columns,
                                                           "data": [[r[c] for c in columns] for r in records]}},
        "dataframe_records": {"dataframe_records": records},
        "instances": {"instances": records},
        "inputs as columns": {"inputs": {c: [r[c] for r in records] for c in columns}},
        "inputs as lists": {"inputs": [[r[c] for c in columns] for r in records], "params": {}},
    }
    client, _ = _client(folder, logs)
    with client:
        for name, body in bodies.items():
            answer = client.post("/invocations", content=json.dumps(body),
                                 headers={"Content-Type": "application/json"})
            assert answer.status_code == 200, (name, answer.text)
            assert answer.json() == {"predictions": expected}, name
        csv = io.StringIO()
        X.head(5).to_csv(csv, index=False)
        answer = client.post("/invocations", content=csv.getvalue(), headers={"Content-Type": "text/csv"})
        assert answer.json() == {"predictions": expected}
        one = client.post("/invocations", json={"dataframe_records": records[:1]})
        assert one.json() == {"predictions": expected[:1]}


@pytest.mark.parametrize("body", [{}, {"rows": []}, {"dataframe_records": [], "instances": []},
                                  {"dataframe_records": [{"age": 1}], "extra": 1}, [1, 2]])
def test_invocations_refuses_anything_else_naming_the_accepted_keys(setup, body):
    folder, logs, *_ = setup
    client, _ = _client(folder, logs)
    with client:
        answer = client.post("/invocations", json=body)
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "BAD_REQUEST"
    assert "exactly one of 'dataframe_split', 'dataframe_records', 'instances', 'inputs'" in answer.json()["message"]


def _bad_requests(X):
    good = rows(X, 2)
    return {
        "malformed JSON": (dict(content=b'{"age": 3,', headers={"Content-Type": "application/json"}), 400,
                           "not valid JSON"),
        "empty body": (dict(content=b"", headers={"Content-Type": "application/json"}), 400, "body is empty"),
        "empty batch": (dict(json=[]), 400, "batch is empty"),
        "wrong content type": (dict(content=b"age=3", headers={"Content-Type": "application/x-www-form-urlencoded"}),
                               415, "application/json"),
        "NaN where forbidden": (dict(content=json.dumps([good[0], dict(good[1], age=math.nan)]).encode(),
                                     headers={"Content-Type": "application/json"}), 422,
                                "row 1, column 'age': is empty"),
        "unknown category": (dict(json=[dict(good[0], city="west")]), 422,
                             "row 0, column 'city': 'west' is not a category seen in training"),
        "wrong type": (dict(json=dict(good[0], hours="long")), 422, "row 0, column 'hours': 'long' is not a number"),
        "missing column": (dict(json={"age": 30, "hours": 40}), 422, "column 'city': the column is missing"),
        "not a row": (dict(json=[good[0], 5]), 400, "Row 1 is not an object"),
        "over the row limit": (dict(json=rows(X, 12)), 413, "over the limit of 10 (LIFECYCLE_SERVE_MAX_ROWS)"),
        "over the size limit": (dict(content=b"[" + b" " * 3000 + b"]", headers={"Content-Type": "application/json"}),
                                413, "over the limit of 0.00238419 MB (LIFECYCLE_SERVE_MAX_BODY_MB)"),
    }


@pytest.mark.parametrize("case", [
    "malformed JSON", "empty body", "empty batch", "wrong content type", "NaN where forbidden", "unknown category",
    "wrong type", "missing column", "not a row", "over the row limit", "over the size limit"])
def test_bad_input_is_a_4xx_that_says_what_is_wrong(setup, case):
    folder, logs, _, _, X = setup
    request, status, says = _bad_requests(X)[case]
    client, app = _client(folder, logs, max_rows=10, max_body_bytes=2500)
    with client:
        answer = client.post("/predict", **request)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"]
    if status == 422:
        assert answer.json()["problems"][0]["column"] in says


def test_a_bad_row_on_invocations_is_mlflows_400_naming_row_and_column(setup):
    folder, logs, _, _, X = setup
    client, _ = _client(folder, logs)
    with client:
        answer = client.post("/invocations", json={"dataframe_records": [dict(rows(X, 1)[0], age=None)]})
    assert answer.status_code == 400
    assert "row 0, column 'age': is empty" in answer.json()["message"]
    assert answer.json()["problems"] == [{"row": 0, "column": "age", "problem": answer.json()["problems"][0]["problem"]}]


def test_the_fast_row_check_gives_what_the_full_check_gives(setup):
    _, _, entry, pipeline, X = setup
    checker = RowChecker(entry.input_schema)
    plain = rows(X, 20)
    assert all(checker.fast(r) is not None for r in plain)
    odd = [dict(plain[0], age=str(plain[0]["age"])), dict(plain[1], hours=True), dict(plain[2], age=40.0),
           dict(plain[3], hours=None, extra="ignored")]
    assert checker.fast(odd[0]) is None and checker.fast(odd[1]) is None
    for batch in (plain, odd):
        fast = checker.frame(checker.check(batch))
        full = check_strict(entry.input_schema, frame_from_records(batch))
        assert fast.dtypes.to_dict() == full.dtypes.to_dict()
        np.testing.assert_array_equal(pipeline.predict_proba(fast), pipeline.predict_proba(full))


def test_feedback_metadata_ping_health_and_version(setup):
    folder, logs, entry, _, X = setup
    client, app = _client(folder, logs)
    with client:
        scored = client.post("/predict", json=rows(X, 1)[0]).json()
        assert client.post("/feedback", json={"request_id": scored["request_id"], "label": "yes"}).json() == {
            "recorded": 1}
        assert client.post("/feedback", json=[{"request_id": "a", "label": "no", "row": 2}]).json()["recorded"] == 1
        assert client.post("/feedback", json={"label": "no"}).status_code == 400
        assert client.post("/feedback", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
        meta = client.get("/metadata").json()
        assert meta["versions"][0]["artifact_hash"] == entry.artifact_hash
        assert [c["name"] for c in meta["versions"][0]["input_schema"]] == ["age", "hours", "city"]
        assert meta["task"] == "binary" and meta["shadow"] is None
        assert client.get("/ping").status_code == 200
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["serving"][0]["version_id"] == entry.version_id
        assert client.get("/version").json()["service"] == "lifecycle-scoring"
    feedback, _ = feedback_rows(logs / "feedback")
    assert [(r.request_id, json.loads(r.label), r.row) for r in feedback.itertuples()] == [
        (scored["request_id"], "yes", 0), ("a", "no", 2)]


def test_every_request_is_logged_with_inputs_outputs_latency_and_status(setup):
    folder, logs, entry, pipeline, X = setup
    client, _ = _client(folder, logs)
    with client:
        client.post("/predict", json=rows(X, 3), headers={"X-Request-Id": "batch"})
        client.post("/predict", json=[dict(rows(X, 1)[0], city="west")], headers={"X-Request-Id": "bad"})
        client.post("/predict", json=[dict(rows(X, 1)[0], sex="F")], headers={"X-Request-Id": "extra"})
    logged, found = prediction_rows(logs / "predictions")
    assert found.skipped == ()
    batch = logged[logged.request_id == "batch"]
    assert list(batch["row"]) == [0, 1, 2] and set(batch["status"]) == {200}
    inputs = inputs_frame(batch)  # one typed column per input of the schema (deploy.log_inputs)
    assert inputs.astype(object).where(inputs.notna(), None).to_dict("records") == rows(X, 3)
    assert batch["inputs"].isna().all() and {f"input:{c.name}" for c in entry.input_schema} <= set(logged.columns)
    extra = logged[logged.request_id == "extra"]
    assert json.loads(extra["inputs"].iloc[0]) == {"sex": "F"}  # a key the schema does not name stays JSON
    assert [json.loads(t) for t in batch["prediction"]] == list(pipeline.predict(X.head(3)))
    assert json.loads(batch["outputs"].iloc[0]).keys() == {"no", "yes"}
    assert (batch["latency_ms"] > 0).all() and set(batch["version_id"]) == {entry.version_id}
    bad = logged[logged.request_id == "bad"].iloc[0]
    assert bad.status == 422 and "'west' is not a category" in bad.error


def test_traffic_is_split_by_share_deterministically_and_the_shadow_scores_without_answering(workspace, actors,
                                                                                          tmp_path):
    first, _, X = register(workspace, actors["analyst"], C=1.0)
    second, _, _ = register(workspace, actors["analyst"], C=0.01)
    third, _, _ = register(workspace, actors["analyst"], C=0.1)
    folder = tmp_path / "deploy"
    deploy(folder, first.__class__(**{**first.__dict__, "share": 0.7}),
           second.__class__(**{**second.__dict__, "share": 0.3}),
           shadow=third.__class__(**{**third.__dict__, "share": 0.0}))
    client, _ = _client(folder, tmp_path / "logs")
    row = rows(X, 1)[0]
    with client:
        answered = {i: client.post("/predict", json=row, headers={"X-Request-Id": f"r{i}"}).json()["version_id"]
                    for i in range(200)}
        again = {i: client.post("/predict", json=row, headers={"X-Request-Id": f"r{i}"}).json()["version_id"]
                 for i in range(50)}
    assert all(answered[i] == again[i] for i in again)
    share = sum(v == first.version_id for v in answered.values()) / len(answered)
    assert 0.55 < share < 0.85
    assert third.version_id not in answered.values()
    logged, _ = prediction_rows(tmp_path / "logs" / "predictions", role=None)
    shadow = logged[logged.role == "shadow"]
    assert set(shadow.version_id) == {third.version_id} and len(shadow) == 250 and set(shadow.status) == {200}


def test_a_new_manifest_is_picked_up_without_a_restart(setup, workspace, actors):
    folder, logs, entry, _, X = setup
    second, pipeline2, _ = register(workspace, actors["analyst"], C=0.01)
    client, app = _client(folder, logs)
    with client:
        assert client.post("/predict", json=rows(X, 1)[0]).json()["version_id"] == entry.version_id
        deploy(folder, second)
        assert _service(app).deployment.refresh()
        answer = client.post("/predict", json=rows(X, 1)[0]).json()
        assert answer["version_id"] == second.version_id
        np.testing.assert_allclose(answer["probabilities"][0]["yes"], pipeline2.predict_proba(X.head(1))[0, 1])
        assert client.get("/metadata").json()["generation"] == 2


def test_a_changed_model_file_is_refused_and_the_previous_version_keeps_serving(setup, workspace, actors, caplog):
    folder, logs, entry, _, X = setup
    second, _, _ = register(workspace, actors["analyst"], C=0.01)
    client, app = _client(folder, logs)
    with client, caplog.at_level(logging.WARNING, logger="lifecycle.deploy.service"):
        path = folder / second.artifact
        path.write_bytes(path.read_bytes() + b"tampered")
        deploy(folder, second)
        assert not _service(app).deployment.refresh()
        assert client.post("/predict", json=rows(X, 1)[0]).json()["version_id"] == entry.version_id
        health = client.get("/health").json()
        assert "changed after it was registered" in health["reason"] and health["status"] == "ok"
    assert "changed after it was registered" in caplog.text and "still serving v1" in caplog.text


def test_an_unknown_version_in_the_manifest_is_refused_with_a_logged_reason(setup, caplog):
    folder, logs, entry, _, X = setup
    client, app = _client(folder, logs)
    ghost = entry.__class__(**{**entry.__dict__, "version_id": 99, "version": 9, "artifact": "models/ghost.skops"})
    with client, caplog.at_level(logging.WARNING, logger="lifecycle.deploy.service"):
        deploy(folder, ghost)
        assert not _service(app).deployment.refresh()
        assert client.post("/predict", json=rows(X, 1)[0]).json()["version_id"] == entry.version_id
    assert "v9 (#99) is missing" in caplog.text


def test_a_half_written_manifest_is_never_read(setup):
    folder, logs, entry, _, X = setup
    client, app = _client(folder, logs)
    whole = (folder / FILE_NAME).read_text()
    with client:
        (folder / ".manifest-x.partial").write_text(whole[: len(whole) // 2])  # a writer that died mid-way
        assert not _service(app).deployment.refresh()
        (folder / FILE_NAME).write_text(whole[: len(whole) // 2])  # someone bypassing the atomic write
        assert not _service(app).deployment.refresh()
        assert "cannot be read" in client.get("/health").json()["reason"]
        assert client.post("/predict", json=rows(X, 1)[0]).json()["version_id"] == entry.version_id


def test_without_a_manifest_the_service_says_so_and_answers_503(tmp_path):
    client, _ = _client(tmp_path / "deploy", tmp_path / "logs")
    with client:
        health = client.get("/health")
        assert health.status_code == 503 and "No deployment manifest" in health.json()["reason"]
        assert client.post("/predict", json={"age": 1}).status_code == 503
        assert client.get("/ping").status_code == 503


def test_a_token_guards_every_route_but_health(setup):
    folder, logs, _, _, X = setup
    client, _ = _client(folder, logs, token="s3cret")
    with client:
        assert client.get("/health").status_code == 200
        refused = client.post("/predict", json=rows(X, 1)[0])
        assert refused.status_code == 401 and "Authorization: Bearer" in refused.json()["error"]
        assert client.get("/metadata", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.post("/predict", json=rows(X, 1)[0],
                           headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_bound_beyond_loopback_it_refuses_to_start_without_a_token(tmp_path):
    with pytest.raises(PermissionError, match="LIFECYCLE_SERVE_TOKEN"):
        serve(tmp_path, None, host="0.0.0.0", port=1, settings=ServeSettings())


def test_one_model_pass_gives_what_predict_gives_ties_included(setup):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    from lifecycle.deploy.live import predict
    from lifecycle.deploy.scorer import LoadedVersion

    _, _, entry, pipeline, X = setup
    y = np.where(X["age"] > 45, "yes", "no")
    trees = Pipeline([("recipe", pipeline[0]), ("model", HistGradientBoostingClassifier(max_iter=5))]).fit(X, y)
    rows_ = RowChecker(entry.input_schema)
    frame = rows_.frame(rows_.check(rows(X, 40)))
    for fitted in (pipeline, trees):
        loaded = LoadedVersion(served=entry, pipeline=fitted, task="binary", classes=("no", "yes"))
        answered = predict(loaded, frame)
        assert [p for p, _ in answered] == list(fitted.predict(frame))
        np.testing.assert_array_equal([q for _, q in answered], fitted.predict_proba(frame))
    balanced = np.array(["no", "yes"] * (len(X) // 2))  # the prior is one half: with a vanishing step, all tie
    flat = Pipeline([("recipe", pipeline[0]), ("model", HistGradientBoostingClassifier(max_iter=1,
                                                                                     learning_rate=1e-300))])
    flat.fit(X, balanced)
    assert (flat.predict_proba(frame)[:, 1] == 0.5).all()
    loaded = LoadedVersion(served=entry, pipeline=flat, task="binary", classes=("no", "yes"))
    assert [p for p, _ in predict(loaded, frame)] == list(flat.predict(frame))
