"""The audit trail under attack: edited, deleted and reordered rows named by the chain; deleted newest
events, an anchor from another workspace and a forged anchor caught by an Ed25519 anchor; the export's
filters and formula-safe CSV."""
from __future__ import annotations

import csv
import io
import json
import stat

import pytest

from lifecycle import audit, auth
from lifecycle.cli import main
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.govern import anchor as anchoring
from lifecycle.govern.audit_trail import TrailFilter, audit_excerpt, events, export
from lifecycle.problem import projects
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace


@pytest.fixture
def keys(tmp_path_factory, workspace):
    """A key pair made outside the workspace's folder."""
    folder = tmp_path_factory.mktemp("vault")
    private, public = anchoring.keygen(workspace, folder / "audit.key")
    return private, public, folder


def _trail(workspace, n=6, start=0):
    admin = auth.get_user(workspace, "admin")
    for number in range(start, start + n):
        auth.add_user(workspace, admin, f"user{number}", "analyst")


def _rows(workspace):
    return workspace.db.rows('SELECT seq, "at", actor, action, entity, details, prev_hash, hash FROM audit_log '
                             'ORDER BY seq')


def test_an_edited_event_is_named(workspace):
    _trail(workspace)
    workspace.db.cursor().execute("UPDATE audit_log SET details = '{\"role\":\"admin\"}' WHERE seq = 5")
    verdict = audit.verify_chain(workspace)
    assert (verdict.ok, verdict.first_broken) == (False, 5) and "was changed after it was written" in verdict.reason


def test_a_deleted_event_is_named(workspace):
    _trail(workspace)
    workspace.db.cursor().execute("DELETE FROM audit_log WHERE seq = 4")
    verdict = audit.verify_chain(workspace)
    assert (verdict.ok, verdict.first_broken) == (False, 5) and "deleted or renumbered" in verdict.reason


def test_reordered_events_are_named(workspace):
    _trail(workspace)
    rows = {r["seq"]: r for r in _rows(workspace)}
    cursor = workspace.db.cursor()
    for seq, other in ((6, 7), (7, 6)):  # the two events swap places, each keeping its own content
        source = rows[other]
        cursor.execute('UPDATE audit_log SET "at" = ?, actor = ?, action = ?, entity = ?, details = ?, prev_hash = ?, '
                       'hash = ? WHERE seq = ?', [source["at"], source["actor"], source["action"], source["entity"],
                                                   source["details"], source["prev_hash"], source["hash"], seq])
    verdict = audit.verify_chain(workspace)
    assert (verdict.ok, verdict.first_broken) == (False, 6)


def test_an_anchor_verifies_and_catches_deleted_newest_events(workspace, keys):
    private, public, folder = keys
    _trail(workspace)
    signed = anchoring.anchor_trail(workspace, auth.get_user(workspace, "reviewer"), private, folder / "head.json")
    assert signed.events == audit.verify_chain(workspace).events  # the anchoring is an event it covers
    assert audit.recent_events(workspace, limit=1)[0].action == "audit.anchored"
    good = anchoring.verify_anchor(workspace, folder / "head.json", public)
    assert good.ok and good.key_given and "unchanged" in good.reason
    _trail(workspace, 2, start=100)  # later events are fine
    assert anchoring.verify_anchor(workspace, folder / "head.json", public).ok

    workspace.db.cursor().execute("DELETE FROM audit_log WHERE seq > ?", [signed.last_seq - 3])
    assert audit.verify_chain(workspace).ok  # the chain alone cannot tell
    deleted = anchoring.verify_anchor(workspace, folder / "head.json", public)
    assert not deleted.ok and deleted.first_broken == signed.last_seq - 2
    assert f"events {signed.last_seq - 2} to {signed.last_seq} are missing" in deleted.reason


