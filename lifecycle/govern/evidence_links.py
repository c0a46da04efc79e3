"""Where each checklist item finds its evidence: a small registry of functions, one or more per
item, each reading the version's record (:class:`~lifecycle.govern.record.VersionRecord`) and
saying what the app holds (``present``), what is missing and how to produce it (``missing``), or
that the item is a reviewer's statement (``attestation``), with links to the evidence.

The hook for later stages: a stage that produces evidence for an item adds a function here,

    @finder("monitoring_plan")
    def monitor_plan(record: VersionRecord) -> Found: ...

and ``find`` merges every function of the item: the item is present when any of them finds
evidence (their links together), an attestation when one asks for a reviewer's statement and none
finds evidence, else missing with the first function's "what to do". The last functions here are
such plug-ins: stage 6's stored performance windows and alerts (``monitoring_plan``) and stage 7's
A/B tests (``benchmark_challenger``); the first function of each item says what to do when none finds
anything.
"""
from __future__ import annotations

from lifecycle.govern.finders import ATTESTATION, MISSING, PRESENT, STATUSES, EvidenceLink, Found, finder, find
from lifecycle.govern.record import VersionRecord

__all__ = ["ATTESTATION", "MISSING", "PRESENT", "STATUSES", "EvidenceLink", "Found", "finder", "find"]

PROBLEM, DEVELOP, VALIDATE, DEPLOY, GOVERN = ("pages/problem.py", "pages/develop.py", "pages/validate.py",
                                              "pages/deploy.py", "pages/govern.py")


def _validation_link(record: VersionRecord) -> EvidenceLink:
    stored = record.validation
    return EvidenceLink(label=f"Validation report #{stored.id} ({stored.created_at:%Y-%m-%d}, by {stored.created_by})",
                        ref=f"validation:{stored.id}", page=VALIDATE)


def _evidence_link(record: VersionRecord, kind: str, words: str) -> EvidenceLink | None:
    found = record.latest(kind)
    if found is None:
        return None
    return EvidenceLink(label=f"{words} #{found.id} ({found.created_at:%Y-%m-%d}, by {found.created_by})",
                        ref=f"evidence:{found.id}", page=VALIDATE)


def _report(record: VersionRecord) -> dict:
    return {} if record.validation is None else record.validation.report


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


_NOT_VALIDATED = "Validate the version on its test split (Validate page, or `python -m lifecycle validate ID`)."


@finder("inventory")
def inventory(record: VersionRecord) -> Found:
    project, version = record.project, record.version
    summary = (f"Project #{project.id} {project.name!r}, model v{version.version} (#{version.id}), owner "
               f"{project.owner or 'not named'}, risk tier {project.risk_tier or 'not set'}, state {version.state}.")
    link = EvidenceLink(label=f"Project #{project.id} (stage 1)", ref=f"project:{project.id}", page=PROBLEM)
    if not project.owner or not project.risk_tier:
        return Found(status=MISSING, summary=summary, links=(link,),
                     todo="Name the project's owner and risk tier on the Problem page.")
    return Found(status=PRESENT, summary=summary, links=(link,))


@finder("intended_purpose")
def intended_purpose(record: VersionRecord) -> Found:
    project = record.project
    fields = {"problem statement": project.statement, "intended use and users": project.intended_use,
              "out-of-scope use": project.out_of_scope}
    empty = [name for name, value in fields.items() if not value.strip()]
    link = EvidenceLink(label=f"Project #{project.id}: statement, intended and out-of-scope use",
                        ref=f"project:{project.id}", page=PROBLEM)
    if empty:
        return Found(status=MISSING, summary=f"Not recorded: {', '.join(empty)}.", links=(link,),
                     todo="Write them on the Problem page (stage 1): who uses the model, for what, and what it must "
                          "not be used for.")
    return Found(status=PRESENT, summary=f"Intended use: {project.intended_use} Out of scope: {project.out_of_scope}",
                 links=(link,))


@finder("regulations")
def regulations(record: VersionRecord) -> Found:
    return Found(status=ATTESTATION,
                 summary=f"The app does not know which laws apply; the project's risk tier is {record.project.risk_tier}.",
                 links=(EvidenceLink(label=f"Project #{record.project.id}: risk tier", ref=f"project:{record.project.id}",
                                     page=PROBLEM),),
                 todo="A reviewer names the regulations and internal policies that apply (for example the EU AI Act's "
                      "risk class, GDPR Article 22, sector rules) in the item's comment.")


