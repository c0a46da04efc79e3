"""Stage 1 — Problem: the project's framing, its measurable objectives and a feasibility check."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.problem import objectives
from lifecycle.problem import projects
from lifecycle.records import RISK_TIERS, TASKS
from ui import state
from ui.problem import feasibility as feasibility_panel
from ui.frame import current_project, disabled_reason, header, reported_errors, text

workspace = state.workspace()
user = state.page_user()
project = current_project()
creating = project is None or state.recall(state.NEW_PROJECT_FORM, project_id=None)
header("Problem", None if creating else project)  # while the new-project form is open, no project is in focus
cannot_edit = auth.why_not(user, auth.Permission.EDIT_PROJECT)


def project_form(key: str, current=None) -> dict | None:
    """The framing fields; returns the values when the form is submitted."""
    with st.form(key):
        left, right = st.columns(2)
        name = left.text_input("Name", value=current.name if current else "", key=f"{key}_name")
        task = right.selectbox("Task", TASKS, index=TASKS.index(current.task) if current else 0, key=f"{key}_task")
        target = left.text_input("Target column", value=current.target if current else "", key=f"{key}_target")
        positive = right.text_input("Positive class (binary only)", value=(current.positive_class or "") if current else "",
                                    key=f"{key}_positive")
        sensitive = left.text_input("Sensitive attributes (comma-separated columns)",
                                    value=", ".join(current.sensitive) if current else "", key=f"{key}_sensitive")
        risk = right.selectbox("Risk tier", RISK_TIERS, index=RISK_TIERS.index(current.risk_tier) if current else 1,
                               key=f"{key}_risk")
        owner = left.text_input("Owner", value=current.owner if current else user.name, key=f"{key}_owner")
        statement = st.text_area("Problem statement", value=current.statement if current else "", key=f"{key}_statement")
        intended = st.text_area("Intended use", value=current.intended_use if current else "", key=f"{key}_intended")
        out_of_scope = st.text_area("Out-of-scope use", value=current.out_of_scope if current else "",
                                    key=f"{key}_out_of_scope")
        submitted = st.form_submit_button("Save project" if current else "Create project", type="primary",
                                          disabled=cannot_edit is not None)
    disabled_reason(cannot_edit)
    if not submitted:
        return None
    return dict(name=name, task=task, target=target, positive_class=positive or None,
                sensitive=[s for s in (x.strip() for x in sensitive.split(",")) if s], risk_tier=risk,
                owner=owner, statement=statement, intended_use=intended, out_of_scope=out_of_scope)


if creating:
    st.subheader("New project")
    st.caption("Frame the problem first: what is predicted, for whom, and what would make a model good enough.")
    values = project_form("new_project")
    if values is not None:
        with reported_errors():
            created = projects.create_project(workspace, user, **values)
            state.set_project(created.id)
            state.forget(state.NEW_PROJECT_FORM, project_id=None)
            st.toast(f"Created project {text(created.name)}", icon=":material/check_circle:")
            st.rerun()
    if project is not None and st.button("Cancel"):
        state.forget(state.NEW_PROJECT_FORM, project_id=None)
        st.rerun()
    st.stop()

objective_set = projects.objectives(workspace, project.id)
cards = st.columns(4)
cards[0].metric("Task", project.task)
cards[1].metric("Target", project.target)
cards[2].metric("Objectives", len(objective_set.objectives) if objective_set else 0,
                help=f"version {objective_set.version}" if objective_set else None)
cards[3].metric("Risk tier", project.risk_tier)
st.markdown(f"**Statement.** {text(project.statement) or '_none yet_'}")
if st.button("New project", icon=":material/add:", disabled=cannot_edit is not None):
    state.remember(state.NEW_PROJECT_FORM, True, project_id=None)
    st.rerun()

overview, edit, goals, feasibility = st.tabs(["Overview", "Edit framing", "Objectives", "Feasibility"])
with overview:
    st.markdown(f"- **Positive class:** {text(project.positive_class or '—')}\n"
                f"- **Sensitive attributes:** {text(', '.join(project.sensitive) or '—')}\n"
                f"- **Owner:** {text(project.owner)}\n"
                f"- **Intended use:** {text(project.intended_use or '—')}\n"
                f"- **Out of scope:** {text(project.out_of_scope or '—')}")
with edit:
    values = project_form("edit_project", project)
    if values is not None:
        with reported_errors():
            projects.update_project(workspace, user, project.id, **values)
            st.toast("Project saved", icon=":material/check_circle:")
            st.rerun()

with goals:
    st.caption("Each objective is a metric, a comparator and a threshold. Blocking objectives gate validation "
               "and promotion; advisory ones are reported only. Every change is a new version.")
    catalogue = objectives.metrics_for(project.task)
    current = pd.DataFrame([{"metric": o.metric, "threshold": o.threshold, "blocking": o.blocking}
                            for o in (objective_set.objectives if objective_set else ())],
                           columns=["metric", "threshold", "blocking"])
    edited = st.data_editor(
        current, num_rows="dynamic", hide_index=True, key=f"objectives_{project.id}",
        disabled=cannot_edit is not None,
        column_config={
            "metric": st.column_config.SelectboxColumn("Metric", options=[m.name for m in catalogue], required=True),
            "threshold": st.column_config.NumberColumn("Threshold", required=True, format="%.4g"),
            "blocking": st.column_config.CheckboxColumn("Blocking", default=True),
        })
    st.caption("Comparator follows the metric: higher-is-better metrics use ≥, error metrics ≤. " + " · ".join(
        f"{m.name} {m.default_comparator}" for m in catalogue))
    if st.button("Save objectives", type="primary", disabled=cannot_edit is not None, key="save_objectives"):
        with reported_errors():
            saved = projects.set_objectives(workspace, user, project.id, objectives.objectives_from_rows(
                edited.to_dict(orient="records"), task=project.task))
            if objective_set is not None and saved.version == objective_set.version:
                st.info(f"Nothing changed: the objectives stay at version {saved.version}.", icon=":material/info:")
            else:
                st.toast(f"Saved objectives version {saved.version}", icon=":material/check_circle:")
                st.rerun()
    disabled_reason(cannot_edit)
    versions = projects.objective_versions(workspace, project.id)
    if len(versions) > 1:
        with st.expander(f"Earlier versions ({len(versions) - 1})"):
            for version in reversed(versions[:-1]):
                older = projects.objectives(workspace, project.id, version)
                st.markdown(f"**v{version}** by {text(older.created_by)} on {older.created_at:%Y-%m-%d %H:%M}: "
                            + text("; ".join(str(o) for o in older.objectives) or "none"))

with feasibility:
    feasibility_panel.render(workspace, project, user)
