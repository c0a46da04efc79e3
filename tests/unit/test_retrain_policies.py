"""Retraining policies: checked, saved, edited, disabled on the audit trail; alert policies fire once per
alert, schedules every N days, a refused automatic start is on record; the CLI's retrain commands, with
each bad input an exit 2 and one line."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from lifecycle import audit
from lifecycle.access import users
from lifecycle.cli import main
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.monitor import alerts
from lifecycle.problem import projects
from lifecycle.retrain import policies, retraining, triggers
from lifecycle.store.db import close_database
from tests.unit.retrain_world import retrain_template, world  # noqa: F401

FAST = dict(window=policies.data_window("reference"), search=policies.search_choice("production_params"))


def _drift(workspace, project, key):
    return alerts.raise_alert(workspace, project_id=project.id, model_version_id=None, kind="drift", key=key,
                              title=f"{key} drifted", evidence={"column": key})


def test_policies_are_checked_saved_edited_and_disabled_on_the_audit_trail(world):
    workspace, project, people = world
    analyst, admin = people["analyst"], people["admin"]
    saved = policies.create_policy(workspace, analyst, project.id, name="weekly", trigger="schedule", every_days=7,
                                   window=policies.data_window("both", last_days=14),
                                   search=policies.search_choice("custom", algorithm="random_forest", method="random",
                                                                 trials=4, space='{"max_depth": [3, 6]}'))
    assert (saved.trigger, saved.every_days, saved.window.last_days, saved.search.space) == (
        "schedule", 7.0, 14.0, {"max_depth": [3, 6]})
    assert saved.enabled and saved.owner == "analyst"
    assert policies.describe(saved) == ("Retrains every 7 days, on the production version's dataset version plus "
                                        "labelled production rows of the last 14 days, with a random search of "
                                        "random_forest, 4 trials, 5-fold, seed 0.")
    edited = policies.update_policy(workspace, admin, saved.id, trigger="alert", alert_kinds=["drift"])
    assert (edited.trigger, edited.alert_kinds, edited.every_days, edited.owner) == ("alert", ("drift",), None, "admin")
    assert edited.window == saved.window and edited.search == saved.search
    assert not policies.disable_policy(workspace, analyst, saved.id).enabled
    assert policies.enable_policy(workspace, analyst, saved.id).owner == "analyst"
    events = [e for e in audit.recent_events(workspace, entity_prefix=f"retrain_policy:{saved.id}")]
    assert [e.action for e in events] == ["retrain.policy_created", "retrain.policy_updated",
                                          "retrain.policy_disabled", "retrain.policy_enabled"]
    assert events[1].details["changed"]["trigger"] == {"from": "schedule", "to": "alert"}

    refused = [
        (dict(name="weekly"), "already has a retraining policy named 'weekly'"),
        (dict(name="x", trigger="hourly"), "Unknown trigger 'hourly'"),
        (dict(name="x", trigger="schedule", every_days=0), "is not a period"),
        (dict(name="x", trigger="manual", every_days=3), "for the trigger 'schedule'"),
        (dict(name="x", trigger="alert", alert_kinds=["latency"]), "'latency' is not one of"),
        (dict(name="x", search=policies.search_choice("custom", algorithm="linear", cv_folds=1)), "folds"),
        (dict(name="x\nweekly"), "control character"),
    ]
    before = audit.verify_chain(workspace).events
    for settings, message in refused:
        with pytest.raises(InputError, match=message):
            policies.create_policy(workspace, analyst, project.id, **settings)
    with pytest.raises(InputError, match="reference only"):
        policies.data_window("reference", last_days=3)
    with pytest.raises(InputError, match="takes no algorithm"):
        policies.search_choice("production_search", algorithm="linear")
    with pytest.raises(PermissionDenied, match="may not set retraining policies"):
        policies.create_policy(workspace, people["reviewer"], project.id, name="x")
    assert audit.verify_chain(workspace).events == before and len(policies.list_policies(workspace, project.id)) == 1


def test_an_alert_policy_fires_once_per_alert(world):
    workspace, project, people = world
    policy = policies.create_policy(workspace, people["analyst"], project.id, name="on drift", trigger="alert",
                                    alert_kinds=["drift"], **FAST)
    assert triggers.due_policies(workspace, project_id=project.id) == []
    first = _drift(workspace, project, "age")
    alerts.raise_alert(workspace, project_id=project.id, model_version_id=None, kind="objective", key="recall",
                       title="recall below 0.6", evidence={})  # not a kind this policy fires on
    [due] = triggers.due_policies(workspace, project_id=project.id)
    assert (due.policy.id, due.trigger.kind, due.trigger.alert_id) == (policy.id, "alert", first.id)
    assert due.reason == f"drift alert #{first.id}: age drifted"
    [made] = triggers.run_due(workspace, project_id=project.id, background=False)
    assert (made.state, made.trigger, made.alert_id, made.requested_by) == ("done", "alert", first.id, "analyst")
    assert triggers.due_policies(workspace, project_id=project.id) == []
    assert triggers.run_due(workspace, project_id=project.id, background=False) == []  # once per alert

    second = _drift(workspace, project, "hours")
    [due] = triggers.due_policies(workspace, project_id=project.id)
    assert due.trigger.alert_id == second.id
    alerts.resolve(workspace, people["analyst"], second.id, "a feed glitch, fixed upstream")
    assert triggers.due_policies(workspace, project_id=project.id) == []  # a resolved alert does not fire
    chain = {s.link: s.text for s in __import__("lifecycle.retrain.lineage", fromlist=["lineage"]).lineage(
        workspace, made)}
    assert chain["trigger"].startswith(f"drift alert #{first.id}: age drifted")


def test_a_schedule_fires_every_n_days_and_a_start_it_cannot_make_is_on_record(world):
    workspace, project, people = world
    policy = policies.create_policy(workspace, people["analyst"], project.id, name="daily", trigger="schedule",
                                    every_days=1, **FAST)
    start = policy.created_at
    assert triggers.due_policies(workspace, start + timedelta(hours=20), project_id=project.id) == []
    [due] = triggers.due_policies(workspace, start + timedelta(days=2, hours=5), project_id=project.id)
    assert due.trigger.kind == "schedule" and due.trigger.scheduled_for == start + timedelta(days=2)  # missed: one

    users.set_role(workspace, people["admin"], "analyst", "stakeholder")  # the owner may no longer retrain
    [made] = triggers.run_due(workspace, start + timedelta(days=2, hours=5), project_id=project.id, background=False)
    assert made.state == "failed" and made.step == "start" and "may not set retraining policies" in made.message
    assert made.scheduled_for == start + timedelta(days=2) and made.model_version_id is None
    assert triggers.due_policies(workspace, start + timedelta(days=2, hours=6), project_id=project.id) == []
    [again] = triggers.due_policies(workspace, start + timedelta(days=3, hours=1), project_id=project.id)
    assert again.trigger.scheduled_for == start + timedelta(days=3)
    assert [e.action for e in audit.recent_events(workspace, entity_prefix=f"retrain:{made.id}")] == ["retrain.refused"]


def test_the_cli_retrains_by_policy_and_refuses_bad_input_with_exit_2(world, capsys):
    workspace, project, people = world
    path = workspace.path
    bare = projects.create_project(workspace, people["analyst"], name="Bare", task="binary", target="y",
                                   positive_class="yes")
    close_database(path)
    base = ["--workspace", str(path), "--user", "analyst"]
    add = [*base, "retrain", "policy", "add", "--project", "Visits"]

    def refused(argv, message):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err

    refused([*add, "--name", "x", "--search", "custom", "--algorithm", "gradient_magic"], "No algorithm named")
    refused([*add, "--name", "x", "--window", "yesterday"], "Unknown data window 'yesterday'")
    refused([*add, "--name", "x", "--since", "last tuesday"], "is not a time")
    assert main([*add, "--name", "recent", "--window", "production", "--since", "2001-01-01T00:00",
                 "--until", "2001-01-02T00:00", "--search", "production_params"]) == 0
    assert "Policy #1 (recent) saved" in capsys.readouterr().out
    refused([*base, "retrain", "--project", "Visits", "--policy", "1"], "No labelled production row")
    assert main([*base, "retrain", "policy", "add", "--project", "Bare", "--name", "b"]) == 0
    capsys.readouterr()
    refused([*base, "retrain", "--project", "Bare", "--policy", "2"], "has no version in production")
    refused([*base, "retrain", "--project", "Visits", "--policy", "2"], "belongs to another project")

    assert main([*add, "--name", "refit", "--window", "both", "--last-days", "30", "--search",
                 "production_params"]) == 0
    capsys.readouterr()
    assert main([*base, "--json", "retrain", "--project", "Visits", "--policy", "3", "--wait"]) == 0
    captured = capsys.readouterr()
    [made] = json.loads(captured.out)["retrains"]
    assert made["state"] == "done" and made["trigger"] == "manual" and made["model_version_id"] is not None
    assert "search, trial 1 of 1" in captured.err  # --wait follows it on stderr
    assert main([*base, "retrain", "--project", "Visits"]) == 0
    assert "Nothing is due on Visits." in capsys.readouterr().out
    assert main([*base, "retrain", "policy", "list", "--project", "Visits"]) == 0
    listed = capsys.readouterr().out
    assert "#3 refit [enabled, acts as analyst]" in listed
    assert main([*base, "retrain", "policy", "disable", "3"]) == 0
    refused([*base, "retrain", "policy", "disable", "3"], "already disabled")
    refused([*base, "retrain", "--project", "Visits", "--policy", "3"], "is disabled")
    refused(["--workspace", str(path), "--user", "reviewer", "retrain", "policy", "enable", "3"], "may not")
    assert bare.id != project.id


def test_the_cli_refuses_a_second_retrain_while_one_runs(world, capsys):
    import threading

    workspace, project, people = world
    policy = policies.create_policy(workspace, people["analyst"], project.id, name="refit", **FAST)
    entered, release = threading.Event(), threading.Event()

    def hold(done, total, item=None, message=None):
        entered.set()
        release.wait(30)

    worker = threading.Thread(target=retraining.start_retrain, args=(workspace, people["analyst"], policy.id),
                              kwargs={"background": False, "progress": hold})
    worker.start()
    try:
        assert entered.wait(30)
        argv = ["--workspace", str(workspace.path), "--user", "analyst", "retrain", "--project", "Visits",
                "--policy", str(policy.id)]
        assert main(argv) == 2
        assert "is running" in capsys.readouterr().err
    finally:
        release.set()
        worker.join(60)
    assert retraining.retrains_for(workspace, project.id)[0].state == "done"


def _readme_retrain_commands() -> list[list[str]]:
    """The ``retrain`` commands of the README's "Retraining and A/B tests" block, as argument lists."""
    import re
    import shlex

    from lifecycle import config

    readme = (config.REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("## Retraining and A/B tests"):]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    lines = [line.split("  #")[0].strip() for line in re.sub(r"\\\n\s*", " ", block).splitlines()]
    return [shlex.split(line)[3:] for line in lines if " retrain " in f" {line} "]


def test_the_readme_retrain_commands_run_as_written(world, capsys):
    """On this project ('Visits' for the README's churn, its analyst for bob), each exits 0."""
    workspace, project, people = world
    path = workspace.path
    close_database(path)
    commands = _readme_retrain_commands()
    assert [c[c.index("retrain") + 1] for c in commands] == ["policy", "policy", "policy", "--project", "--project",
                                                            "policy"]
    for command in commands:
        argv = ["--workspace", str(path)] + ["Visits" if a == "churn" else "analyst" if a == "bob" else a
                                             for a in command]
        assert main(argv) == 0, (argv, capsys.readouterr().err)
    out = capsys.readouterr().out
    assert "Policy #2 (weekly) saved" in out and "Retrain #1 (manual) done." in out and "disabled" in out
