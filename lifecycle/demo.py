"""The demo workspace a newcomer sees on first start: real data, a live project, one user per role."""
from __future__ import annotations

import threading

from lifecycle import auth
from lifecycle.data import datasets
from lifecycle.data import preparation
from lifecycle.problem import projects
from lifecycle.progress import Progress, quiet
from lifecycle.records import Retrain, User
from lifecycle.store import audit_log, settings
from lifecycle.workspace import Workspace

DEMO_PASSWORD = "lifecycle-demo"
DEMO_TRIALS = 3
DEMO_SPACE = {"learning_rate": {"log_uniform": [0.05, 0.3]}, "max_leaf_nodes": [15, 31, 63]}  # small: seeding stays fast
# A high-risk project needs two reviewers' sign-off: rey and val.
DEMO_USERS = {"admin": "admin", "ana": "analyst", "rey": "reviewer", "val": "reviewer", "sam": "stakeholder"}
# What the demo reviewers state at sign-off, on the items that are a reviewer's statement.
DEMO_ATTESTATIONS = {
    "regulations": "EU AI Act: not an Annex III use as framed (outreach ranking, a person decides); GDPR applies to "
                   "the census answers; the programme's outreach policy.",
    "training_data_bias": "Group sizes and base rates by sex and race read in the fairness review; relationship and "
                          "marital status can stand in for sex, noted as a limitation.",
    "human_oversight": "Outreach staff see the ranking and decide who is contacted; the model never contacts anyone.",
    "risks_accepted": "The parity gap (advisory objective) is accepted for outreach ranking and watched.",
    "privacy_security": "No direct identifiers in the inputs; the service binds 127.0.0.1; logs kept 90 days.",
    "independent_validation": "Validation by its builder re-read: metrics, intervals and slices hold.",
    "retirement_criteria": "Retire when ROC AUC falls under 0.85 on labelled feedback, or after 12 months.",
}
# Simulated history of the Income model (lifecycle.monitor.history): a few days of traffic ending at
# seeding time, age shifted by +10 years from the third day on (the drift monitoring should confirm),
# and true labels for 90% of rows six hours after each prediction.
DEMO_HISTORY_DAYS = 4
DEMO_HISTORY_ROWS_PER_DAY = 5000
DEMO_DRIFT = "shift:age=+10"
DEMO_DRIFT_FROM_DAY = 2
DEMO_LABEL_DELAY_SECONDS = 6 * 3600.0
DEMO_LABEL_SHARE = 0.9
DEMO_HISTORY_SEED = 13
# The concluded A/B test: the runner-up (v2) against v1 on half the traffic, with as many labelled
# simulated outcomes as its sample plan asks for, concluded on its verdict.
DEMO_ABTEST_SHARE = 0.5
DEMO_ABTEST_SEED = 17
# The retrain a drift alert causes (``seed_retrain_from_alert``): the labelled production rows since
# the planted drift began, the production version's parameters refitted on them.
DEMO_RETRAIN_POLICY = "Retrain on drift"
DEMO_DRIFT_WINDOW_SECONDS = 6 * 3600
_seed_lock = threading.Lock()


def demo_login_hint() -> str:
    people = ", ".join(f"`{name}` ({role})" for name, role in DEMO_USERS.items())
    return f"Demo workspace: sign in as {people} with the password `{DEMO_PASSWORD}`."


def seed_demo(workspace: Workspace, progress: Progress = quiet) -> bool:
    """Fill an empty workspace with the demo; return False when it already has users."""
    with _seed_lock:
        if auth.has_users(workspace):
            return False
        progress(0.05, "Creating one user of each role")
        auth.init_admin(workspace, "admin", DEMO_PASSWORD)
        admin = auth.get_user(workspace, "admin")
        for name, role in DEMO_USERS.items():
            if name != "admin":
                auth.add_user(workspace, admin, name, role, DEMO_PASSWORD)
        with workspace.db.transaction() as cursor:
            settings.put(cursor, "demo", "1")
            audit_log.append(cursor, actor="admin", action="workspace.demo_seeded", entity="workspace")
        analyst = auth.get_user(workspace, "ana")
        _income_project(workspace, analyst, progress)
        _credit_project(workspace, analyst, progress)
        _refresh_monitoring(workspace, progress)
        _retrain_on_the_planted_drift(workspace, progress)
        progress(1.0, "Demo workspace ready")
        return True


