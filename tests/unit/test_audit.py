"""The hash-chained audit trail: written with every change, and tampering is named."""
from __future__ import annotations

import json

import pytest

from lifecycle import audit
from lifecycle.problem import projects
from lifecycle.errors import InputError
from lifecycle.hashing import GENESIS, audit_event_hash
from lifecycle.store import audit_log


def _count(workspace, table: str) -> int:
    return workspace.db.value(f"SELECT count(*) FROM {table}")


def test_fixture_writes_one_event_per_change_and_the_chain_verifies(workspace):
    events = audit.recent_events(workspace)
    assert [(e.seq, e.action, e.entity) for e in events] == [
        (1, "workspace.initialised", "user:admin"), (2, "user.added", "user:analyst"),
        (3, "user.added", "user:reviewer"), (4, "user.added", "user:stakeholder")]
    assert events[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:]))
    verdict = audit.verify_chain(workspace)
    assert verdict.ok and verdict.events == 4 and verdict.first_broken is None


def test_create_writes_its_event_in_the_same_transaction(workspace, actors):
    project = projects.create_project(workspace, actors["analyst"], name="P", task="binary", target="y", positive_class="yes")
    last = audit.recent_events(workspace, limit=1)[0]
    assert (last.action, last.entity, last.actor) == ("project.created", f"project:{project.id}", "analyst")
    assert last.details["name"] == "P" and last.details["target"] == "y"


def test_failed_event_write_leaves_neither_row_nor_event(workspace, actors, monkeypatch):
    before = _count(workspace, "audit_log")

    def broken_append(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit_log, "append", broken_append)
    with pytest.raises(RuntimeError):
        projects.create_project(workspace, actors["analyst"], name="P", task="binary", target="y", positive_class="yes")
    assert _count(workspace, "projects") == 0
    assert _count(workspace, "objectives") == 0
    assert _count(workspace, "audit_log") == before


def test_refused_create_writes_nothing(workspace, actors, project):
    before = _count(workspace, "audit_log")
    with pytest.raises(InputError, match="already exists"):
        projects.create_project(workspace, actors["analyst"], name=project.name, task="binary", target="y", positive_class="yes")
    assert _count(workspace, "projects") == 1
    assert _count(workspace, "audit_log") == before


def test_changed_details_are_named(workspace):
    workspace.db.cursor().execute(
        "UPDATE audit_log SET details = ? WHERE seq = 2", [json.dumps({"role": "admin"})])
    verdict = audit.verify_chain(workspace)
    assert not verdict.ok and verdict.first_broken == 2
    assert "event 2" in verdict.reason and "changed after it was written" in verdict.reason
    assert "user.added by admin" in verdict.reason


def test_deleted_event_is_detected(workspace):
    workspace.db.cursor().execute("DELETE FROM audit_log WHERE seq = 2")
    verdict = audit.verify_chain(workspace)
    assert not verdict.ok and verdict.first_broken == 3
    assert "event 3 follows event 1" in verdict.reason and "deleted" in verdict.reason


def test_renumbered_chain_is_detected_by_the_link(workspace):
    """Deleting an event and renumbering the rest hides the gap, not the broken link."""
    cursor = workspace.db.cursor()
    cursor.execute("DELETE FROM audit_log WHERE seq = 2")
    cursor.execute("UPDATE audit_log SET seq = seq - 1 WHERE seq > 2")
    verdict = audit.verify_chain(workspace)
    assert not verdict.ok and verdict.first_broken == 2
    assert "does not link to the hash of event 1" in verdict.reason


def test_edited_hash_is_detected(workspace):
    workspace.db.cursor().execute("UPDATE audit_log SET hash = ? WHERE seq = 2", ["f" * 64])
    verdict = audit.verify_chain(workspace)
    assert not verdict.ok and verdict.first_broken == 2


def test_rewritten_event_with_a_fresh_hash_is_detected_at_the_next_event(workspace):
    """An attacker who rewrites event 2 and recomputes its hash still breaks event 3's link."""
    event = audit.recent_events(workspace)[1]
    details = {"role": "admin"}
    forged = audit_event_hash(seq=event.seq, at=event.at, actor=event.actor, action=event.action,
                              entity=event.entity, details=details, prev_hash=event.prev_hash)
    workspace.db.cursor().execute("UPDATE audit_log SET details = ?, hash = ? WHERE seq = 2",
                                  [json.dumps(details), forged])
    verdict = audit.verify_chain(workspace)
    assert not verdict.ok and verdict.first_broken == 3
    assert "event 3 does not link to the hash of event 2" in verdict.reason


def test_empty_chain_verifies(tmp_path):
    from lifecycle.store.db import close_database
    from lifecycle.workspace import open_workspace

    path = tmp_path / "empty.duckdb"
    try:
        verdict = audit.verify_chain(open_workspace(path))
        assert verdict.ok and verdict.events == 0
    finally:
        close_database(path)


def test_recent_events_filters_by_entity_and_keeps_the_newest(workspace, project):
    only = audit.recent_events(workspace, entity_prefix="project:")
    assert [e.action for e in only] == ["project.created"]
    newest = audit.recent_events(workspace, limit=2)
    assert [e.seq for e in newest] == [4, 5]
