"""A retrain: new rows, the production version's recipe and search, a validated candidate, on record.

One retrain, by a policy, resolved first (``retrain.retrain_plan``: the production version, its
run, split and search): (1) its window's rows (``retrain.window``) frozen as a new dataset version
with the production version's recipe and split with the same method, seed and shares (Data's own
``store_table``, ``freeze_dataset`` and ``create_split``: content-hashed, on the audit trail); (2)
the same search on it (Develop's ``run_search``: every trial a run, progress per trial, cancel after
the current trial), and the naive baseline (``dummy``) cross-validated on the same split, so the
candidate is benchmarked on its own rows; (3) the best run registered as a candidate (``register_run``) and validated
against the project's objectives (``validate_version``: a passing candidate moves to
``validated``); (4) the production version compared with it (``compare_versions``) on the new
split's test rows the production version never trained on.

The ``retrains`` record holds the lineage: what caused it (an alert, a schedule, a person), each
thing it made, its step while it runs and how it ended (``done``, ``failed`` with the reason, or
``cancelled``); its start and end are on the audit trail. Bad input is refused before anything is
written; a failure later leaves what was finished on record (a dataset version, a search's runs)
and never a half-registered model version: registration is one transaction. One retrain runs per
project at a time. In the app a retrain is a background job (``lifecycle.jobs``) the page polls and
may cancel; the CLI runs it in the foreground.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Callable

from lifecycle import jobs
from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.data.datasets import get_dataset, store_table
from lifecycle.data.preparation import create_split, freeze_dataset
from lifecycle.errors import InputError, LifecycleError, NotFound
from lifecycle.records import Lineage, ModelVersion, Project, Retrain, User
from lifecycle.retrain.policies import get_policy
from lifecycle.retrain.retrain_plan import Plan, Trigger, plan
from lifecycle.retrain.window import WindowRows, window_rows
from lifecycle.store import audit_log
from lifecycle.store import retrains as retrain_store
from lifecycle.workspace import Workspace

log = logging.getLogger("lifecycle.retrain")
BASELINE = "dummy"  # Develop's naive baseline: predicts the majority class (or the mean)
COMPARE_RESAMPLES = 1000
STEPS = ("rows", "dataset version", "split", "search", "register", "validate", "compare")
Progress = Callable[..., None]  # progress(done, total, item=None, message=None), as lifecycle.jobs reports it

# One retrain per project: the check and the insert happen under this lock (the app is one process;
# another process cannot open the workspace while the app holds it).
START_LOCK = threading.RLock()
_jobs: dict[tuple[str, int], jobs.Job] = {}  # (workspace path, retrain id) -> the job running it in this process


def running_retrain(workspace: Workspace, project_id: int) -> Retrain | None:
    """The project's retrain whose record says running, or None."""
    found = retrain_store.running(workspace.db.cursor(), project_id)
    return found[-1] if found else None


def _refuse_second(workspace: Workspace, project: Project) -> None:
    current = running_retrain(workspace, project.id)
    if current is not None:
        raise InputError(f"Retrain #{current.id} of {project.name!r} is running (started by {current.requested_by} "
                         f"at {current.started_at:%Y-%m-%d %H:%M} UTC, now at: {current.step}).",
                         "Wait for it to end, or cancel it (Retrain page), before starting another.")


