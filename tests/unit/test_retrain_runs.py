"""A retrain end to end on a small project with labelled simulated traffic: the window's rows frozen with
the production recipe and split the same way, the same search, a validated candidate, a comparison on
rows the production version never trained on, all on record with its lineage; bad input refused with
nothing written; cancel and failure leave a clear record and no half-registered version."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from lifecycle import audit
from lifecycle.access import recovery
from lifecycle.clock import utc_now
from lifecycle.data import datasets, preparation
from lifecycle.develop import runs as develop_runs
from lifecycle.develop import training
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.models import registry
from lifecycle.monitor.labels import labelled_production_rows
from lifecycle.problem import projects
from lifecycle.retrain import lineage, policies, retrain_plan, retraining, unseen
from lifecycle.retrain.window import window_rows
from lifecycle.store import retrains as retrain_store
from lifecycle.validate.held_out import held_out
from tests.unit.retrain_world import HISTORY_ROWS_PER_DAY, LABEL_SHARE, retrain_template, world  # noqa: F401


def _policy(workspace, project, analyst, name="p", **settings):
    return policies.create_policy(workspace, analyst, project.id, name=name, **settings)


def _champion(workspace, project):
    champion = retrain_plan.production_version(workspace, project)
    run = training.get_run(workspace, champion.run_id)
    return champion, run


def _footprint(workspace, project):
    """What a refused start must leave as it was."""
    return (len(datasets.list_datasets(workspace, project.id)), len(registry.list_versions(workspace, project.id)),
            len(retraining.retrains_for(workspace, project.id)), audit.verify_chain(workspace).events)


def test_a_retrain_freezes_its_window_with_the_production_recipe_and_runs_the_same_search(world):
    workspace, project, people = world
    analyst = people["analyst"]
    champion, run = _champion(workspace, project)
    reference = datasets.get_dataset(workspace, run.dataset_id)
    champion_split = preparation.splits_for(workspace, reference.id)[0]
    labelled = labelled_production_rows(workspace, project.id)
    assert 0.8 * LABEL_SHARE * 2 * HISTORY_ROWS_PER_DAY < len(labelled) <= LABEL_SHARE * 2 * HISTORY_ROWS_PER_DAY + 30

    policy = _policy(workspace, project, analyst, window=policies.data_window("both"))
    steps = []
    done = retraining.start_retrain(workspace, analyst, policy.id, background=False,
                                    progress=lambda d, t, item=None, message=None: steps.append((d, t, message)))
    assert done.state == "done", done.message
    assert [m for _, _, m in steps][0].endswith("dataset version") and any("trial 1 of 1" in m for _, _, m in steps)
    assert done.counts == {"reference_rows": reference.rows, "production_rows": len(labelled),
                           "rows": reference.rows + len(labelled)}

    raw, frozen = datasets.get_dataset(workspace, done.raw_dataset_id), datasets.get_dataset(workspace, done.dataset_id)
    assert raw.lineage.kind == "retrain" and raw.lineage.parent_id == reference.id and raw.name == reference.name
    assert raw.rows == reference.rows + len(labelled) and raw.column_names == reference.column_names
    assert [c.dtype for c in raw.columns] == [c.dtype for c in reference.columns]  # typed as the reference types
    assert frozen.lineage.parent_id == raw.id and frozen.lineage.recipe_id == run.recipe_id  # the same recipe
    assert datasets.verify_dataset(workspace, raw) and datasets.verify_dataset(workspace, frozen)
    split = preparation.splits_for(workspace, frozen.id)[0]
    assert split.id == done.split_id
    assert (split.method, split.seed, split.test_size, split.validation_size, split.column) == (
        champion_split.method, champion_split.seed, champion_split.test_size, champion_split.validation_size,
        champion_split.column)

    baseline = develop_runs.get_search(workspace, done.baseline_search_id)  # the naive baseline, same rows
    assert (baseline.algorithm, baseline.dataset_id, baseline.split_id) == ("dummy", frozen.id, split.id)
    search, original = develop_runs.get_search(workspace, done.search_id), develop_runs.get_search(workspace, run.search_id)
    assert (search.dataset_id, search.split_id) == (frozen.id, split.id)
    assert (search.algorithm, search.method, search.space, search.cv_folds, search.seed) == (
        original.algorithm, original.method, original.space, original.cv_folds, original.seed)

    candidate = registry.get_version(workspace, done.model_version_id)
    assert training.get_run(workspace, candidate.run_id).search_id == search.id
    stored = __import__("lifecycle.validate.stage", fromlist=["latest_stored"]).latest_stored(workspace, candidate.id)
    assert stored.id == done.validation_id and stored.passed == done.validation_passed
    assert candidate.state == ("validated" if stored.passed else "candidate")

    # The comparison: on the new split's test rows the production version never trained on. The retrain's
    # rows are the reference's, in order, then the production rows; this recipe filters none out.
    assert done.comparison["version_a"] == champion.id and done.comparison["version_b"] == candidate.id
    assert frozen.rows == raw.rows
    assert datasets.load_table(workspace, raw).slice(0, reference.rows).equals(datasets.load_table(workspace, reference))
    test_rows = held_out(workspace, candidate).X.index.to_numpy()
    champion_parts = preparation.split_assignment(workspace, champion_split).to_numpy()
    expected = {int(i) for i in test_rows if i >= reference.rows or champion_parts[i] == "test"}
    rows = unseen.unseen_test_rows(workspace, champion_split=champion_split, recipe_id=run.recipe_id,
                                   candidate=candidate, raw_dataset_id=raw.id, reference_rows=reference.rows)
    assert set(rows.X.index) == expected and done.comparison["rows"] == len(expected)
    assert 0 < sum(i < reference.rows for i in expected) < len(expected)  # both kinds of unseen rows
    assert done.comparison["source"] == rows.source and "own held-out rows" in rows.source

    actions = [e.action for e in audit.recent_events(workspace, limit=200)]
    during = actions[actions.index("retrain.started"):]  # in order, from the start to the end on record
    assert during[-1] == "retrain.finished"
    expected_order = ["dataset.ingested", "dataset.frozen", "split.created", "search.started", "search.finished",
                      "search.started", "search.finished", "model.registered", "validation.recorded"]  # then the baseline
    assert [a for a in during if a in expected_order] == expected_order
    chain = {step.link: step for step in lineage.lineage(workspace, done)}
    assert chain["trigger"].text == "run by analyst" and chain["end"].status == "pass"
    assert chain["candidate"].entity == f"model:{candidate.id}" and chain["dataset version"].entity == f"dataset:{frozen.id}"
    assert chain["comparison"].text == done.comparison["sentence"]


def test_the_reference_alone_reuses_its_version_and_split_and_the_production_parameters_refit(world):
    workspace, project, people = world
    champion, run = _champion(workspace, project)
    before = len(datasets.list_datasets(workspace, project.id))
    policy = _policy(workspace, project, people["analyst"], window=policies.data_window("reference"),
                     search=policies.search_choice("production_params"))
    done = retraining.start_retrain(workspace, people["analyst"], policy.id, background=False)
    assert done.state == "done", done.message
    assert (done.dataset_id, done.split_id, done.raw_dataset_id) == (run.dataset_id, run.split_id, None)
    assert len(datasets.list_datasets(workspace, project.id)) == before  # no copy of the same rows
    search = develop_runs.get_search(workspace, done.search_id)
    assert search.method == "none" and search.space == {k: [v] for k, v in run.params.items()}
    refit = training.get_run(workspace, registry.get_version(workspace, done.model_version_id).run_id)
    assert refit.params == run.params and refit.dataset_id == run.dataset_id
    champion_test = preparation.splits_for(workspace, run.dataset_id)[0].counts["test"]
    assert done.comparison["rows"] == champion_test  # the production version's own held-out rows


def test_the_window_types_production_rows_as_the_reference_and_bounds_them_in_time(world):
    workspace, project, people = world
    _, run = _champion(workspace, project)
    reference = datasets.get_dataset(workspace, run.dataset_id)
    now = utc_now()
    found = window_rows(workspace, project, reference, policies.data_window("production", last_days=1), now=now)
    everything = labelled_production_rows(workspace, project.id)
    recent = labelled_production_rows(workspace, project.id, since=now - timedelta(days=1), until=now)
    assert found.reference_rows == 0 and found.production_rows == len(recent) < len(everything)
    assert (recent.times >= now - timedelta(days=1)).all()
    schema = datasets.load_table(workspace, reference).schema
    assert found.table.schema.names == schema.names and found.table.schema.types == schema.types
    # The production rows hold exactly what the clients sent and the label that counts.
    frame = found.table.to_pandas()
    assert frame["age"].tolist() == recent.frame["age"].tolist() and set(frame["y"]) <= {"yes", "no"}
    assert found.since == now - timedelta(days=1) and found.until == now


def test_bad_input_is_refused_and_changes_nothing(world):
    workspace, project, people = world
    analyst = people["analyst"]
    with pytest.raises(InputError, match="No algorithm named 'nope'"):
        _policy(workspace, project, analyst, search=policies.search_choice("custom", algorithm="nope"))
    with pytest.raises(InputError, match="Unknown data window 'yesterday'"):
        policies.data_window("yesterday")
    with pytest.raises(InputError, match="'nope' is not a parameter"):
        _policy(workspace, project, analyst, search=policies.search_choice("custom", algorithm="linear",
                                                                            method="grid", space={"nope": [1]}))
    assert policies.list_policies(workspace, project.id) == []

    # No labelled production row in the window, and the window asks for production rows only.
    long_ago = utc_now() - timedelta(days=400)
    empty = _policy(workspace, project, analyst, name="empty", window=policies.data_window(
        "production", since=long_ago, until=long_ago + timedelta(days=1)))
    footprint = _footprint(workspace, project)
    with pytest.raises(InputError, match="No labelled production row .* logged from"):
        retraining.start_retrain(workspace, analyst, empty.id, background=False)
    assert _footprint(workspace, project) == footprint

    # A project with nothing in production.
    bare = projects.create_project(workspace, analyst, name="Bare", task="binary", target="y", positive_class="yes")
    orphan = _policy(workspace, bare, analyst, name="orphan")
    footprint = _footprint(workspace, bare)
    with pytest.raises(InputError, match="has no version in production"):
        retraining.start_retrain(workspace, analyst, orphan.id, background=False)
    assert _footprint(workspace, bare) == footprint

    # A role that may not retrain, and a disabled policy.
    manual = _policy(workspace, project, analyst, name="manual")
    with pytest.raises(PermissionDenied, match="may not set retraining policies"):
        retraining.start_retrain(workspace, people["stakeholder"], manual.id, background=False)
    policies.disable_policy(workspace, analyst, manual.id)
    with pytest.raises(InputError, match="is disabled"):
        retraining.start_retrain(workspace, analyst, manual.id, background=False)

    # Two retrains at once on one project: the second is refused while the first runs.
    first = _policy(workspace, project, analyst, name="first", window=policies.data_window("reference"),
                    search=policies.search_choice("production_params"))
    entered, release = threading.Event(), threading.Event()

    def hold(done, total, item=None, message=None):
        entered.set()
        release.wait(30)

    ended = []
    worker = threading.Thread(target=lambda: ended.append(retraining.start_retrain(
        workspace, analyst, first.id, background=False, progress=hold)))
    worker.start()
    assert entered.wait(30)
    footprint = _footprint(workspace, project)
    with pytest.raises(InputError, match=r"Retrain #\d+ of 'Visits' is running"):
        retraining.start_retrain(workspace, analyst, first.id, background=False)
    assert _footprint(workspace, project) == footprint
    release.set()
    worker.join(60)
    assert ended[0].state == "done"


def test_a_cancelled_retrain_keeps_what_finished_and_registers_nothing(world):
    workspace, project, people = world
    analyst = people["analyst"]
    versions = len(registry.list_versions(workspace, project.id))
    policy = _policy(workspace, project, analyst, window=policies.data_window("production"))
    cancel = threading.Event()

    def stop_at_search(done, total, item=None, message=None):
        if "trial" in (message or ""):
            cancel.set()

    ended = retraining.start_retrain(workspace, analyst, policy.id, background=False, progress=stop_at_search,
                                     cancel=cancel)
    assert (ended.state, ended.model_version_id, ended.step) == ("cancelled", None, "search")
    assert ended.dataset_id is not None and develop_runs.get_search(workspace, ended.search_id).status == "cancelled"
    assert len(registry.list_versions(workspace, project.id)) == versions
    assert [e.details["state"] for e in audit.recent_events(workspace, entity_prefix=f"retrain:{ended.id}")
            if e.action == "retrain.finished"] == ["cancelled"]

    # From the page: a background retrain, cancelled through the job that runs it.
    slow = _policy(workspace, project, analyst, name="slow", window=policies.data_window("production"),
                   search=policies.search_choice("custom", algorithm="random_forest", method="random", trials=30,
                                                 cv_folds=3))
    started = retraining.start_retrain(workspace, analyst, slow.id)
    assert started.running and retraining.running_retrain(workspace, project.id).id == started.id
    retraining.cancel_retrain(workspace, analyst, started.id)
    job = retraining.job_of(workspace, started.id)
    assert job is None or job.join(60)
    assert retraining.get_retrain(workspace, started.id).state == "cancelled"
    assert len(registry.list_versions(workspace, project.id)) == versions
    with pytest.raises(InputError, match="is not running"):
        retraining.cancel_retrain(workspace, analyst, started.id)


def test_a_failure_leaves_a_clear_record_and_no_half_registered_version(world, monkeypatch):
    workspace, project, people = world
    versions = len(registry.list_versions(workspace, project.id))
    policy = _policy(workspace, project, people["analyst"], window=policies.data_window("reference"),
                     search=policies.search_choice("production_params"))

    def full_disk(*_args, **_kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(registry, "save_pipeline", full_disk)
    ended = retraining.start_retrain(workspace, people["analyst"], policy.id, background=False)
    assert (ended.state, ended.step, ended.model_version_id) == ("failed", "register", None)
    assert ended.message == "OSError: No space left on device" and ended.search_id is not None
    assert len(registry.list_versions(workspace, project.id)) == versions
    chain = {step.link: step for step in lineage.lineage(workspace, ended)}
    assert chain["candidate"].text == "not reached" and chain["end"].text.startswith("failed at register")


def test_a_retrain_left_running_by_a_stopped_process_is_marked_interrupted(world):
    workspace, project, people = world
    policy = _policy(workspace, project, people["analyst"])
    with workspace.db.transaction() as cursor:
        stale = retrain_store.insert_retrain(cursor, project_id=project.id, policy_id=policy.id, trigger="manual",
                                             alert_id=None, scheduled_for=None, requested_by="analyst",
                                             acting_as="analyst", champion_id=None, window={}, search={})
    found = recovery.reclaim(workspace)
    assert found.interrupted_retrains == (stale.id,) and f"#{stale.id}" in found.summary()
    ended = retraining.get_retrain(workspace, stale.id)
    assert ended.state == "failed" and ended.message.startswith("Interrupted")


def test_sensitive_attributes_sent_with_requests_are_used_and_missing_ones_are_said(world):
    """The model does not read a sensitive attribute, but the log keeps what a request carries: sent,
    it is used as sent; not sent, the window says the retrained model's fairness cannot be judged on
    those rows, why, and the fix (the fairness review would put them in '(missing)')."""
    from lifecycle.deploy.paths import log_dir
    from lifecycle.deploy.prediction_log import ANSWER, PredictionLog

    workspace, project, people = world
    project = projects.update_project(workspace, people["analyst"], project.id, sensitive=["city"])
    champion, run = _champion(workspace, project)
    reference = datasets.get_dataset(workspace, run.dataset_id)
    now = utc_now()
    sent = window_rows(workspace, project, reference, policies.data_window("production", until=now), now=now)
    assert sent.production_rows > 0 and sent.unattributed == {}  # the simulated clients send city (a model input)
    assert sent.table.column("city").null_count == 0 and not any("Fairness" in note for note in sent.notes)

    start = now + timedelta(minutes=1)
    log = PredictionLog(log_dir(workspace.path, project.id), flush_rows=1000, flush_seconds=3600)
    try:
        for i in range(12):
            at = start + timedelta(seconds=i)
            log.log(request_id=f"bare-{i}", version_id=champion.id, version=champion.version, role=ANSWER,
                    route="/predict", status=200, latency_ms=1.0, inputs=[{"age": 30 + i, "hours": 40.0}],
                    predictions=["yes"], time=at)
            log.feedback(f"bare-{i}", "yes" if i % 2 else "no", time=at + timedelta(seconds=30))
    finally:
        log.close()
    later = start + timedelta(minutes=5)
    bare = window_rows(workspace, project, reference, policies.data_window("production", since=start), now=later)
    assert bare.production_rows == 12 and bare.unattributed == {"city": 12}
    [note] = [note for note in bare.notes if note.startswith("Fairness not reviewable")]
    assert "12 of 12 lack 'city'" in note and "cannot be reviewed by 'city'" in note and "(missing)" in note
    assert "Fix: send the sensitive attributes with each request" in note
    assert not any("carry no 'city'" in n for n in bare.notes)  # said once, by the fairness note
    both = window_rows(workspace, project, reference, policies.data_window("both", since=start), now=later)
    [note] = [note for note in both.notes if note.startswith("Fairness not reviewable")]
    assert "judges its groups by 'city' on the other rows only" in note