@finder("design_choices")
def design_choices(record: VersionRecord) -> Found:
    run = record.run
    if run is None:
        return Found(status=MISSING, summary=f"The run #{record.version.run_id} that trained it is not on record.",
                     todo="Register a version from a tracked run (Develop) so its algorithm, parameters and search "
                          "are on record.")
    how = (f"chosen by a {record.search.method} search of {record.search.trials_requested} trial(s) "
           f"(search #{record.search.id})" if record.search is not None else "trained alone")
    links = [EvidenceLink(label=f"Run #{run.id} ({run.algorithm})", ref=f"run:{run.id}", page=DEVELOP)]
    if record.search is not None:
        links.append(EvidenceLink(label=f"Search #{record.search.id}", ref=f"search:{record.search.id}", page=DEVELOP))
    params = ", ".join(f"{name}={_short(value)}" for name, value in sorted(run.params.items())) or "the defaults"
    return Found(status=PRESENT, summary=f"{run.algorithm}, {how}, {run.cv_folds}-fold cross-validation on "
                                         f"{run.primary_metric}; parameters {params}.", links=tuple(links))


def _short(value) -> str:
    """A parameter as a reader wants it: floats to 4 significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@finder("data_provenance")
def data_provenance(record: VersionRecord) -> Found:
    dataset = record.dataset
    if dataset is None:
        return Found(status=MISSING, summary="The dataset version it was trained on is not on record.",
                     todo="Train from a frozen dataset version (Data) so its lineage and content hash are on record.")
    lineage = dataset.lineage
    source = {"file": "an uploaded file", "bundled": "a bundled dataset", "query": "a saved SQL query",
              "derived": "a prepared version"}.get(lineage.kind, lineage.kind)
    recipe = f", recipe #{lineage.recipe_id}" if lineage.recipe_id is not None else ""
    parent = f" of dataset #{lineage.parent_id}" if lineage.parent_id is not None else ""
    return Found(status=PRESENT,
                 summary=f"{dataset.name} v{dataset.version} (#{dataset.id}), {dataset.rows:,} rows, from {source} "
                         f"{lineage.name!r}{parent}{recipe}; content SHA-256 {dataset.content_hash[:16]}…",
                 links=(EvidenceLink(label=f"Dataset version #{dataset.id}", ref=f"dataset:{dataset.id}",
                                     page="pages/data.py"),))


@finder("training_data_bias")
def training_data_bias(record: VersionRecord) -> Found:
    if not record.project.sensitive:
        return Found(status=MISSING, summary="The project declares no sensitive attribute.",
                     todo="Declare the sensitive attributes on the Problem page, then review fairness (Validate).")
    review = _evidence_link(record, "fairness", "Fairness review")
    if review is None:
        return Found(status=MISSING, summary="No fairness review is stored.",
                     todo="Review fairness on the Validate page (Fairness) or with `python -m lifecycle fairness ID`.")
    groupings = record.latest("fairness").payload.get("groupings") or []
    small = sum(bool(g.get("small")) for grouping in groupings for g in grouping.get("groups") or [])
    return Found(status=ATTESTATION,
                 summary=f"Groups by {', '.join(record.project.sensitive)} and their intersection are reviewed "
                         f"({small} group(s) too small to compare). The app does not search for proxies of the "
                         "sensitive attributes among the inputs.",
                 links=(review,),
                 todo="A reviewer states how the training data was checked for bias and for proxies of the sensitive "
                      "attributes, reading the fairness review's group sizes and rates.")


@finder("validation_data")
def validation_data(record: VersionRecord) -> Found:
    if record.validation is None:
        return Found(status=MISSING, summary="No validation report.", todo=_NOT_VALIDATED)
    split = record.split
    how = (f"a {split.method} split (#{split.id}, seed {split.seed}, {split.test_size:.0%} test) of the training "
           "dataset version" if split is not None else "the held-out rows of its split")
    return Found(status=PRESENT,
                 summary=f"{_report(record).get('n_test', '?')} held-out test rows from {how}. Closeness to "
                         "production is measured once live traffic is logged (drift, stage 6).",
                 links=(_validation_link(record),))


@finder("performance_intervals")
def performance_intervals(record: VersionRecord) -> Found:
    if record.validation is None:
        return Found(status=MISSING, summary="No validation report.", todo=_NOT_VALIDATED)
    report = _report(record)
    metrics = report.get("metrics") or {}
    with_intervals = {name: m for name, m in metrics.items() if m and m.get("low") is not None}
    if not with_intervals:
        return Found(status=MISSING, summary="The validation report holds no metric with an interval.",
                     links=(_validation_link(record),), todo="Validate it again: the report computes bootstrap intervals.")
    primary = report.get("primary_metric") or next(iter(with_intervals))
    shown = with_intervals.get(primary) or next(iter(with_intervals.values()))
    verdict = "every blocking objective passes" if record.validation.passed else (
        "failing: " + ", ".join(record.validation.failing_blocking_objectives))
    return Found(status=PRESENT,
                 summary=f"{primary} {_number(shown.get('value'))} (95% interval {_number(shown.get('low'))}–"
                         f"{_number(shown.get('high'))}, {report.get('n_bootstrap', '?')} bootstrap resamples); "
                         f"{len(with_intervals)} metric(s) with intervals; {verdict}.",
                 links=(_validation_link(record),))


@finder("group_accuracy")
def group_accuracy(record: VersionRecord) -> Found:
    if not record.project.sensitive:
        return Found(status=MISSING, summary="The project declares no sensitive attribute.",
                     todo="Declare the sensitive attributes on the Problem page, then review fairness (Validate).")
    found = record.latest("fairness")
    if found is None:
        return Found(status=MISSING, summary="No fairness review is stored.",
                     todo="Review fairness on the Validate page (Fairness) or with `python -m lifecycle fairness ID`.")
    names = [g.get("name", "") for g in found.payload.get("groupings") or []]
    intersection = any(len(g.get("attributes") or ()) > 1 for g in found.payload.get("groupings") or [])
    link = _evidence_link(record, "fairness", "Fairness review")
    if len(record.project.sensitive) > 1 and not intersection:
        return Found(status=MISSING, summary=f"Reviewed by {', '.join(names)} but not by their intersection.",
                     links=(link,), todo="Review fairness again with every sensitive attribute: the review adds "
                                         "their intersection.")
    return Found(status=PRESENT, summary=f"{found.summary.rstrip('. ')}. Groupings: {', '.join(names)}.",
                 links=(link,))


@finder("robustness_calibration")
def robustness_calibration(record: VersionRecord) -> Found:
    if record.validation is None:
        return Found(status=MISSING, summary="No validation report.", todo=_NOT_VALIDATED)
    report = _report(record)
    checks = report.get("robustness") or []
    task = report.get("task")
    calibrated = task != "binary" or report.get("calibration") is not None
    if not checks or not calibrated:
        missing = [w for w, ok in (("robustness checks", bool(checks)), ("a calibration curve", calibrated)) if not ok]
        return Found(status=MISSING, summary=f"The report holds no {' and no '.join(missing)}.",
                     links=(_validation_link(record),), todo="Validate it again: the report runs both.")
    words = "robustness to noise, missing values and swapped categories" + (
        " and a calibration curve" if task == "binary" else "")
    return Found(status=PRESENT, summary=f"{len(checks)} robustness check(s): {words}.",
                 links=(_validation_link(record),))


@finder("explanations_reviewed")
def explanations_reviewed(record: VersionRecord) -> Found:
    found = record.latest("explanation")
    if found is None:
        return Found(status=MISSING, summary="No explanation is stored.",
                     todo="Explain the version on the Validate page (Explain) or with `python -m lifecycle explain ID`.")
    return Found(status=PRESENT, summary=found.summary,
                 links=(_evidence_link(record, "explanation", "SHAP explanation"),))


@finder("limitations")
def limitations(record: VersionRecord) -> Found:
    if record.validation is None:
        return Found(status=MISSING, summary="No validation report.", todo=_NOT_VALIDATED)
    report = _report(record)
    cohorts = (report.get("weakest_cohorts") or {}).get("cohorts") or []
    notes = report.get("notes") or []
    failing_advisory = [v["objective"] for v in report.get("verdicts") or []
                        if not v.get("blocking") and v.get("status") == "fail"]
    parts = [f"{len(cohorts)} weakest cohort(s) named", f"{len(notes)} note(s) in the report"]
    if failing_advisory:
        parts.append("advisory objectives not met: " + ", ".join(failing_advisory))
    if record.project.out_of_scope:
        parts.append(f"out of scope: {record.project.out_of_scope.strip().rstrip('.')}")
    return Found(status=PRESENT, summary="; ".join(parts) + ".", links=(_validation_link(record),))


@finder("benchmark_challenger")
def benchmark_challenger(record: VersionRecord) -> Found:
    run = record.run
    links = []
    parts = []
    for baseline in record.baselines[-1:]:
        links.append(EvidenceLink(label=f"Baseline run #{baseline.id} ({baseline.algorithm})", ref=f"run:{baseline.id}",
                                  page=DEVELOP))
        metric = run.primary_metric if run is not None else baseline.primary_metric
        parts.append(f"cross-validated {metric}: {_number(run.metric(metric) if run else None)} against "
                     f"{_number(baseline.metric(metric))} for the naive baseline")
    if record.feasibility is not None:
        links.append(EvidenceLink(label=f"Feasibility check #{record.feasibility.id}",
                                  ref=f"project-evidence:{record.feasibility.id}", page=PROBLEM))
        parts.append(f"feasibility: {record.feasibility.summary.strip().rstrip('.')}")
    if not parts:
        return Found(status=MISSING, summary="No baseline or challenger is on record for this dataset version.",
                     todo="Train the naive baseline (algorithm dummy) on the same dataset version (Develop), or run the "
                          "feasibility check (Problem); champion–challenger comparisons come from the Retrain stage.")
    return Found(status=PRESENT, summary="; ".join(parts) + ".", links=tuple(links))


@finder("monitoring_plan")
def monitoring_plan(record: VersionRecord) -> Found:
    thresholds = [str(o) for o in record.objectives.objectives] if record.objectives else []
    return Found(status=MISSING, summary="No monitoring is set up for this version.",
                 links=(EvidenceLink(label="Objectives (the alert thresholds)", ref=f"project:{record.project.id}",
                                     page=PROBLEM),) if thresholds else (),
                 todo="Set up monitoring in stage 6 (Monitor): drift and live performance in windows, alerting on the "
                      "objectives' thresholds" + (f" ({', '.join(thresholds)})" if thresholds else "") + ".")


@finder("prediction_logging")
def prediction_logging(record: VersionRecord) -> Found:
    served = [d for d in record.deployments]
    if not served:
        return Found(status=MISSING, summary="The version has never served traffic, so nothing is logged yet.",
                     todo="Promote it (Deploy): the scoring service logs every prediction and feedback as Parquet "
                          "segments.")
    return Found(status=PRESENT,
                 summary=f"Served {len(served)} time(s) (as {', '.join(sorted({d.role for d in served}))}); the scoring "
                         f"service logs every answer: {record.log_segments} segment(s) in the project's log.",
                 links=tuple(EvidenceLink(label=f"Deployment #{d.id} ({d.role}, from {d.started_at:%Y-%m-%d})",
                                          ref=f"deployment:{d.id}", page=DEPLOY) for d in served))


@finder("human_oversight")
def human_oversight(record: VersionRecord) -> Found:
    use = record.project.intended_use.strip()
    return Found(status=ATTESTATION,
                 summary=f"Intended use as recorded: {use}" if use else "No intended use is recorded.",
                 links=(EvidenceLink(label=f"Project #{record.project.id}: intended use", ref=f"project:{record.project.id}",
                                     page=PROBLEM),),
                 todo="A reviewer states who oversees the model's decisions, how they can override or stop it, and "
                      "what they are trained to read.")


@finder("risks_accepted")
def risks_accepted(record: VersionRecord) -> Found:
    links = [link for link in (_evidence_link(record, "fairness", "Fairness review"),
                               _evidence_link(record, "mitigation", "Mitigation trade-off")) if link]
    if record.validation is not None:
        links.insert(0, _validation_link(record))
    return Found(status=ATTESTATION, summary="The risks found (failing advisory objectives, weak cohorts, group gaps) "
                                             "and their mitigations are in the linked evidence.",
                 links=tuple(links),
                 todo="A reviewer states which risks remain, their mitigations, and that they are accepted.")


@finder("privacy_security")
def privacy_security(record: VersionRecord) -> Found:
    version = record.version
    sensitive = ", ".join(record.project.sensitive) or "none declared"
    return Found(status=ATTESTATION,
                 summary=f"The artifact is a skops file (SHA-256 {version.artifact_hash[:16]}…) loaded only through "
                         f"the allow-list; sensitive attributes: {sensitive}.",
                 links=(EvidenceLink(label=f"Model version #{version.id}", ref=f"model:{version.id}", page=DEPLOY),),
                 todo="A reviewer states the privacy review (lawful basis, personal data in the inputs and the logs, "
                      "retention) and the security review (who can reach the service, tokens, the artifact).")


@finder("independent_validation")
def independent_validation(record: VersionRecord) -> Found:
    if record.validation is None:
        return Found(status=MISSING, summary="No validation report.", todo=_NOT_VALIDATED)
    builders = {record.version.trained_by, record.version.created_by}
    by = record.validation.created_by
    if by not in builders:
        return Found(status=PRESENT, summary=f"Validated by {by}, who neither trained nor registered it.",
                     links=(_validation_link(record),))
    return Found(status=ATTESTATION, summary=f"Validated by {by}, who built it.", links=(_validation_link(record),),
                 todo="A reviewer who did not build it states that they challenged the validation (effective "
                      "challenge): the evidence was re-read and the conclusions hold.")


@finder("change_log")
def change_log(record: VersionRecord) -> Found:
    events = record.events
    if not events:
        return Found(status=MISSING, summary="No audit event names this version.",
                     todo="Register versions through the app or the CLI, which record every change.")
    return Found(status=PRESENT, summary=f"{len(events)} audit event(s), from {events[0].action} "
                                         f"({events[0].at[:10]}) to {events[-1].action} ({events[-1].at[:10]}).",
                 links=(EvidenceLink(label=f"Audit events {events[0].seq}–{events[-1].seq}",
                                     ref=f"audit:model:{record.version.id}", page=GOVERN),))


@finder("retirement_criteria")
def retirement_criteria(record: VersionRecord) -> Found:
    return Found(status=ATTESTATION, summary="No retirement criteria are on record.",
                 todo="A reviewer states when this version must be retired (a performance floor, an age, a change in "
                      "the data or the law) and who decides.")


# -- evidence from stage 6 (Monitor) and stage 7 (Retrain) --------------------------------------------


def _size(seconds: int) -> str:
    from lifecycle.monitor.windows import format_size

    return format_size(seconds)


@finder("monitoring_plan")
def monitored_windows(record: VersionRecord) -> Found:
    """Stage 6: the version's live performance stored per window, and the alerts raised on it."""
    if not record.monitored and not record.alerts:
        return Found(status=MISSING, summary="No window of live performance is stored for this version.",
                     todo="Refresh its performance in stage 6 once it serves (monitor.refresh_performance).")
    parts = [f"{_size(size)} windows: {windows} stored, {labelled:,} of {predictions:,} predictions labelled"
             for size, windows, predictions, labelled in record.monitored]
    if record.objectives:
        parts.append("alerting on " + ", ".join(str(o) for o in record.objectives.objectives))
    if record.alerts:
        states = {state: sum(a.state == state for a in record.alerts) for state in ("open", "acknowledged", "resolved")}
        parts.append("alerts: " + ", ".join(f"{n} {state}" for state, n in states.items() if n))
    links = [EvidenceLink(label=f"Alert #{a.id} ({a.kind}, {a.state}): {a.title}", ref=f"alert:{a.id}")
             for a in record.alerts[:5]]
    return Found(status=PRESENT, summary="; ".join(parts) + ".", links=tuple(links))


@finder("benchmark_challenger")
def ab_tests(record: VersionRecord) -> Found:
    """Stage 7: the A/B tests the version took part in, as champion or challenger, and their verdicts."""
    if not record.abtests:
        return Found(status=MISSING, summary="No A/B test involved this version.",
                     todo="Run an A/B test against the production version in stage 7 (Retrain).")
    parts = []
    for test in record.abtests:
        role = "challenger" if test.challenger_id == record.version.id else "champion"
        verdict = (test.result or {}).get("sentence") or ""
        parts.append(f"A/B test #{test.id} as {role}: {test.status}" + (f", {test.decision}" if test.decision else "")
                     + (f" ({verdict})" if verdict else ""))
    return Found(status=PRESENT, summary="; ".join(parts) + ".",
                 links=tuple(EvidenceLink(label=f"A/B test #{t.id} ({t.status})", ref=f"abtest:{t.id}",
                                          page="pages/retrain.py") for t in record.abtests))