def test_a_rewritten_trail_does_not_match_its_anchor(workspace, keys):
    private, public, folder = keys
    _trail(workspace)
    signed = anchoring.anchor_trail(workspace, auth.get_user(workspace, "admin"), private, folder / "head.json")
    # Rewrite the newest event and re-hash it so the chain itself holds again.
    from lifecycle.hashing import audit_event_hash

    last = audit.recent_events(workspace, limit=1)[0]
    forged = audit_event_hash(seq=last.seq, at=last.at, actor="mallory", action=last.action, entity=last.entity,
                              details=last.details, prev_hash=last.prev_hash)
    workspace.db.cursor().execute("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = ?", [forged, last.seq])
    assert audit.verify_chain(workspace).ok
    verdict = anchoring.verify_anchor(workspace, folder / "head.json", public)
    assert not verdict.ok and verdict.first_broken == signed.last_seq and "rewritten" in verdict.reason


def test_a_forged_anchor_and_a_foreign_key_are_refused(workspace, keys, tmp_path_factory):
    private, public, folder = keys
    _trail(workspace)
    anchoring.anchor_trail(workspace, auth.get_user(workspace, "admin"), private, folder / "head.json")
    data = json.loads((folder / "head.json").read_text())
    (folder / "forged.json").write_text(json.dumps({**data, "events": data["events"] + 5,
                                                    "last_seq": data["last_seq"] + 5}))
    forged = anchoring.verify_anchor(workspace, folder / "forged.json")
    assert not forged.ok and "signature does not verify" in forged.reason
    _, other_public = anchoring.keygen(workspace, tmp_path_factory.mktemp("other") / "other.key")
    foreign = anchoring.verify_anchor(workspace, folder / "head.json", other_public)
    assert not foreign.ok and "not by the given key" in foreign.reason
    (folder / "junk.json").write_text("{not json")
    with pytest.raises(InputError, match="is not an audit anchor"):
        anchoring.verify_anchor(workspace, folder / "junk.json")


def test_an_anchor_from_another_workspace_is_refused(workspace, keys, tmp_path):
    private, public, folder = keys
    anchoring.anchor_trail(workspace, auth.get_user(workspace, "admin"), private, folder / "head.json")
    other_path = tmp_path / "other" / "w.duckdb"
    other = open_workspace(other_path)
    auth.init_admin(other, "admin")
    _trail(other, 12)
    verdict = anchoring.verify_anchor(other, folder / "head.json", public)
    assert not verdict.ok and "belongs to another workspace" in verdict.reason
    assert workspace.setting("workspace_id") != other.setting("workspace_id")
    close_database(other_path)


def test_keys_and_anchors_stay_outside_the_workspace_folder(workspace, keys):
    private, public, folder = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and public.name == "audit.key.pub"
    inside = workspace.path.parent
    with pytest.raises(InputError, match="inside the workspace's folder"):
        anchoring.keygen(workspace, inside / "audit.key")
    with pytest.raises(InputError, match="inside the workspace's folder"):
        anchoring.keygen(workspace, inside / "keys" / "audit.key")
    with pytest.raises(InputError, match="already exists"):
        anchoring.keygen(workspace, private)
    admin = auth.get_user(workspace, "admin")
    with pytest.raises(InputError, match="anchor file .* is inside the workspace's folder"):
        anchoring.anchor_trail(workspace, admin, private, inside / "head.json")
    with pytest.raises(PermissionDenied, match="may not anchor the audit trail"):
        anchoring.anchor_trail(workspace, auth.get_user(workspace, "analyst"), private, folder / "head.json")
    with pytest.raises(InputError, match="not an unencrypted PEM private key"):
        anchoring.anchor_trail(workspace, admin, public, folder / "head.json")
    workspace.db.cursor().execute("UPDATE audit_log SET actor = 'x' WHERE seq = 2")
    with pytest.raises(InputError, match="broken at event 2"):
        anchoring.anchor_trail(workspace, admin, private, folder / "head.json")
    assert not (folder / "head.json").exists()


