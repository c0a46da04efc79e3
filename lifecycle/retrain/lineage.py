"""A retrain's lineage in words, link by link: what caused it, the production version it started
from, the rows, the dataset version and split it froze, the search, the candidate, its validation
and its comparison with the production version. Read from the records; computes nothing."""
from __future__ import annotations

from dataclasses import dataclass

from lifecycle.problem.objectives import CATALOGUE
from lifecycle.records import Retrain
from lifecycle.store import alerts as alert_store
from lifecycle.store import datasets as dataset_store
from lifecycle.store import models as model_store
from lifecycle.store import preparation as preparation_store
from lifecycle.store import retrains as retrain_store
from lifecycle.store import runs as run_store
from lifecycle.workspace import Workspace

PASS, FAIL, PENDING, INFO = "pass", "fail", "pending", "reference"
VERDICT_STATUS = {"better": PASS, "worse": FAIL, "no detectable difference": PENDING}


@dataclass(frozen=True, kw_only=True)
class LineageStep:
    """One link: ``link`` (trigger, policy, champion, rows, dataset version, split, search, candidate,
    validation, comparison, end), what it was in words, a status (pass, fail, pending, reference) for
    its badge, and the record it names (``entity`` as the audit trail names it, e.g. ``model:3``)."""

    link: str
    text: str
    status: str
    entity: str | None = None


def lineage(workspace: Workspace, retrain: Retrain) -> tuple[LineageStep, ...]:
    """The chain of ``retrain``, from its trigger to its end; a link not reached says so."""
    cursor = workspace.db.cursor()
    steps = [_trigger(cursor, retrain)]
    policy = retrain_store.get_policy(cursor, retrain.policy_id)
    if policy is not None:
        steps.append(LineageStep(link="policy", text=f"#{policy.id} {policy.name}", status=INFO,
                                 entity=f"retrain_policy:{policy.id}"))
    if retrain.champion_id is not None:
        champion = model_store.get_version(cursor, retrain.champion_id)
        steps.append(LineageStep(link="production version", text=champion.label if champion else
                                 f"#{retrain.champion_id}", status=INFO, entity=f"model:{retrain.champion_id}"))
    counts = retrain.counts or {}
    if counts:
        steps.append(LineageStep(
            link="rows", status=INFO,
            text=f"{retrain.window.get('described', retrain.window.get('kind'))}: {counts.get('reference_rows', 0):,} "
                 f"reference and {counts.get('production_rows', 0):,} labelled production rows"))
    ended = not retrain.running

    def missing(link: str) -> LineageStep:
        return LineageStep(link=link, text="not reached" if ended else "to come", status=FAIL if ended else PENDING)

    if retrain.dataset_id is not None:
        dataset = dataset_store.get(cursor, retrain.dataset_id)
        raw = dataset_store.get(cursor, retrain.raw_dataset_id) if retrain.raw_dataset_id is not None else None
        made = (f"{dataset.label}, {dataset.rows:,} rows, frozen from {raw.label} with recipe #{dataset.lineage.recipe_id}"
                if raw is not None else f"{dataset.label} reused (the window is the reference alone)")
        steps.append(LineageStep(link="dataset version", text=made, status=PASS, entity=f"dataset:{dataset.id}"))
    else:
        steps.append(missing("dataset version"))
    split = preparation_store.get_split(cursor, retrain.split_id) if retrain.split_id is not None else None
    steps.append(LineageStep(link="split", text=f"#{split.id}: {split.method}, seed {split.seed}, "
                             + ", ".join(f"{part} {n:,}" for part, n in split.counts.items()),
                             status=PASS, entity=f"split:{split.id}") if split else missing("split"))
    steps.append(_search(cursor, retrain) if retrain.search_id is not None else missing("search"))
    if retrain.model_version_id is not None:
        version = model_store.get_version(cursor, retrain.model_version_id)
        steps.append(LineageStep(link="candidate", text=version.label, status=PASS,
                                 entity=f"model:{version.id}"))
    else:
        steps.append(missing("candidate"))
    steps.append(_validation(cursor, retrain) if retrain.validation_id is not None else missing("validation"))
    if retrain.comparison:
        verdict = retrain.comparison.get("verdict")
        steps.append(LineageStep(link="comparison", text=retrain.comparison.get("sentence", verdict),
                                 status=VERDICT_STATUS.get(verdict, PENDING)))
    else:
        steps.append(missing("comparison"))
    end = {"running": (PENDING, f"running: {retrain.step}"), "done": (PASS, "done"),
           "failed": (FAIL, f"failed at {retrain.step}: {retrain.message}"),
           "cancelled": (FAIL, f"cancelled at {retrain.step}: {retrain.message}")}[retrain.state]
    steps.append(LineageStep(link="end", text=end[1], status=end[0], entity=f"retrain:{retrain.id}"))
    return tuple(steps)


def _trigger(cursor, retrain: Retrain) -> LineageStep:
    if retrain.trigger == "alert":
        alert = alert_store.get(cursor, retrain.alert_id)
        text = (f"{alert.kind} alert #{alert.id}: {alert.title} (opened {alert.opened_at:%Y-%m-%d %H:%M} UTC)"
                if alert else f"alert #{retrain.alert_id}")
        return LineageStep(link="trigger", text=text, status=INFO, entity=f"alert:{retrain.alert_id}")
    if retrain.trigger == "schedule":
        return LineageStep(link="trigger", status=INFO,
                           text=f"schedule, due {retrain.scheduled_for:%Y-%m-%d %H:%M} UTC (acting as {retrain.acting_as})")
    return LineageStep(link="trigger", text=f"run by {retrain.requested_by}", status=INFO)


def _search(cursor, retrain: Retrain) -> LineageStep:
    search = run_store.get_search(cursor, retrain.search_id)
    runs = run_store.list_runs(cursor, retrain.project_id, search_id=search.id)
    finished = [r for r in runs if r.ok and r.primary_score is not None]
    what = (f"one configuration of {search.algorithm} (no search)" if search.method == "none"
            else f"{search.method} search of {search.algorithm}")
    text = f"#{search.id}: {what}, {len(finished)} of {len(runs)} trials finished"
    if finished:
        metric = finished[0].primary_metric
        higher = CATALOGUE[metric].higher_is_better
        best = max(finished, key=lambda r: r.primary_score if higher else -r.primary_score)
        text += f"; best run #{best.id}, cross-validated {CATALOGUE[metric].label} {best.primary_score:.4f}"
    if retrain.baseline_search_id is not None and finished:
        baseline = [r for r in run_store.list_runs(cursor, retrain.project_id, search_id=retrain.baseline_search_id)
                    if r.ok and r.primary_score is not None]
        if baseline:
            text += f" against {baseline[0].primary_score:.4f} for the naive baseline (run #{baseline[0].id})"
    status = PASS if search.status == "finished" and finished else (PENDING if search.status == "running" else FAIL)
    return LineageStep(link="search", text=text + f" ({search.status})", status=status, entity=f"search:{search.id}")


def _validation(cursor, retrain: Retrain) -> LineageStep:
    stored = model_store.latest_validation(cursor, retrain.model_version_id)
    failing = stored.failing_blocking_objectives if stored is not None and stored.id == retrain.validation_id else ()
    if retrain.validation_passed:
        text = f"report #{retrain.validation_id}: every blocking objective passes"
    else:
        text = f"report #{retrain.validation_id}: fails " + (", ".join(failing) or "a blocking objective")
    return LineageStep(link="validation", text=text, status=PASS if retrain.validation_passed else FAIL,
                       entity=f"model:{retrain.model_version_id}")
