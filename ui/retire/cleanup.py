"""The Retire page's data clean-up panel: the project's retention rule, what every dataset version is
used by, the dry run an admin reviews, the confirmation, and the clean-ups on record with their hashes."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth, retire
from lifecycle.records import Cleanup, Project, User
from lifecycle.retire.retention import KIND_WORDS
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import disabled_reason, last_action, reported_errors, text


def render(workspace: Workspace, user: User, project: Project, cleanups: list[Cleanup]) -> None:
    message = state.recall(state.CLEANUP_MESSAGE, project_id=project.id)
    if message:
        last_action(state.CLEANUP_MESSAGE, message, project_id=project.id)
    cannot = auth.why_not(user, auth.Permission.CLEAN_DATA)
    rule_form(workspace, user, project, cannot)
    uses(workspace, project)
    dry_run(workspace, user, project, cannot)
    history(cleanups)


def rule_form(workspace: Workspace, user: User, project: Project, cannot: str | None) -> None:
    rule = retire.rule_for(workspace, project.id)
    logs = "the whole prediction log and feedback are kept" if rule.log_days is None else (
        f"prediction-log and feedback segments whose newest row is older than {rule.log_days} days go")
    datasets = "dataset versions nothing uses any more go" if rule.datasets else "dataset versions are kept"
    saved = f" (set by {text(rule.updated_by)} on {rule.updated_at:%Y-%m-%d})" if rule.updated_at else " (the default)"
    st.markdown(f"**Retention rule**{saved}: {logs}; {datasets}.")
    with st.expander("Change the rule", expanded=False):
        with st.form("retention_rule_form"):
            keep_logs = st.checkbox("Keep the whole prediction log and feedback", value=rule.log_days is None,
                                    key="retention_keep_logs")
            days = st.number_input("Days of prediction log and feedback to keep", min_value=0, step=1,
                                   value=rule.log_days or 0, key="retention_days",
                                   help="Whole segments go once their newest row is older than this; a segment "
                                        "holding any newer row stays.")
            datasets_go = st.checkbox("Delete dataset versions that nothing uses any more", value=rule.datasets,
                                      key="retention_datasets")
            saved_rule = st.form_submit_button("Save rule", disabled=cannot is not None)
        disabled_reason(cannot)
        if saved_rule:
            with reported_errors():
                retire.set_rule(workspace, user, project.id, log_days=None if keep_logs else int(days),
                                datasets=datasets_go)
                state.forget(state.CLEANUP_PLAN, project_id=project.id)  # a reviewed plan followed the old rule
                st.rerun()


def uses(workspace: Workspace, project: Project) -> None:
    found = retire.dataset_uses(workspace, project.id)
    if not found:
        return
    with st.expander("Dataset versions and what uses them"):
        st.dataframe(pd.DataFrame([{"Dataset version": u.dataset.label, "Rows": u.dataset.rows, "Status": u.status,
                                    "Why": u.why, "Content SHA-256": u.dataset.content_hash} for u in found]),
                     hide_index=True, width="stretch")
        st.caption("Data in use is never deleted: a version some model, split or run still needs, or one made from "
                   "it, stays. Only versions no longer used can go.")


def dry_run(workspace: Workspace, user: User, project: Project, cannot: str | None) -> None:
    if st.button("Dry run: list what would go", icon=":material/search:", key="cleanup_dry_run",
                 disabled=cannot is not None):
        with reported_errors():
            state.remember(state.CLEANUP_PLAN, retire.plan_cleanup(workspace, user, project.id), project_id=project.id)
    disabled_reason(cannot)
    plan = state.recall(state.CLEANUP_PLAN, project_id=project.id)
    if plan is None:
        return
    items, rows, freed = st.columns(3)
    items.metric("Would go", f"{len(plan.items):,} items")
    rows.metric("Rows", f"{plan.rows:,}")
    freed.metric("Space freed", f"{plan.bytes:,} bytes")
    if plan.items:
        st.dataframe(pd.DataFrame([{"What": KIND_WORDS[i.kind], "Name": i.name, "Rows": i.rows, "Bytes": i.bytes,
                                    "Newest row (UTC)": i.newest} for i in plan.items]), hide_index=True,
                     width="stretch")
    if plan.kept:
        with st.expander(f"Kept, and why ({len(plan.kept)})"):
            st.markdown("\n".join(f"- {text(line)}" for line in plan.kept))
    if plan.empty:
        st.info("Nothing to delete under the retention rule.", icon=":material/check_circle:")
        return
    if st.button(f"Delete these {len(plan.items)} items", type="primary", icon=":material/delete:",
                 key="cleanup_confirm", disabled=cannot is not None):
        with reported_errors():
            done = retire.run_cleanup(workspace, user, project.id, expected=plan)
            state.forget(state.CLEANUP_PLAN, project_id=project.id)
            if done is not None:
                state.remember(state.CLEANUP_MESSAGE, f"Clean-up #{done.id} deleted {len(done.items)} items: "
                               f"{done.rows:,} rows, {done.bytes:,} bytes, each recorded with its SHA-256.",
                               project_id=project.id)
            st.rerun()


def history(cleanups: list[Cleanup]) -> None:
    if not cleanups:
        st.caption("No clean-up has been run for this project.")
        return
    st.markdown("##### Clean-ups on record")
    for cleanup in reversed(cleanups):
        with st.expander(f"Clean-up #{cleanup.id}, {cleanup.created_at:%Y-%m-%d %H:%M} UTC by "
                         f"{text(cleanup.created_by)}: {len(cleanup.items)} items, {cleanup.bytes:,} bytes"):
            st.dataframe(pd.DataFrame([{"What": KIND_WORDS[i.kind], "Name": i.name, "Rows": i.rows, "Bytes": i.bytes,
                                        "SHA-256": i.sha256} for i in cleanup.items]), hide_index=True, width="stretch")
            st.caption(f"Digest of this list (on the audit trail): {cleanup.digest}")
