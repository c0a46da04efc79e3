"""The Retire page's decommission panel: the headline, the form that retires a version (reason,
replacement, the confirmation production needs without one) and what the last retirement did."""
from __future__ import annotations

import streamlit as st

from lifecycle import auth, retire
from lifecycle.deploy.manifest import Manifest
from lifecycle.records import ModelState, ModelVersion, Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import disabled_reason, last_action, reported_errors, text


def headline(manifest: Manifest | None, versions: list[ModelVersion], retirements: list, cleanups: list) -> None:
    """What serves now, how many versions are retired, and the last clean-up."""
    serving, retired, cleaned = st.columns(3)
    serving.metric("In production", " + ".join(v.label for v in manifest.versions)
                   if manifest is not None and manifest.versions else "nothing")
    retired.metric("Retired versions", f"{len(retirements)} of {len(versions)}",
                   help="Each retired version is archived with its evidence, card and audit excerpt.")
    cleaned.metric("Last clean-up", f"{cleanups[-1].created_at:%Y-%m-%d}" if cleanups else "never",
                   help="Data deleted by the project's retention rule, each item recorded with its hash.")


def form(workspace: Workspace, user: User, project: Project) -> None:
    message = state.recall(state.RETIRED_MESSAGE, project_id=project.id)
    if message:
        last_action(state.RETIRED_MESSAGE, message, project_id=project.id)
    candidates = retire.retirable_versions(workspace, project.id)
    if not candidates:
        st.info("No version can be retired: a version must have passed validation (a candidate that never did is "
                "rejected on the Validate page instead).", icon=":material/info:")
        return
    cannot = auth.why_not(user, auth.Permission.RETIRE_MODEL)
    ids = [v.id for v in candidates]
    focus = state.model_version_id()
    labels = {v.id: v.label for v in candidates}
    successors = retire.replacement_candidates(workspace, project.id)
    options = [None] + [v.id for v in successors]
    names = {None: "no replacement", **{v.id: v.label for v in successors}}
    production = next((v for v in candidates if v.state == ModelState.PRODUCTION), None)
    with st.form("retire_form"):
        st.markdown("**Retire a version.** It stops serving for good: its deployments end, production traffic moves "
                    "to the replacement, and the version is archived with its evidence, card and audit excerpt "
                    "before it becomes *retired*, from which nothing moves.")
        version_id = st.selectbox("Version to retire", ids, index=ids.index(focus) if focus in ids else 0,
                                  format_func=labels.get, key="retire_version")
        reason = st.text_input("Reason (goes to the record, the archive and the hand-over report)",
                               key="retire_reason")
        replacement = st.selectbox("Replacement (an approved version; production traffic moves to it)", options,
                                   format_func=names.get, key="retire_replacement")
        confirm = st.checkbox("Retire the production version even with no replacement: the project then serves nothing "
                              "and its scoring service stops", key="retire_confirm",
                              help=f"Needed only for {production.label}, the version in production." if production
                              else "No version is in production now.")
        pressed = st.form_submit_button("Retire version", type="primary", icon=":material/inventory_2:",
                                        disabled=cannot is not None)
    disabled_reason(cannot)
    if pressed:
        with reported_errors():
            done = retire.decommission(workspace, user, version_id, reason=reason, replacement_id=replacement,
                                       confirm_no_replacement=confirm)
            state.remember(state.RETIRED_MESSAGE, _said(done), project_id=project.id)
            state.clear_widget("retire_reason")
            state.clear_widget("retire_confirm")
            st.rerun()


def _said(done) -> str:
    record = done.retirement
    serving = ", ".join(f"#{v}" for v in done.serving) or "nothing"
    return (f"Model v{record.version} is retired and archived ({record.archive_files} files, "
            f"{record.archive_bytes:,} bytes). Serving now: {serving}."
            + (" The scoring service was stopped." if done.service_stopped else "")
            + "".join(f" {text(note)}" for note in done.notes))