def test_the_cli_keygen_anchor_and_verify(workspace, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("team-share")
    path = workspace.path
    close_database(path)
    base = ["--workspace", str(path)]
    assert main([*base, "audit", "keygen", "--out", str(path.parent / "k")]) == 2
    assert "inside the workspace's folder" in capsys.readouterr().err
    assert main([*base, "audit", "keygen", "--out", str(folder / "k")]) == 0
    assert main([*base, "--user", "admin", "audit", "anchor", "--key", str(folder / "k"),
                 "--out", str(folder / "a.json")]) == 0
    capsys.readouterr()
    assert main([*base, "audit", "verify", "--anchor", str(folder / "a.json"), "--public-key",
                 str(folder / "k.pub")]) == 0
    assert "Anchor OK" in capsys.readouterr().out
    opened = open_workspace(path)
    opened.db.cursor().execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    close_database(path)
    assert main([*base, "audit", "verify"]) == 0  # the chain alone still holds
    capsys.readouterr()
    assert main([*base, "--json", "audit", "verify", "--anchor", str(folder / "a.json")]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["ok"] and not verdict["anchor"]["ok"] and "newest events were deleted" in verdict["anchor"]["reason"]
    assert main([*base, "audit", "verify", "--anchor", str(folder / "missing.json")]) == 2


def test_the_export_filters_and_neutralises_formula_cells(workspace, actors, project):
    sneaky = auth.add_user(workspace, actors["admin"], "@SUM", "analyst")  # a legal name a spreadsheet would compute
    other = projects.create_project(workspace, sneaky, name='=HYPERLINK("http://x")', task="binary", target="y",
                                    positive_class="yes")
    mine = events(workspace, TrailFilter(project_id=project.id))
    assert mine and all(e.entity == f"project:{project.id}" or e.details.get("project_id") == project.id for e in mine)
    assert [e.action for e in audit_excerpt(workspace, project_id=other.id)] == ["project.created"]
    assert [e.action for e in events(workspace, TrailFilter(actor="@SUM"))] == ["project.created"]
    assert {e.action for e in events(workspace, TrailFilter(action="user."))} == {"user.added"}
    assert len(events(workspace, TrailFilter(limit=2))) == 2
    table = list(csv.DictReader(io.StringIO(export(workspace, "csv").decode())))
    created = next(row for row in table if row["entity"] == f"project:{other.id}")
    assert created["actor"] == "'@SUM" and created["seq"].isdigit()  # shown as text, never run
    assert json.loads(created["details"])["name"] == '=HYPERLINK("http://x")'  # a JSON cell starts with {
    as_json = json.loads(export(workspace, "json", TrailFilter(action="project.created")))
    assert as_json["chain"]["ok"] and [e["entity"] for e in as_json["events"]] == [f"project:{project.id}",
                                                                                  f"project:{other.id}"]
    assert as_json["events"][1]["actor"] == "@SUM"  # JSON keeps the value as it is
    with pytest.raises(InputError, match="not one of csv, json"):
        export(workspace, "xlsx")
    with pytest.raises(InputError, match="about a project or a model version"):
        audit_excerpt(workspace)


def test_a_version_excerpt_holds_its_events_and_the_project_events_naming_it(workspace, actors, project):
    """The one excerpt Govern's hand-over and Retire's archive carry: the version's own events and a
    project event that names it (a rollback restoring it), never another version's."""
    from lifecycle.errors import NotFound
    from lifecycle.store import audit_log
    from tests.unit import deploy_model

    first, _, _ = deploy_model.register(workspace, actors["analyst"], project.id)
    second, _, _ = deploy_model.register(workspace, actors["analyst"], project.id, run_id=2)
    with workspace.db.transaction() as cursor:
        restored = audit_log.append(cursor, actor="analyst", action="deploy.rollback", entity=f"project:{project.id}",
                                    details={"restored": first.id, "version_id": second.id})
        inside = audit_excerpt(workspace, version_id=second.id, cursor=cursor)  # sees the transaction's own event
    assert restored.seq in [e.seq for e in inside]
    mine = audit_excerpt(workspace, version_id=first.id)
    assert [e.entity for e in mine] == [f"model:{first.id}"] * (len(mine) - 1) + [f"project:{project.id}"]
    assert mine[-1].seq == restored.seq and mine == sorted(mine, key=lambda e: e.seq)
    assert all(e.entity != f"model:{second.id}" for e in mine)
    assert audit_excerpt(workspace, version_id=first.id, project_id=-1) == mine  # the version decides
    with pytest.raises(NotFound, match="No model version with id 999"):
        audit_excerpt(workspace, version_id=999)