def start_retrain(workspace: Workspace, actor: User, policy_id: int, *, trigger: Trigger | None = None,
                  requested_by: str | None = None, background: bool = True, progress: Progress | None = None,
                  cancel: threading.Event | None = None, now: datetime | None = None) -> Retrain:
    """Retrain by ``policy_id``, acting as ``actor`` (``requested_by`` names who asked, default the
    actor; an automatic trigger names the policy's owner). Everything a start can refuse is checked
    first, with nothing written: PermissionDenied (RETRAIN), NotFound, InputError (a disabled policy, no
    production version, a window asking for labelled production rows only when none is in range, a
    production column that cannot be typed, a search that cannot be repeated, a retrain already running
    on the project). Then the record is made (state ``running``) and the work runs: in a background job
    (``background``, the app; returns the running record) or here (returns the ended record;
    ``progress(done, total, message=...)`` and ``cancel`` as a job's)."""
    require(actor, Permission.RETRAIN)
    trigger = trigger or Trigger()
    policy = get_policy(workspace, policy_id)
    if not policy.enabled:
        raise InputError(f"Policy #{policy.id} ({policy.name}) is disabled.", "Enable it first, then run it.")
    now = now or utc_now()
    with START_LOCK:
        found = plan(workspace, policy)
        _refuse_second(workspace, found.project)
        reference = get_dataset(workspace, found.run.dataset_id)
        rows = window_rows(workspace, found.project, reference, policy.window, now=now)
        with workspace.db.transaction() as cursor:
            record = retrain_store.insert_retrain(
                cursor, project_id=found.project.id, policy_id=policy.id, trigger=trigger.kind,
                alert_id=trigger.alert_id, scheduled_for=trigger.scheduled_for,
                requested_by=requested_by or actor.name, acting_as=actor.name, champion_id=found.champion.id,
                window=rows.resolved(), search=found.search, step=STEPS[0], notes=rows.notes)
            record = retrain_store.update_retrain(cursor, record.id, counts=rows.counts())
            audit_log.append(cursor, actor=actor.name, action="retrain.started", entity=f"retrain:{record.id}",
                             details={"project_id": found.project.id, "policy_id": policy.id, "trigger": trigger.kind,
                                      "alert_id": trigger.alert_id,
                                      "scheduled_for": trigger.scheduled_for.isoformat() if trigger.scheduled_for
                                      else None, "requested_by": record.requested_by,
                                      "champion_id": found.champion.id, "window": rows.resolved(),
                                      "search": found.search, **rows.counts()})
        if background:
            job = jobs.start(f"retrain #{record.id} ({policy.name})", _execute, workspace=workspace,
                             project_id=found.project.id, actor=actor, retrain_id=record.id, found=found, rows=rows)
            _jobs[(str(workspace.path), record.id)] = job
            return record
    return _execute(workspace=workspace, actor=actor, retrain_id=record.id, found=found, rows=rows,
                    progress=progress or _quiet, cancel=cancel or threading.Event())


def _quiet(*_args: Any, **_kwargs: Any) -> None:
    return None


class _Cancelled(Exception):
    """Raised between steps once cancel is set."""