def _income_project(workspace: Workspace, analyst: User, progress) -> None:
    progress(0.15, "Project 1: income over 50K (UCI Adult)")
    project = projects.create_project(
        workspace, analyst, name="Income over 50K", task="binary", target="income", positive_class=">50K",
        sensitive=["sex", "race"], risk_tier="high",
        statement="Predict whether a person's yearly income exceeds 50K USD from census answers, to "
                  "pre-screen applicants for a financial-literacy programme.",
        intended_use="Ranking applicants for outreach; a human decides who is contacted.",
        out_of_scope="Credit, hiring or any decision about an individual without human review.",
        objectives=["roc_auc>=0.88", "recall>=0.6", "advisory:demographic_parity_difference<=0.2",
                    "advisory:latency_p95_ms<=100"])
    progress(0.3, "Ingesting the Adult training data (32,561 rows)")
    dataset = datasets.ingest_bundled(workspace, analyst, project.id, "adult_train")
    progress(0.5, "Freezing a prepared version and a stratified split")
    frozen = preparation.freeze_with_suggested_recipe(workspace, analyst, dataset.id, name="adult-default",
                                                      ignore=("fnlwgt",))
    split = preparation.create_split(workspace, analyst, frozen.id, method="stratified", seed=42, test_size=0.2,
                                     validation_size=0.1)
    _train_and_validate(workspace, analyst, project.id, frozen.id, split.id, progress)
    _simulated_history(workspace, analyst, project.id, progress)
    _concluded_abtest(workspace, analyst, project.id, progress)


def _train_and_validate(workspace: Workspace, analyst: User, project_id: int, dataset_id: int, split_id: int,
                        progress) -> None:
    """A small tracked search, the best run registered and validated: the demo's model."""
    # scikit-learn, SHAP and Fairlearn work: imported only when seeding
    from lifecycle.review import explain
    from lifecycle.review import fairness_evidence
    from lifecycle.validate import stage as validate_stage
    from lifecycle.deploy import promotion
    from lifecycle.develop import search
    from lifecycle.govern import signoff
    from lifecycle.models import registry

    progress(0.55, "Training: a baseline and a small random search (tracked runs)")
    common = dict(project_id=project_id, dataset_id=dataset_id, split_id=split_id, seed=0, cv_folds=3)
    search.run_search(workspace, analyst, algorithm="dummy", method="none", **common)
    search.run_search(workspace, analyst, algorithm="linear", method="none", **common)
    result = search.run_search(workspace, analyst, algorithm="hist_gradient_boosting", method="random",
                               trials=DEMO_TRIALS, space=DEMO_SPACE, **common)
    progress(0.62, "Registering the best run as model v1")
    version = registry.register_run(workspace, analyst, result.best_run_id)
    progress(0.66, "Validating model v1 on the test split")
    validate_stage.validate_version(workspace, analyst, version.id, n_bootstrap=200)
    progress(0.67, "Explaining model v1 (SHAP on 500 test rows)")
    explain.explain_version(workspace, analyst, version, rows=explain.DEFAULT_ROWS)
    progress(0.69, "Reviewing model v1's fairness by sex, race and both (Fairlearn)")
    fairness_evidence.review_version(workspace, analyst, version.id)
    progress(0.695, "Signing model v1 off (two reviewers: a high-risk project) and promoting it to production")
    statements = {item: signoff.ItemInput(judgement="accept", comment=text) for item, text in DEMO_ATTESTATIONS.items()}
    signoff.sign_off(workspace, auth.get_user(workspace, "rey"), version.id, decision="conditional",
                     comment="Evidence reviewed: blocking objectives met; the parity gap is advisory and noted.",
                     items={**statements, "monitoring_plan": signoff.ItemInput(
                         judgement="condition", comment="Drift and live performance monitored in stage 6 from the "
                                                        "first week in production.")})
    signoff.sign_off(workspace, auth.get_user(workspace, "val"), version.id, decision="approve",
                     comment="Second review: evidence and rey's condition read; approved.", items=statements)
    promotion.move(workspace, analyst, version.id, "production", "First release of the income pre-screening model.")
    runner_up = sorted((r for r in result.runs if r.ok and r.id != result.best_run_id),
                       key=lambda r: -(r.primary_score or float("-inf")))
    if runner_up:  # a second version for the reviewers to sign off and the analyst to stage
        progress(0.698, "Registering and validating the runner-up run as model v2")
        second = registry.register_run(workspace, analyst, runner_up[0].id)
        validate_stage.validate_version(workspace, analyst, second.id, n_bootstrap=200)
        explain.explain_version(workspace, analyst, second, rows=explain.DEFAULT_ROWS)
    if len(runner_up) > 1:  # a version whose life ended: retired by the admin, with its archive
        _retired_version(workspace, analyst, runner_up[1].id, progress)


