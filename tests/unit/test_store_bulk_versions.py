"""Model versions written in bulk (the scale bench's builder) read back as one at a time would: each
project's numbers go on from its newest, every one a candidate with its input schema."""
from __future__ import annotations

from lifecycle.records import InputColumn, ModelState
from lifecycle.store import models as model_store

SCHEMA = (InputColumn(name="age", dtype="integer", kind="numeric", nullable=False),
          InputColumn(name="city", dtype="string", kind="categorical", categories=("north", "south")))


def test_bulk_versions_number_on_per_project_and_read_back_whole(workspace, actors, project):
    cursor = workspace.db.cursor()
    first = model_store.insert_version(cursor, project_id=project.id, run_id=1, artifact_hash="a" * 64,
                                       input_schema=SCHEMA, trained_by="analyst", created_by="analyst")
    fields = dict(artifact_hash="b" * 64, input_schema=SCHEMA, trained_by="analyst", created_by="analyst")
    ids = model_store.insert_versions(cursor, [dict(project_id=project.id, run_id=2, **fields),
                                               dict(project_id=project.id + 1, run_id=3, **fields),
                                               dict(project_id=project.id, run_id=4, **fields)])
    assert len(ids) == 3 and ids == sorted(ids) and first.id < ids[0]
    mine = model_store.versions_for(cursor, project.id)
    assert [(v.version, v.run_id) for v in mine] == [(1, 1), (2, 2), (3, 4)]
    assert all(v.state == ModelState.CANDIDATE and v.input_schema == SCHEMA for v in mine)
    assert [v.version for v in model_store.versions_for(cursor, project.id + 1)] == [1]
    assert model_store.insert_versions(cursor, []) == []
    latest = model_store.latest_validations(cursor, [v.id for v in mine])
    assert latest == {}
    report = model_store.insert_validation(cursor, model_version_id=mine[1].id, objectives_version=None, passed=True,
                                           report={"verdicts": []}, created_by="analyst")
    newer = model_store.insert_validation(cursor, model_version_id=mine[1].id, objectives_version=None, passed=False,
                                          report={"verdicts": [1]}, created_by="analyst")
    assert model_store.latest_validations(cursor, [v.id for v in mine]) == {mine[1].id: newer} != {mine[1].id: report}
