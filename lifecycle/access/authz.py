"""Who may call each state-changing function of ``lifecycle``: the coverage half of the role registry.

``auth.GRANTS`` says which roles hold each ``Permission``; ``REGISTRY`` here says which permission
(or which kind of access) each state-changing public function of ``lifecycle/`` needs, keyed by
``"module.function"`` under ``lifecycle``. ``tests/unit/test_authz_coverage.py`` finds every
function that writes (or acts for a user) by reading the source, fails naming any that is missing
here, and checks each entry against the body: a ``Permission`` entry must reach
``auth.require(actor, that permission)`` (or ``if not can(...): raise``), a ``GATED`` one a gate of
the model state machine, a ``READS_ONLY`` one must write nothing. A new function that writes
therefore cannot ship without saying who may call it.
"""
from __future__ import annotations

from enum import Enum

from lifecycle.auth import ROLES, Permission, roles_with


class Access(Enum):
    """Access that is not one permission; the value says who may call and why."""

    SIGNED_IN = "any signed-in user, on their own account (their password, the project in focus)"
    GATED = ("per model move: the gate in models.states.TRANSITIONS names the permission "
             "(and four eyes for approval)")
    READS_ONLY = "changes nothing: reads for a user, or answers whether they may act"
    AUTOMATIC = ("runs on its own after a guarded action or a page load: recomputes what follows from the "
                 "record (caches, drift windows, labels, alerts and their delivery); decides nothing a role decides")
    SYSTEM = "no signed-in user yet: opening, recovering or seeding a workspace, signing in, the first admin"