def _retired_version(workspace: Workspace, analyst: User, run_id: int, progress) -> None:
    """The third-best trial, registered and validated, then retired as superseded (stage 9's demo)."""
    from lifecycle import retire
    from lifecycle.models import registry
    from lifecycle.validate import stage as validate_stage

    progress(0.699, "Registering model v3 and retiring it, superseded by v1 (with its archive)")
    third = registry.register_run(workspace, analyst, run_id)
    outcome = validate_stage.validate_version(workspace, analyst, third.id, n_bootstrap=200)
    if outcome.version.state != "validated":  # a failing trial stays a candidate: nothing to retire
        return
    retire.decommission(workspace, auth.get_user(workspace, "admin"), third.id,
                        reason="Superseded: v1 scores higher on the same split and serves production; kept on "
                               "record, archived with its evidence.")


def _simulated_history(workspace: Workspace, analyst: User, project_id: int, progress) -> None:
    """Days of simulated traffic in the production model's log, so Monitor has shape at once."""
    from lifecycle.monitor import history
    from lifecycle.monitor.drift_config import configure_drift

    progress(0.699, f"Writing {DEMO_HISTORY_DAYS} days of simulated traffic into model v1's prediction log")
    history.write_history(workspace, project_id, days=DEMO_HISTORY_DAYS, rows_per_day=DEMO_HISTORY_ROWS_PER_DAY,
                          drift=DEMO_DRIFT, start_drift_day=DEMO_DRIFT_FROM_DAY,
                          label_delay=DEMO_LABEL_DELAY_SECONDS, label_share=DEMO_LABEL_SHARE, seed=DEMO_HISTORY_SEED,
                          actor=analyst)
    # Six-hour windows: each holds about 1,250 of the demo's rows, so every window is judged (hourly
    # ones fall below the minimum window size half the time) and a refresh reads 16 windows, not 96.
    configure_drift(workspace, analyst, project_id, window_seconds=DEMO_DRIFT_WINDOW_SECONDS)


def _refresh_monitoring(workspace: Workspace, progress) -> None:
    """Every project's monitoring refreshed once, so the planted drift's alert is on record at first start."""
    from lifecycle.monitor import refresh

    for project in projects.list_projects(workspace):
        progress(0.97, f"Refreshing the monitoring of {project.name} (drift, alerts, performance)")
        refresh.refresh(workspace, project.id)


