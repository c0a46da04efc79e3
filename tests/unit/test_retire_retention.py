"""Retention: the dry run lists exactly what the confirmation deletes, data in use is never deleted,
segments go whole or not at all, every deletion is recorded with its hash, failures put files back."""
from __future__ import annotations

from dataclasses import replace

import pytest

from lifecycle import audit, retire
from lifecycle.data import datasets
from lifecycle.errors import InputError, NotFound, PermissionDenied
from lifecycle.hashing import sha256_file, sha256_json
from lifecycle.monitor.drift import columns_cache
from lifecycle.records import CleanupItem
from lifecycle.retire import cleanup as cleanup_module
from lifecycle.retire.references import IN_USE, NO_LONGER_USED, NOT_YET_USED
from lifecycle.retire.retention import DATASET_VERSION, FEEDBACK_SEGMENT, PREDICTION_SEGMENT, source_path
from lifecycle.store import datasets as dataset_store
from lifecycle.store import log_columns
from tests.unit import retire_fixtures as rf


@pytest.fixture
def past(workspace, actors, project):
    return rf.history(workspace, actors, project)


@pytest.fixture
def segments(workspace, project, past):
    """Three prediction-log segments: wholly old (40 and 41 days), mixed (40 days and 1), new (hours)."""
    return rf.log_segments(workspace, project.id, past.v1.id, [[40, 41], [40, 1], [0.5]])


def _status(workspace, project):
    return {u.dataset.id: u.status for u in retire.dataset_uses(workspace, project.id)}


def test_what_uses_each_dataset_version(workspace, actors, project, past):
    fresh = datasets.ingest_bytes(workspace, actors["analyst"], project.id, rf.csv_bytes(3), "customers_2026.csv")
    assert _status(workspace, project) == {past.raw_old.id: IN_USE, past.old.id: IN_USE, past.raw_new.id: IN_USE,
                                           past.new.id: IN_USE, fresh.id: NOT_YET_USED}
    retire.decommission(workspace, actors["admin"], past.v1.id, reason="replaced", replacement_id=past.v2.id)
    uses = {u.dataset.id: u for u in retire.dataset_uses(workspace, project.id)}
    assert uses[past.old.id].status == NO_LONGER_USED and "v1 (retired)" in uses[past.old.id].why
    assert uses[past.raw_old.id].status == NO_LONGER_USED  # what was made from it is no longer used
    assert uses[past.new.id].status == IN_USE and "is production" in uses[past.new.id].why
    assert uses[past.raw_new.id].status == IN_USE and "was made from it" in uses[past.raw_new.id].why
    assert uses[fresh.id].status == NOT_YET_USED  # fresh data is work in progress, never waste


def test_the_dry_run_lists_exactly_what_the_confirmation_deletes(workspace, actors, project, past, segments):
    admin = actors["admin"]
    retire.decommission(workspace, admin, past.v1.id, reason="replaced", replacement_id=past.v2.id)
    before = {path.name: sha256_file(path) for path in segments}
    dataset_file = dataset_store.data_path(workspace.path, past.old)
    dataset_hash = sha256_file(dataset_file)
    plan = retire.plan_cleanup(workspace, admin, project.id, log_days=30)
    assert [(i.kind, i.name) for i in plan.items] == [
        (PREDICTION_SEGMENT, segments[0].name), (FEEDBACK_SEGMENT, plan.items[1].name),
        (DATASET_VERSION, past.raw_old.label), (DATASET_VERSION, past.old.label)]
    assert plan.items[0].rows == 2 and plan.items[0].bytes == segments[0].stat().st_size
    # the raw file and its frozen version hold the same bytes: one file, freed once
    assert [i.bytes for i in plan.items[2:]] == [dataset_file.stat().st_size, 0]
    assert any("kept: they hold rows from after the cut-off" in line for line in plan.kept)
    assert all(path.exists() for path in segments) and dataset_file.exists()  # a dry run changes nothing

    parsed = columns_cache(workspace, project.id)  # the drift engine's parsed copy of each segment
    parsed.mkdir(parents=True, exist_ok=True)
    copies = [parsed / f"{path.stem}.1-2.abc{log_columns.SUFFIX}" for path in segments]
    for copy in copies:
        copy.write_bytes(b"parsed rows")
    done = retire.run_cleanup(workspace, admin, project.id, expected=plan)
    assert [copy.exists() for copy in copies] == [False, True, True]  # no parsed copy outlives its rows
    assert [(i.kind, i.name, i.dataset_id, i.rows, i.bytes) for i in done.items] == list(plan.key())
    assert (done.rows, done.bytes) == (plan.rows, plan.bytes)
    assert done.items[0].sha256 == before[segments[0].name]  # the hash of the bytes removed
    assert done.items[2].sha256 == dataset_hash == past.old.content_hash
    assert not segments[0].exists() and segments[1].exists() and segments[2].exists()  # the mixed one stays whole
    assert not dataset_file.exists()
    deleted = dataset_store.get(workspace.db.cursor(), past.old.id)
    assert deleted.deleted_at is not None and deleted.content_hash == past.old.content_hash  # metadata kept
    with pytest.raises(NotFound, match="deleted by a retention clean-up"):
        datasets.load_table(workspace, deleted)
    events = audit.recent_events(workspace, limit=3)
    assert [e.action for e in events] == ["dataset.deleted", "dataset.deleted", "retention.cleanup"]
    assert events[-1].details["digest"] == done.digest == sha256_json([{
        "kind": i.kind, "name": i.name, "dataset_id": i.dataset_id, "rows": i.rows, "bytes": i.bytes,
        "sha256": i.sha256, "newest": i.newest} for i in done.items])
    assert retire.cleanups(workspace, project.id) == [done]
    assert audit.verify_chain(workspace).ok
    assert retire.plan_cleanup(workspace, admin, project.id, log_days=30).empty  # nothing left to go