def _execute(*, workspace: Workspace, actor: User, retrain_id: int, found: Plan, rows: WindowRows,
             progress: Progress, cancel: threading.Event, project_id: int | None = None) -> Retrain:
    """Run the steps of a started retrain and record how it ended; returns the ended record."""
    search = found.search
    trials = _planned_trials(search)
    total = len(STEPS) - 1 + trials
    done = 0

    def step(name: str, **changes: Any) -> None:
        nonlocal done
        if cancel.is_set():
            raise _Cancelled()
        with workspace.db.transaction() as cursor:
            retrain_store.update_retrain(cursor, retrain_id, step=name, **changes)
        progress(done, total, message=f"Retrain #{retrain_id}: {name}")

    try:
        step("dataset version")
        dataset, split, raw_id = _dataset_and_split(workspace, actor, retrain_id, found, rows)
        done += 2
        step("search", raw_dataset_id=raw_id, dataset_id=dataset.id, split_id=split.id)
        from lifecycle.develop.search import run_search

        def trial(count: int, planned: int, run=None) -> None:
            progress(done + count, total - trials + planned, item=run,
                     message=f"Retrain #{retrain_id}: search, trial {count} of {planned}")

        result = run_search(workspace, actor, project_id=found.project.id, dataset_id=dataset.id, split_id=split.id,
                            algorithm=search["algorithm"], method=search["method"], trials=search["trials"],
                            seed=search["seed"], space=search["space"], cv_folds=search["cv_folds"],
                            progress=trial, cancel=cancel)
        done += trials
        with workspace.db.transaction() as cursor:
            retrain_store.update_retrain(cursor, retrain_id, search_id=result.search_id)
        if result.cancelled or cancel.is_set():
            raise _Cancelled()
        if result.best_run_id is None:
            raise InputError(f"No trial of search #{result.search_id} finished ({result.failed} failed).",
                             "Read the runs' errors on the Develop page; fix the data or the search space.")
        if search["algorithm"] != BASELINE:  # the naive baseline on the same rows: what the candidate must beat
            baseline = run_search(workspace, actor, project_id=found.project.id, dataset_id=dataset.id,
                                  split_id=split.id, algorithm=BASELINE, method="none", seed=search["seed"],
                                  cv_folds=search["cv_folds"])
            with workspace.db.transaction() as cursor:
                retrain_store.update_retrain(cursor, retrain_id, baseline_search_id=baseline.search_id)
        step("register")
        from lifecycle.models.registry import register_run

        candidate = register_run(workspace, actor, result.best_run_id)
        done += 1
        step("validate", model_version_id=candidate.id)
        from lifecycle.validate.stage import validate_version

        outcome = validate_version(workspace, actor, candidate.id)
        done += 1
        with workspace.db.transaction() as cursor:
            retrain_store.update_retrain(cursor, retrain_id, validation_id=outcome.stored.id,
                                         validation_passed=outcome.report.passed, step="compare")
        progress(done, total, message=f"Retrain #{retrain_id}: compare")
        comparison, note = _compare(workspace, found, candidate, raw_id, rows)
        done += 1
        return _finish(workspace, actor, retrain_id, "done", "", comparison=comparison, note=note)
    except _Cancelled:
        return _finish(workspace, actor, retrain_id, "cancelled", "Cancelled; what was finished stays on record.")
    except LifecycleError as error:
        return _finish(workspace, actor, retrain_id, "failed", str(error))
    except Exception as error:  # recorded for the page and the CLI; the details go to the log
        log.exception("Retrain #%s failed", retrain_id)
        return _finish(workspace, actor, retrain_id, "failed", f"{type(error).__name__}: {error}")
    except BaseException:  # Ctrl+C in the CLI: on record as cancelled, then let it stop the process
        _finish(workspace, actor, retrain_id, "cancelled", "Interrupted (the process was asked to stop).")
        raise
    finally:
        _jobs.pop((str(workspace.path), retrain_id), None)


def _planned_trials(search: dict[str, Any]) -> int:
    if search["method"] == "none":
        return 1
    return int(search["trials"] or 1)


def _dataset_and_split(workspace: Workspace, actor: User, retrain_id: int, found: Plan,
                       rows: WindowRows):
    """The dataset version and split to search on, and the raw version frozen into it (None when reused)."""
    reference = get_dataset(workspace, found.run.dataset_id)
    if rows.reuses_reference:
        return reference, found.split, None
    lineage = Lineage(kind="retrain", name=f"retrain #{retrain_id}", parent_id=reference.id,
                      notes=(f"{rows.reference_rows:,} rows of the reference {reference.label}",
                             f"{rows.production_rows:,} labelled production rows",
                             *rows.notes))
    raw = store_table(workspace, actor, found.project.id, rows.table, name=reference.name, lineage=lineage)
    frozen = freeze_dataset(workspace, actor, raw.id, found.run.recipe_id)
    split = create_split(workspace, actor, frozen.id, method=found.split.method, seed=found.split.seed,
                         test_size=found.split.test_size, validation_size=found.split.validation_size,
                         column=found.split.column)
    return frozen, split, raw.id


