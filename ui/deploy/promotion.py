"""The Deploy page's promotion panels: what serves now, each version's gates, moves, rollback, shadow."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.deploy import promotion
from lifecycle.deploy.manifest import Manifest
from lifecycle.deploy.status import gates
from lifecycle.models import registry
from lifecycle.models import states as model_states
from lifecycle.records import ModelState, ModelVersion, Project, User
from lifecycle.workspace import Workspace
from ui import moves
from ui.frame import disabled_reason, reported_errors, text


def serving(manifest: Manifest | None) -> None:
    """Headline: what answers traffic now, with what share, and the shadow."""
    cards = st.columns(3)
    if manifest is None or not manifest.versions:
        cards[0].metric("In production", "nothing yet")
    else:
        cards[0].metric("In production", " + ".join(v.label for v in manifest.versions),
                        help=" · ".join(f"{v.label}: {v.share:.0%} of traffic" for v in manifest.versions))
    cards[1].metric("Shadow", manifest.shadow.label if manifest and manifest.shadow else "none",
                    help="A shadow scores every request beside production and answers none.")
    cards[2].metric("Manifest", f"generation {manifest.generation}" if manifest else "not written",
                    help=f"written {manifest.written_at} by {manifest.written_by}" if manifest else
                    "Written when a version first goes to production.")


def gate_table(versions: list[ModelVersion]) -> None:
    """Every version with its state and, per gate, 'passed' or what it still needs."""
    rows = []
    for version in reversed(versions):
        row = {"Version": version.label, "State": str(version.state)}
        for check in gates(version):
            row[check.gate] = "passed" if check.passed else f"needs: {check.needs}"
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def version_moves(workspace: Workspace, user: User, version: ModelVersion) -> None:
    st.markdown(f"**Model {text(version.label)}** — " + " → ".join(
        f"**{s}**" if s == version.state else str(s) for s in ModelState.path()))
    moves.render(workspace, user, version, only=("staging", "approved", "production"), key="deploy_move")
    if not version.state.is_closed:
        st.page_link("pages/retire.py", label="Retire a version (stop serving, archive it)", icon=":material/inventory_2:")


def rollback(workspace: Workspace, user: User, project: Project) -> None:
    target = model_states.previous_production(workspace, project.id)
    cannot = auth.why_not(user, auth.Permission.MOVE_MODEL)
    if target is None:
        st.caption("Rollback: no earlier production version in staging to go back to.")
        return
    with st.form("rollback_form"):
        st.markdown(f"**Rollback** restores {text(target.label)}, the version in production before the current one; "
                    "the current one goes back to staging.")
        reason = st.text_input("Reason (goes to the audit trail)", key="rollback_reason")
        pressed = st.form_submit_button("Roll back", type="primary", disabled=cannot is not None)
    disabled_reason(cannot)
    if pressed:
        with reported_errors():
            restored = promotion.rollback(workspace, user, project.id, reason)
            st.toast(f"Rolled back: {restored.label} is in production", icon=":material/undo:")
            st.rerun()


def shadow(workspace: Workspace, user: User, project: Project, manifest: Manifest | None) -> None:
    staged = [v for v in registry.list_versions(workspace, project.id) if v.state == ModelState.STAGING]
    cannot = auth.why_not(user, auth.Permission.MOVE_MODEL)
    options = [None] + [v.id for v in staged]
    labels = {None: "no shadow", **{v.id: v.label for v in staged}}
    current = manifest.shadow.version_id if manifest and manifest.shadow else None
    with st.form("shadow_form"):
        st.markdown("**Shadow**: a staging version scores the same requests as production without answering, "
                    "so the two can be compared on live traffic.")
        chosen = st.selectbox("Shadow version", options, index=options.index(current) if current in options else 0,
                              format_func=labels.get, key="shadow_version")
        reason = st.text_input("Reason (goes to the audit trail)", key="shadow_reason")
        pressed = st.form_submit_button("Set shadow", disabled=cannot is not None)
    disabled_reason(cannot)
    if pressed:
        with reported_errors():
            promotion.set_shadow(workspace, user, project.id, chosen, reason)
            st.toast("Shadow updated", icon=":material/check_circle:")
            st.rerun()