def test_data_in_use_is_never_deleted_whatever_plan_is_passed(workspace, actors, project, past):
    admin = actors["admin"]
    plan = retire.plan_cleanup(workspace, admin, project.id, log_days=30)
    assert plan.empty  # v1 serves production on the old data, v2 is staged on the new
    path = dataset_store.data_path(workspace.path, past.old)
    forged = replace(plan, items=(CleanupItem(kind=DATASET_VERSION, name=past.old.label, dataset_id=past.old.id,
                                              rows=past.old.rows, bytes=path.stat().st_size,
                                              sha256=past.old.content_hash),))
    with pytest.raises(InputError, match="no longer what the dry run listed"):
        retire.run_cleanup(workspace, admin, project.id, expected=forged)
    assert path.exists() and dataset_store.get(workspace.db.cursor(), past.old.id).deleted_at is None
    assert retire.cleanups(workspace, project.id) == []


def test_a_confirmation_after_the_data_changed_deletes_nothing(workspace, actors, project, past):
    admin = actors["admin"]
    retire.decommission(workspace, admin, past.v1.id, reason="replaced", replacement_id=past.v2.id)
    plan = retire.plan_cleanup(workspace, admin, project.id)
    assert {i.dataset_id for i in plan.items} == {past.raw_old.id, past.old.id}
    # meanwhile an analyst trains again on the old data: it is in use once more
    spare = rf.validated_version(workspace, actors, project.id, run_id=past.v1.run_id, approve=False)
    assert spare.state == "validated"
    with pytest.raises(InputError, match="no longer what the dry run listed"):
        retire.run_cleanup(workspace, admin, project.id, expected=plan)
    assert dataset_store.data_path(workspace.path, past.old).exists()


def test_a_failure_midway_puts_every_file_back(workspace, actors, project, past, segments, monkeypatch):
    admin = actors["admin"]
    retire.decommission(workspace, admin, past.v1.id, reason="replaced", replacement_id=past.v2.id)
    plan = retire.plan_cleanup(workspace, admin, project.id, log_days=30)
    before = len(audit.recent_events(workspace, limit=10_000))
    real_append = cleanup_module.audit_log.append

    def failing(cursor, **event):
        if event["action"] == "retention.cleanup":
            raise RuntimeError("power cut")
        return real_append(cursor, **event)

    monkeypatch.setattr(cleanup_module.audit_log, "append", failing)
    with pytest.raises(RuntimeError, match="power cut"):
        retire.run_cleanup(workspace, admin, project.id, expected=plan)
    for item in plan.items:
        if item.bytes:
            assert source_path(workspace, project.id, item).exists(), item.name
    assert dataset_store.get(workspace.db.cursor(), past.old.id).deleted_at is None
    assert retire.cleanups(workspace, project.id) == [] and len(audit.recent_events(workspace, limit=10_000)) == before
    assert not any(cleanup_module.trash_root(workspace).rglob("*.parquet"))


def test_what_a_killed_cleanup_left_in_the_trash_is_settled(workspace, actors, project, past, segments):
    trash = cleanup_module.trash_root(workspace)
    moved = trash / "41" / segments[0].relative_to(workspace.artifacts_dir)
    moved.parent.mkdir(parents=True)
    segments[0].rename(moved)  # a clean-up that never committed: its files go back
    assert cleanup_module.settle_trash(workspace) == ["put back the files of unfinished clean-up 41"]
    assert segments[0].exists() and not (trash / "41").exists()


@pytest.mark.parametrize("role", ["analyst", "reviewer", "stakeholder"])
def test_only_an_admin_sets_rules_and_deletes_data(workspace, actors, project, past, role):
    with pytest.raises(PermissionDenied, match="may not set retention rules and delete data"):
        retire.plan_cleanup(workspace, actors[role], project.id)
    with pytest.raises(PermissionDenied):
        retire.run_cleanup(workspace, actors[role], project.id)
    with pytest.raises(PermissionDenied):
        retire.set_rule(workspace, actors[role], project.id, log_days=7, datasets=True)


def test_the_rule_is_saved_audited_and_checked(workspace, actors, project):
    admin = actors["admin"]
    assert retire.rule_for(workspace, project.id).log_days is None  # the default keeps the log
    with pytest.raises(InputError, match="not a whole number of days"):
        retire.set_rule(workspace, admin, project.id, log_days=-1, datasets=True)
    rule = retire.set_rule(workspace, admin, project.id, log_days=90, datasets=False)
    assert (rule.log_days, rule.datasets, rule.updated_by) == (90, False, "admin")
    assert retire.rule_for(workspace, project.id) == rule
    event = audit.recent_events(workspace, limit=1)[0]
    assert (event.action, event.details) == ("retention.rule_set", {"log_days": 90, "datasets": False})
    plan = retire.plan_cleanup(workspace, admin, project.id)
    assert plan.log_days == 90 and not plan.datasets
