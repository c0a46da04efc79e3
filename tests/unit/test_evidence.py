"""Review evidence: stored once per (version, kind, key), audited, read back by anyone."""
from __future__ import annotations

import pytest

from lifecycle import evidence
from lifecycle.audit import verify_chain
from lifecycle.errors import InputError
from lifecycle.store import audit_log


def test_evidence_is_computed_once_per_key_and_audited(workspace, actors):
    calls = []

    def compute():
        calls.append(1)
        return "age drives the model most", {"importance": {"age": 0.4, "hours": 0.1}}

    key = evidence.cache_key(model="abc", data="def", rows=100)
    first, from_store = evidence.get_or_compute(workspace, actors["reviewer"], 1, "explanation", key, compute)
    again, from_store_again = evidence.get_or_compute(workspace, actors["stakeholder"], 1, "explanation", key,
                                                      compute)
    assert (from_store, from_store_again, len(calls)) == (False, True, 1)
    assert again.id == first.id and again.payload == {"importance": {"age": 0.4, "hours": 0.1}}
    assert first.created_by == "reviewer"
    events = [e for e in audit_log.events(workspace.db.cursor(), limit=50) if e.action == "evidence.explanation"]
    assert len(events) == 1 and events[0].entity == "model:1"
    assert verify_chain(workspace).ok


def test_other_key_or_kind_is_separate_and_latest_is_newest(workspace, actors):
    analyst = actors["analyst"]
    one = evidence.record(workspace, analyst, 1, "fairness", evidence.cache_key(rows=10), summary="a", payload={})
    two = evidence.record(workspace, analyst, 1, "fairness", evidence.cache_key(rows=20), summary="b", payload={})
    evidence.record(workspace, analyst, 2, "fairness", evidence.cache_key(rows=20), summary="c", payload={})
    assert evidence.latest(workspace, 1, "fairness").id == two.id
    assert [e.id for e in evidence.for_version(workspace, 1)] == [two.id, one.id]
    assert evidence.latest(workspace, 1, "explanation") is None


def test_unknown_kind_is_refused(workspace, actors):
    with pytest.raises(InputError, match="Unknown evidence kind"):
        evidence.record(workspace, actors["analyst"], 1, "gossip", "k", summary="", payload={})


def test_cache_key_is_stable_and_order_free():
    assert evidence.cache_key(a=1, b="x") == evidence.cache_key(b="x", a=1)
    assert evidence.cache_key(a=1) != evidence.cache_key(a=2)