REGISTRY: dict[str, Permission | Access] = {
    # auth
    "auth.can": Access.READS_ONLY,
    "auth.require": Access.READS_ONLY,
    "auth.why_not": Access.READS_ONLY,
    "auth.init_admin": Access.SYSTEM,
    "auth.add_user": Permission.MANAGE_USERS,
    "auth.set_password": Access.SIGNED_IN,
    # data.datasets
    "data.datasets.ingest_bytes": Permission.EDIT_DATA,
    "data.datasets.ingest_path": Permission.EDIT_DATA,
    "data.datasets.ingest_bundled": Permission.EDIT_DATA,
    "data.datasets.store_query_result": Permission.EDIT_DATA,
    "data.datasets.store_table": Permission.EDIT_DATA,
    # data.preparation
    "data.preparation.save_recipe": Permission.EDIT_DATA,
    "data.preparation.freeze_dataset": Permission.EDIT_DATA,
    "data.preparation.freeze_with_suggested_recipe": Permission.EDIT_DATA,
    "data.preparation.create_split": Permission.EDIT_DATA,
    # data.profile
    "data.profile.get_profile": Access.AUTOMATIC,
    # data.query
    "data.query.freeze_query": Permission.EDIT_DATA,
    # demo
    "demo.seed_demo": Access.SYSTEM,
    # deploy.batch
    "deploy.batch.score_path": Permission.SCORE_BATCH,
    "deploy.batch.score_bytes": Permission.SCORE_BATCH,
    # deploy.bundle
    "deploy.bundle.export_bundle": Permission.EXPORT_MODEL,
    # deploy.promotion
    "deploy.promotion.move": Access.GATED,
    "deploy.promotion.rollback": Access.GATED,
    "deploy.promotion.set_shadow": Permission.MOVE_MODEL,
    # deploy.serving
    "deploy.serving.start": Permission.RUN_SERVICE,
    "deploy.serving.stop": Permission.RUN_SERVICE,
    "deploy.serving.serve_production": Permission.RUN_SERVICE,
    # develop.feasibility
    "develop.feasibility.check_and_record": Permission.READ,
    # develop.run_logging
    "develop.run_logging.log_metric": Permission.TRAIN,
    "develop.run_logging.log_metrics": Permission.TRAIN,
    # develop.search
    "develop.search.run_search": Permission.TRAIN,
    # develop.training
    "develop.training.record_run": Permission.TRAIN,
    "develop.training.rerun": Permission.TRAIN,
    # evidence
    "evidence.record": Permission.READ,
    "evidence.get_or_compute": Permission.READ,
    "evidence.get_or_compute_for_project": Permission.READ,
    # govern.anchor
    "govern.anchor.anchor_trail": Permission.ANCHOR_AUDIT,
    # govern.annex_iv
    "govern.annex_iv.write_docs": Permission.READ,
    "govern.annex_iv.docs_zip": Permission.READ,
    # govern.signoff
    "govern.signoff.why_not": Access.READS_ONLY,
    "govern.signoff.sign_off": Permission.SIGN_OFF,
    # models.approval
    "models.approval.may_sign": Access.READS_ONLY,
    # models.imports
    "models.imports.import_model": Permission.TRAIN,
    "models.imports.import_bytes": Permission.TRAIN,
    # models.registry
    "models.registry.register_pipeline": Permission.TRAIN,
    "models.registry.load_pipeline": Access.AUTOMATIC,
    "models.registry.register_run": Permission.TRAIN,
    # models.states
    "models.states.four_eyes": Access.READS_ONLY,
    "models.states.transition": Access.GATED,
    "models.states.retire": Access.GATED,
    "models.states.rollback": Access.GATED,
    "models.states.possible_moves": Access.READS_ONLY,
    # monitor.alert_rules
    "monitor.alert_rules.evaluate_alerts": Access.AUTOMATIC,
    # monitor.alerts
    "monitor.alerts.raise_alert": Access.AUTOMATIC,
    "monitor.alerts.acknowledge": Permission.HANDLE_ALERTS,
    "monitor.alerts.resolve": Permission.HANDLE_ALERTS,
    # monitor.autorefresh
    "monitor.autorefresh.refresh_now": Access.AUTOMATIC,
    "monitor.autorefresh.refresh_round": Access.AUTOMATIC,
    "monitor.autorefresh.start_auto_refresh": Access.AUTOMATIC,
    # monitor.drift
    "monitor.drift.compute_windows": Access.AUTOMATIC,
    "monitor.drift.refresh_drift": Permission.READ,
    # monitor.drift_alerts
    "monitor.drift_alerts.raise_drift_alerts": Access.AUTOMATIC,
    # monitor.drift_config
    "monitor.drift_config.configure_drift": Permission.CONFIGURE_MONITORING,
    # monitor.feedback
    "monitor.feedback.upload_feedback": Permission.EDIT_DATA,
    "monitor.feedback.upload_feedback_path": Permission.EDIT_DATA,
    # monitor.history
    "monitor.history.write_history": Permission.SIMULATE_TRAFFIC,
    # monitor.labels
    "monitor.labels.label_report": Access.AUTOMATIC,
    # monitor.performance
    "monitor.performance.refresh_performance": Access.AUTOMATIC,
    # monitor.reference
    "monitor.reference.build_reference": Permission.READ,
    # monitor.refresh
    "monitor.refresh.drift_step": Permission.READ,
    "monitor.refresh.drift_alerts_step": Access.AUTOMATIC,
    "monitor.refresh.performance_step": Access.AUTOMATIC,
    "monitor.refresh.objective_alerts_step": Access.AUTOMATIC,
    "monitor.refresh.delivery_step": Access.AUTOMATIC,
    "monitor.refresh.refresh": Permission.READ,
    # monitor.webhook
    "monitor.webhook.set_webhook": Permission.CONFIGURE_ALERTS,
    "monitor.webhook.deliver_pending": Access.AUTOMATIC,
    # problem.projects
    "problem.projects.create_project": Permission.EDIT_PROJECT,
    "problem.projects.update_project": Permission.EDIT_PROJECT,
    "problem.projects.set_objectives": Permission.EDIT_PROJECT,
    "problem.projects.set_archived": Permission.ARCHIVE_PROJECT,
    # recovery
    "access.recovery.reclaim": Access.SYSTEM,
    # retire.cleanup
    "retire.cleanup.run_cleanup": Permission.CLEAN_DATA,
    # retire.decommissioning
    "retire.decommissioning.decommission": Permission.RETIRE_MODEL,
    # retire.handover
    "retire.handover.build_handover": Permission.READ,
    # retire.retention
    "retire.retention.set_rule": Permission.CLEAN_DATA,
    "retire.retention.plan_cleanup": Permission.CLEAN_DATA,
    # retrain.abtest
    "retrain.abtest.start_abtest": Permission.RUN_EXPERIMENT,
    "retrain.abtest.conclude_abtest": Permission.RUN_EXPERIMENT,
    "retrain.abtest.rollback_abtest": Permission.RUN_EXPERIMENT,
    # retrain.compare
    "retrain.compare.compare_versions": Access.AUTOMATIC,
    # retrain.policies
    "retrain.policies.create_policy": Permission.RETRAIN,
    "retrain.policies.update_policy": Permission.RETRAIN,
    "retrain.policies.set_enabled": Permission.RETRAIN,
    "retrain.policies.disable_policy": Permission.RETRAIN,
    "retrain.policies.enable_policy": Permission.RETRAIN,
    # retrain.retraining
    "retrain.retraining.start_retrain": Permission.RETRAIN,
    "retrain.retraining.cancel_retrain": Permission.RETRAIN,
    # retrain.traffic
    "retrain.traffic.simulate_test_traffic": Permission.SIMULATE_TRAFFIC,
    # retrain.triggers
    "retrain.triggers.run_due": Permission.RETRAIN,
    "retrain.triggers.fire": Permission.RETRAIN,
    # retrain.unseen
    "retrain.unseen.unseen_test_rows": Access.AUTOMATIC,
    # review.explain
    "review.explain.load_inputs": Access.AUTOMATIC,
    "review.explain.explain_version": Permission.READ,
    # review.fairness_evidence
    "review.fairness_evidence.review_version": Permission.READ,
    # review.mitigation
    "review.mitigation.create_candidate": Permission.TRAIN,
    # review.mitigation_tradeoff
    "review.mitigation_tradeoff.compute_trade_off": Access.AUTOMATIC,
    "review.mitigation_tradeoff.trade_off": Permission.READ,
    # session_cookie
    "access.session_cookie.issue": Access.READS_ONLY,
    # sessions
    "access.sessions.sign_in": Access.SYSTEM,
    # users
    "access.users.set_role": Permission.MANAGE_USERS,
    "access.users.set_active": Permission.MANAGE_USERS,
    "access.users.reset_password": Permission.MANAGE_USERS,
    "access.users.change_own_password": Access.SIGNED_IN,
    "access.users.record_sign_in": Access.SYSTEM,
    "access.users.last_project": Access.READS_ONLY,
    "access.users.remember_project": Access.SIGNED_IN,
    # validate.fairness
    "validate.fairness.store_review": Permission.READ,
    # validate.held_out
    "validate.held_out.held_out": Access.AUTOMATIC,
    # validate.stage
    "validate.stage.validate_version": Permission.VALIDATE_MODEL,
    # workspace
    "workspace.open_workspace": Access.SYSTEM,
    "workspace.recover_workspace": Access.SYSTEM,  # opens a damaged file: no roles can be read before it opens
    # backup (the actor's role is read from the copy being backed up or restored)
    "backup.backup_workspace": Permission.BACKUP_WORKSPACE,
    "backup.restore_workspace": Permission.BACKUP_WORKSPACE,
}


def access(name: str) -> Permission | Access:
    """The registered access of ``"module.function"`` (under ``lifecycle``, e.g. ``"access.users.set_role"``).
    Raises KeyError for a function that is not registered."""
    return REGISTRY[name]


def roles_allowed(name: str) -> tuple[str, ...] | None:
    """The roles that may call ``name``, from ``auth.GRANTS``: every role for SIGNED_IN and READS_ONLY,
    none for SYSTEM and AUTOMATIC (no user calls them), None for GATED (it depends on the move)."""
    rule = REGISTRY[name]
    if isinstance(rule, Permission):
        return roles_with(rule)
    if rule in (Access.SIGNED_IN, Access.READS_ONLY):
        return ROLES
    if rule is Access.GATED:
        return None
    return ()