def _concluded_abtest(workspace: Workspace, analyst: User, project_id: int, progress) -> None:
    """The runner-up challenges v1 on live traffic until the test has its planned outcomes; then the
    test is concluded on its verdict (the challenger promoted, after the demo reviewer approves it,
    only if it won; else v1 kept)."""
    from lifecycle.deploy import promotion
    from lifecycle.models import registry
    from lifecycle.records import ModelState
    from lifecycle.retrain import abtest, traffic, verdict

    versions = registry.list_versions(workspace, project_id)
    champion = next((v for v in versions if v.state == ModelState.PRODUCTION), None)
    challenger = next((v for v in versions if v.state == ModelState.VALIDATED), None)
    if champion is None or challenger is None:
        return
    progress(0.6995, f"A/B test: v{challenger.version} answers {DEMO_ABTEST_SHARE:.0%} of simulated live traffic")
    promotion.move(workspace, analyst, challenger.id, "staging", "Challenger for an A/B test against production.")
    test = abtest.start_abtest(workspace, analyst, project_id, champion_id=champion.id, challenger_id=challenger.id,
                               share=DEMO_ABTEST_SHARE,
                               reason=f"Does the runner-up v{challenger.version} answer better on live traffic?")
    traffic.simulate_test_traffic(workspace, project_id, rows=int(test.plan["outcomes"]), seed=DEMO_ABTEST_SEED)
    status = verdict.running_status(workspace, project_id)
    if status.winner == "challenger":  # promoting needs the approval: the demo reviewers sign it off
        from lifecycle.govern import signoff

        statements = {item: signoff.ItemInput(judgement="accept", comment=text)
                      for item, text in DEMO_ATTESTATIONS.items()}
        for reviewer in ("rey", "val"):
            signoff.sign_off(workspace, auth.get_user(workspace, reviewer), challenger.id, decision="approve",
                             comment=f"Won A/B test #{test.id}: {status.sentence()}", items=statements)
        why = f"The planned {status.outcomes:,} outcomes are in: {status.sentence()}"
    else:
        why = (f"The planned {status.outcomes:,} outcomes are in and v{challenger.version} is not better "
               f"({status.verdict}): v{champion.version} stays.")
    abtest.conclude_abtest(workspace, analyst, project_id, reason=why)  # promote a winner, else keep the champion


def _retrain_on_the_planted_drift(workspace: Workspace, progress) -> None:
    """The Income model's planted drift raised its alert at the refresh: the retrain it causes."""
    from lifecycle.monitor import alerts

    income = projects.find_project(workspace, "Income over 50K")
    drift = alerts.alerts_for(workspace, income.id, state="open", kind="drift")
    if drift:
        progress(0.98, f"Retraining the income model on the rows since its drift (policy {DEMO_RETRAIN_POLICY!r}, "
                       f"drift alert #{drift[-1].id})")
        seed_retrain_from_alert(workspace, drift[-1])


def seed_retrain_from_alert(workspace: Workspace, alert) -> Retrain:
    """The demo's retrain caused by ``alert`` (an open Monitor alert of a demo project, such as the
    planted drift's): the analyst's policy "Retrain on drift" (on alerts of the alert's kind; the
    labelled production rows since the planted drift began; the production version's parameters
    refitted) fires on it and runs to its end here, with its lineage on record. Returns the retrain.
    Raises InputError when the policy does not fire on the alert (it is resolved, or not the kind)."""
    from lifecycle.errors import InputError
    from lifecycle.retrain import policies, triggers

    analyst = auth.get_user(workspace, "ana")
    policy = policies.create_policy(
        workspace, analyst, alert.project_id, name=DEMO_RETRAIN_POLICY, trigger="alert", alert_kinds=(alert.kind,),
        window=policies.data_window("production", last_days=DEMO_HISTORY_DAYS - DEMO_DRIFT_FROM_DAY),
        search=policies.search_choice("production_params"))
    for due in triggers.due_policies(workspace, project_id=alert.project_id):
        if due.policy.id == policy.id and due.trigger.alert_id == alert.id:
            return triggers.fire(workspace, due, background=False)
    raise InputError(f"The policy {policy.name!r} does not fire on alert #{alert.id} ({alert.state}).",
                     "Pass an open alert of a demo project.")


def _credit_project(workspace: Workspace, analyst: User, progress) -> None:
    progress(0.7, "Project 2: German credit risk")
    project = projects.create_project(
        workspace, analyst, name="German credit risk", task="binary", target="credit", positive_class="bad",
        sensitive=["sex", "age", "foreign_worker"], risk_tier="high",
        statement="Flag loan applications likely to default; missing a bad customer costs five times a "
                  "wrongly refused good one.",
        intended_use="Decision support for loan officers.",
        out_of_scope="Automatic refusal without review.",
        objectives=["roc_auc>=0.75", "recall>=0.7"])
    progress(0.85, "Ingesting the German credit data (1,000 rows)")
    datasets.ingest_bundled(workspace, analyst, project.id, "german_credit")


