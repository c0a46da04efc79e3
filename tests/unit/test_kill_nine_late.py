"""``kill -9`` in the middle of the later stages' writes (issue 16): a retention clean-up before and after
its commit, a retrain, and a retirement while its archive is written and between the archive and its
record. Real processes killed at a named point (``kill_nine.kill_at``); on the next open every committed
record is there, nothing half-written is visible and the audit chain verifies (``kill_nine.whole``)."""
from __future__ import annotations

import shutil

import pytest

from lifecycle import audit
from lifecycle.access import recovery
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.retire import decommission, retirements
from lifecycle.retire.archive import archive_root
from lifecycle.store import retention as retention_store
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit.kill_nine import cli, kill_at, whole, world  # noqa: F401 (world: a fixture)
from tests.unit.retrain_world import retrain_template  # noqa: F401 (a session fixture)

pytestmark = pytest.mark.slow  # each case starts a real interpreter (~3-8 s here)


def test_a_clean_up_killed_before_its_commit_puts_every_file_back(world):
    path, project, _, segments = world
    kill_at("from lifecycle.store import retention as s\ns.insert_cleanup = stop\n",
             *cli(path, "admin", "cleanup", "--project", project.name, "--confirm", "--log-days", "7"))
    files = path.with_suffix(".files")
    assert any((files / recovery.TRASH).rglob("*.parquet"))  # killed with the old segment moved aside
    workspace = whole(path)
    assert all(s.is_file() for s in segments)
    assert retention_store.cleanups_for(workspace.db.cursor(), project.id) == []
    reclaimed = [e for e in audit.recent_events(workspace, limit=3) if e.action == "workspace.reclaimed"]
    assert reclaimed[0].details["trash"] == ["put back the files of unfinished clean-up 1"]


def test_a_clean_up_killed_after_its_commit_is_finished_on_open(world):
    path, project, _, segments = world
    patch = """
        import shutil
        from lifecycle.store import retention as s
        insert, committed = s.insert_cleanup, []
        def noting(*args, **kwargs):
            committed.append(True)
            return insert(*args, **kwargs)
        s.insert_cleanup = noting
        remove = shutil.rmtree
        shutil.rmtree = lambda *a, **k: stop() if committed else remove(*a, **k)  # the trash, after the commit
    """
    kill_at(patch, *cli(path, "admin", "cleanup", "--project", project.name, "--confirm", "--log-days", "7"))
    workspace = whole(path)
    [done] = retention_store.cleanups_for(workspace.db.cursor(), project.id)
    assert not segments[0].exists() and segments[1].exists()  # the old one deleted as recorded, the new kept
    assert any(item.sha256 for item in done.items)


def test_a_retrain_killed_while_validating_shows_interrupted_and_keeps_its_candidate(retrain_template, tmp_path):
    from lifecycle.retrain import policies, retraining
    from tests.unit.simulate_world import users

    path = tmp_path / "w.duckdb"
    shutil.copy(retrain_template, path)
    shutil.copytree(retrain_template.with_suffix(".files"), path.with_suffix(".files"))
    workspace = open_workspace(path)
    project = projects.find_project(workspace, "Visits")
    policy = policies.create_policy(workspace, users(workspace)["analyst"], project.id, name="now",
                                    window=policies.data_window("reference"),
                                    search=policies.search_choice("production_params"))
    versions = len(registry.list_versions(workspace, project.id))
    close_database(path)
    kill_at("from lifecycle.validate import stage\nstage.validate_version = stop\n",
             *cli(path, "analyst", "retrain", "--project", "Visits", "--policy", str(policy.id)))
    workspace = whole(path)
    [ended] = retraining.retrains_for(workspace, project.id)
    assert ended.state == "failed" and ended.message.startswith("Interrupted") and ended.step == "validate"
    candidate = registry.get_version(workspace, ended.model_version_id)  # registered before the kill: kept
    assert len(registry.list_versions(workspace, project.id)) == versions + 1 and candidate.state == "candidate"
    assert registry.load_pipeline(workspace, candidate) is not None
    close_database(path)


@pytest.mark.parametrize("where", ["while writing the archive", "after the archive, before the record"])
def test_a_retirement_killed_leaves_no_archive_and_can_be_done_again(world, where):
    path, project, past, _ = world
    patch = ("from lifecycle.retire import archive\nwrite, n = archive._write, []\n"
             "def writing(*a, **k):\n    n.append(1)\n    return stop() if len(n) == 3 else write(*a, **k)\n"
             "archive._write = writing\n") if where.startswith("while") else \
        "from lifecycle.store import retirements as s\ns.insert = stop\n"
    kill_at(patch, *cli(path, "analyst", "retire", str(past.v2.id), "--reason", "superseded"))
    archive = path.with_suffix(".files") / recovery.ARCHIVE  # looked at before any open reclaims it
    assert [p for p in archive.rglob("*") if p.is_dir() and p.parent != archive]  # the kill left a folder
    workspace = whole(path)
    assert not any(p for p in archive_root(workspace).rglob("*") if p.is_file())
    assert registry.get_version(workspace, past.v2.id).state == "staging" and retirements(workspace, project.id) == []
    from lifecycle import auth

    done = decommission(workspace, auth.get_user(workspace, "analyst"), past.v2.id, reason="superseded")
    assert done.version.state == "retired"
    whole(path)


def test_a_retirement_killed_after_its_commit_serves_the_replacement_once_the_app_starts(world, monkeypatch):
    from lifecycle.deploy import promotion, serving

    path, project, past, _ = world
    kill_at("from lifecycle.deploy import promotion\npromotion.sync_manifest = stop\n",
            *cli(path, "analyst", "retire", str(past.v1.id), "--reason", "superseded",
                 "--replacement", str(past.v2.id)))
    workspace = whole(path)  # committed: retired, archived, v2 in production
    assert registry.get_version(workspace, past.v1.id).state == "retired"
    assert registry.get_version(workspace, past.v2.id).state == "production"
    assert [v.version_id for v in promotion.manifest_for(workspace, project.id).versions] == [past.v1.id]  # stale
    started = []
    monkeypatch.setattr(serving, "start", lambda workspace, actor, project, **_: started.append(project.name))
    serving.serve_production(workspace)  # what the app does when it starts
    assert [v.version_id for v in promotion.manifest_for(workspace, project.id).versions] == [past.v2.id]
    assert started == [project.name]
