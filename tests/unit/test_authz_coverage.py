"""Authorization coverage: every state-changing function of ``lifecycle/`` is in ``authz.REGISTRY``
with who may call it, the entry matches what the body enforces, and a role without the permission
is refused (PermissionDenied) with nothing written."""
from __future__ import annotations

import pytest

from lifecycle import auth
from lifecycle.access import authz
from lifecycle.access.authz import Access
from lifecycle.auth import Permission
from lifecycle.errors import PermissionDenied

from tests.unit import authz_scan

FOUND = authz_scan.state_changing()


def _name(key: str) -> str:
    return key.removeprefix("lifecycle.")


def test_every_state_changing_function_is_registered():
    missing = sorted(_name(k) for k in FOUND if _name(k) not in authz.REGISTRY)
    assert not missing, (
        "State-changing functions with no entry in lifecycle/access/authz.py REGISTRY (say which Permission "
        f"they require, or which Access): {missing}")


def test_every_registered_function_still_exists_and_changes_state():
    stale = sorted(name for name in authz.REGISTRY if f"lifecycle.{name}" not in FOUND)
    assert not stale, f"REGISTRY names functions that no longer exist or no longer write: {stale}"


def test_the_scan_finds_the_functions_it_must():
    # The scan itself can fail: these are known writers reached in each way it looks.
    for name in ("problem.projects.create_project",  # a transaction in its own body
                 "develop.training.record_run",  # a write outside a transaction, through a store function
                 "monitor.refresh.refresh",  # steps held in a module-level table
                 "access.users.change_own_password"):  # a user parameter named `user`, writes through auth
        assert f"lifecycle.{name}" in FOUND, name
        assert authz_scan.reach(FOUND[f"lifecycle.{name}"]).writes, name


@pytest.mark.parametrize("name", sorted(authz.REGISTRY))
def test_the_entry_matches_what_the_body_enforces(name):
    function = FOUND[f"lifecycle.{name}"]
    reached = authz_scan.reach(function)
    rule = authz.REGISTRY[name]
    if isinstance(rule, Permission):
        assert rule.name in reached.permissions, (
            f"{name} is registered as {rule.name} but never reaches auth.require(actor, Permission.{rule.name}); "
            f"it reaches {sorted(reached.permissions) or 'no permission check'}")
        assert authz_scan.user_parameters(function) or function.__name__ in _RUNS_AS_OWNER, (
            f"{name} checks {rule.name} but takes no user: whose permission is it?")
    elif rule is Access.GATED:
        assert reached.gated, f"{name} is registered GATED but reaches no gate of models.states.TRANSITIONS"
    elif rule is Access.READS_ONLY:
        assert not reached.writes, f"{name} is registered READS_ONLY but writes"
    elif rule is Access.SIGNED_IN:
        assert authz_scan.user_parameters(function), f"{name} is for a signed-in user but takes none"
    else:  # AUTOMATIC, SYSTEM: nothing a role decides is reachable from here
        decided = reached.permissions - {"READ"}
        if name in _SYSTEM_REACHING_CHECKS:
            return
        assert not decided and not reached.gated, (
            f"{name} is registered {rule.name} but reaches checks of {sorted(decided)}"
            f"{' and a model gate' if reached.gated else ''}: register the permission instead")
        if rule is Access.SYSTEM:
            assert not authz_scan.user_parameters(function), f"{name} takes a user: it is not SYSTEM"


# Scheduled retrains start as the policy's owner (looked up inside), not as a caller's argument.
_RUNS_AS_OWNER = {"run_due", "fire"}
# Backup and restore name their actor (`actor_name`): the role is read from the database copy itself,
# since the live workspace may be held by the app or be the damaged one being replaced.
_RUNS_AS_OWNER |= {"backup_workspace", "restore_workspace"}
# seed_demo creates the demo users itself and acts through each: SYSTEM, but it reaches their checks.
_SYSTEM_REACHING_CHECKS = {"demo.seed_demo"}