def _compare(workspace: Workspace, found: Plan, candidate: ModelVersion, raw_id: int | None,
             rows: WindowRows) -> tuple[dict | None, str | None]:
    """The production version against the candidate on the new split's test rows it never trained on:
    the production rows, and the reference rows its own split held out (``unseen.unseen_test_rows``)."""
    from lifecycle.retrain.compare import compare_versions
    from lifecycle.retrain.unseen import unseen_test_rows

    try:
        labelled = unseen_test_rows(workspace, champion_split=found.split, recipe_id=found.run.recipe_id,
                                    candidate=candidate, raw_dataset_id=raw_id,
                                    reference_rows=rows.reference_rows)
        comparison = compare_versions(workspace, found.champion.id, candidate.id, rows=labelled,
                                      n_resamples=COMPARE_RESAMPLES, actor_name="system")
    except LifecycleError as error:
        return None, f"No comparison with the production version: {error}"
    return comparison.to_dict(), None


def _finish(workspace: Workspace, actor: User, retrain_id: int, state: str, message: str, *,
            comparison: dict | None = None, note: str | None = None) -> Retrain:
    with workspace.db.transaction() as cursor:
        current = retrain_store.get_retrain(cursor, retrain_id)
        changes: dict[str, Any] = {"state": state, "message": message[:2000], "finished_at": utc_now()}
        if comparison is not None:
            changes["comparison"] = comparison
        if note:
            changes["notes"] = [*current.notes, note]
        ended = retrain_store.update_retrain(cursor, retrain_id, **changes)
        audit_log.append(cursor, actor=actor.name, action="retrain.finished", entity=f"retrain:{retrain_id}",
                         details={"project_id": ended.project_id, "state": state, "step": ended.step,
                                  "message": ended.message, "raw_dataset_id": ended.raw_dataset_id,
                                  "dataset_id": ended.dataset_id, "split_id": ended.split_id,
                                  "search_id": ended.search_id, "model_version_id": ended.model_version_id,
                                  "validation_id": ended.validation_id, "validation_passed": ended.validation_passed,
                                  "comparison": None if ended.comparison is None else
                                  {k: ended.comparison.get(k) for k in ("verdict", "metric", "effect", "low", "high",
                                                                        "p_value")}})
    return ended


def cancel_retrain(workspace: Workspace, actor: User, retrain_id: int) -> Retrain:
    """Ask a running retrain to stop after its current step (a search stops after its current trial,
    keeping the runs it finished; no model version is registered after a cancel). A retrain whose
    record says running but that no job of this process runs (its process stopped) is marked failed
    at once. Raises PermissionDenied (RETRAIN), NotFound, InputError (it is not running)."""
    require(actor, Permission.RETRAIN)
    record = get_retrain(workspace, retrain_id)
    if not record.running:
        raise InputError(f"Retrain #{record.id} is not running (it is {record.state}).", "Nothing to cancel.")
    job = _jobs.get((str(workspace.path), record.id))
    if job is None or not job.state.running:
        with workspace.db.transaction() as cursor:
            ended = retrain_store.update_retrain(cursor, record.id, state="failed", finished_at=utc_now(),
                                                 message="Interrupted: the process running it stopped before it "
                                                         "ended; what it finished stays on record.")
            audit_log.append(cursor, actor=actor.name, action="retrain.finished", entity=f"retrain:{record.id}",
                             details={"project_id": record.project_id, "state": "failed", "step": record.step,
                                      "message": ended.message})
        return ended
    job.request_cancel()
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor.name, action="retrain.cancel_requested", entity=f"retrain:{record.id}",
                         details={"project_id": record.project_id, "step": record.step})
    return record


def job_of(workspace: Workspace, retrain_id: int) -> jobs.Job | None:
    """The background job running this retrain in this process (for its live progress), or None."""
    return _jobs.get((str(workspace.path), retrain_id))


def get_retrain(workspace: Workspace, retrain_id: int) -> Retrain:
    """The retrain with this id. Raises NotFound."""
    record = retrain_store.get_retrain(workspace.db.cursor(), int(retrain_id))
    if record is None:
        raise NotFound(f"No retrain #{retrain_id}.", "List a project's retrains on the Retrain page.")
    return record


def retrains_for(workspace: Workspace, project_id: int, *, limit: int | None = None) -> list[Retrain]:
    """The project's retrains, newest first."""
    return retrain_store.retrains_for(workspace.db.cursor(), project_id, limit=limit)