def test_system_entries_that_reach_checks_are_the_known_ones():
    reaching = {name for name, rule in authz.REGISTRY.items() if rule is Access.SYSTEM
                and authz_scan.reach(FOUND[f"lifecycle.{name}"]).permissions - {"READ"}}
    assert reaching == _SYSTEM_REACHING_CHECKS


def test_roles_allowed_reads_the_grants():
    assert authz.roles_allowed("access.users.set_role") == ("admin",)
    assert authz.roles_allowed("govern.signoff.sign_off") == ("reviewer",)
    assert authz.roles_allowed("access.users.remember_project") == auth.ROLES
    assert authz.roles_allowed("models.states.transition") is None
    assert authz.roles_allowed("access.sessions.sign_in") == ()
    with pytest.raises(KeyError):
        authz.access("nothing.here")


# -- real calls by a role without the permission: refused, nothing written ----------------------

def _audit_count(workspace) -> int:
    return workspace.db.value("SELECT count(*) FROM audit_log")


def _refused(workspace, call) -> PermissionDenied:
    before = _audit_count(workspace)
    with pytest.raises(PermissionDenied) as caught:
        call()
    assert _audit_count(workspace) == before
    return caught.value


def test_a_stakeholder_cannot_create_a_project(workspace, actors):
    from lifecycle.problem import projects
    error = _refused(workspace, lambda: projects.create_project(
        workspace, actors["stakeholder"], name="P", task="binary", target="y", positive_class="yes"))
    assert "stakeholder" in str(error)
    assert workspace.db.value("SELECT count(*) FROM projects") == 0


def test_a_reviewer_cannot_ingest(workspace, actors, project):
    from lifecycle.data import datasets
    _refused(workspace, lambda: datasets.ingest_bytes(workspace, actors["reviewer"], project.id,
                                                     b"a,y\n1,yes\n2,no\n", "d.csv"))
    assert workspace.db.value("SELECT count(*) FROM dataset_versions") == 0


def test_an_analyst_cannot_add_a_user_or_set_a_role(workspace, actors):
    from lifecycle.access import users
    _refused(workspace, lambda: users.add_user(workspace, actors["analyst"], "eve", "admin"))
    _refused(workspace, lambda: users.set_role(workspace, actors["analyst"], "analyst", "admin"))
    assert auth.get_user(workspace, "analyst").role == "analyst"


def test_a_stakeholder_cannot_record_a_run(workspace, actors, project):
    from lifecycle.develop import training
    _refused(workspace, lambda: training.record_run(workspace, actors["stakeholder"], {}, search_id=None))
    assert workspace.db.value("SELECT count(*) FROM runs") == 0


def test_an_analyst_cannot_clean_data_or_set_retention(workspace, actors, project):
    from lifecycle.retire import retention
    _refused(workspace, lambda: retention.set_rule(workspace, actors["analyst"], project.id, log_days=30,
                                                   datasets=True))


def test_someone_else_password_needs_manage_users(workspace, actors):
    _refused(workspace, lambda: auth.set_password(workspace, actors["analyst"], "reviewer", "a-long-password"))
    auth.set_password(workspace, actors["analyst"], "analyst", "a-long-password")  # their own: allowed


def test_model_moves_and_sign_off_are_refused_to_the_wrong_role(workspace, actors, project):
    from lifecycle.govern import signoff
    from lifecycle.models import registry, states
    from lifecycle.records import ModelState
    from tests.unit import deploy_model
    version, _, _ = deploy_model.register(workspace, actors["analyst"], project.id)
    error = _refused(workspace, lambda: states.transition(workspace, actors["stakeholder"], version.id,
                                                         ModelState.REJECTED, "not good enough"))
    assert "stakeholder" in str(error)
    _refused(workspace, lambda: signoff.sign_off(workspace, actors["analyst"], version.id,
                                                decision="approve", comment="looks fine"))
    assert registry.get_version(workspace, version.id).state == version.state
