"""The Retrain page's retrains: what is due starts when a page loads, the running one's progress (with
cancel), every retrain of the project, and the chosen one's lineage: trigger → rows → dataset version
→ search → candidate → validation → comparison with the production version."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.records import Project, Retrain, User
from lifecycle.retrain import lineage as lineage_of
from lifecycle.retrain import retraining, triggers
from lifecycle.workspace import Workspace
from ui import state
from ui.badges import badge
from ui.frame import disabled_reason, error_boundary, reported_errors, text

STATE_BADGE = {"running": "pending", "done": "pass", "failed": "fail", "cancelled": "fail"}
VERDICT_BADGE = {"better": "pass", "worse": "fail", "no detectable difference": "pending"}


def start_due(workspace: Workspace, project_id: int | None = None) -> None:
    """Start the retrains that are due (of one project, or of all); say what started in a toast."""
    with reported_errors():
        for made in triggers.run_due(workspace, project_id=project_id):
            if made.running:
                st.toast(f"Policy #{made.policy_id} started retrain #{made.id} ({_cause(made)})",
                         icon=":material/autorenew:")
            else:
                st.toast(f"Policy #{made.policy_id} could not start a retrain: {text(made.message)}",
                         icon=":material/error:")


def _cause(retrain: Retrain) -> str:
    if retrain.trigger == "alert":
        return f"alert #{retrain.alert_id}"
    if retrain.trigger == "schedule":
        return f"schedule due {retrain.scheduled_for:%Y-%m-%d %H:%M} UTC"
    return f"run by {retrain.requested_by}"


@st.fragment(run_every=1.0)
def progress(workspace: Workspace, user: User, project_id: int) -> None:
    """The running retrain's step and progress, polled every second, with Cancel; when a retrain this
    session saw running ends, the whole page reruns to show how it ended."""
    with error_boundary():
        running = retraining.running_retrain(workspace, project_id)
        watched = state.recall(state.WATCHED_RETRAINS, frozenset(), project_id=project_id)
        if running is not None:
            job = retraining.job_of(workspace, running.id)
            snapshot = job.state if job is not None else None
            fraction = snapshot.fraction if snapshot is not None else 0.0
            message = snapshot.message if snapshot is not None else f"Retrain #{running.id}: {running.step}"
            left, right = st.columns([5, 1])
            left.progress(fraction, text=text(message))
            cannot = auth.why_not(user, auth.Permission.RETRAIN)
            if right.button("Cancel", key=f"cancel_retrain_{running.id}", disabled=cannot is not None):
                with reported_errors():
                    retraining.cancel_retrain(workspace, user, running.id)
                    st.toast(f"Retrain #{running.id} stops after its current step", icon=":material/stop:")
            disabled_reason(cannot)
        state.remember(state.WATCHED_RETRAINS, frozenset({running.id}) if running else frozenset(),
                       project_id=project_id)
        if watched and (running is None or running.id not in watched):
            st.rerun(scope="app")


def render(workspace: Workspace, project: Project) -> None:
    """Every retrain of the project, then the chosen one's lineage and comparison."""
    st.markdown("##### Retrains")
    found = retraining.retrains_for(workspace, project.id)
    if not found:
        st.caption("No retrain yet. Run a policy now, or let one fire on an alert or a schedule.")
        return
    rows = [{"Retrain": f"#{r.id}", "Policy": f"#{r.policy_id}", "Cause": _cause(r), "State": r.state,
             "Step": r.step, "Dataset": r.dataset_id, "Search": r.search_id, "Candidate": r.model_version_id,
             "Validation": None if r.validation_passed is None else ("pass" if r.validation_passed else "fail"),
             "Against production": (r.comparison or {}).get("verdict"), "Started": r.started_at,
             "Ended": r.finished_at, "Acting as": r.acting_as} for r in found]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    by_id = {r.id: r for r in found}
    picked = st.selectbox("Lineage of", list(by_id), key="retrain_pick", format_func=lambda i: f"retrain #{i}")
    detail(workspace, by_id[picked])


def detail(workspace: Workspace, retrain: Retrain) -> None:
    """The lineage, link by link with its badge, the comparison in numbers, and the next step."""
    st.markdown(f"{badge(STATE_BADGE[retrain.state])} **Retrain #{retrain.id}** {retrain.state}")
    for step in lineage_of.lineage(workspace, retrain):
        st.markdown(f"{badge(step.status)} **{step.link.capitalize()}**: {text(step.text)}")
    for note in retrain.notes:
        st.caption(f":material/info: {text(note)}")
    found = retrain.comparison
    if found:
        cards = st.columns(4)
        cards[0].metric(f"Production (#{found['version_a']})", f"{found['value_a']:.4f}", help=found["metric"])
        cards[1].metric(f"Retrained (#{found['version_b']})", f"{found['value_b']:.4f}", help=found["metric"])
        interval = "" if found.get("low") is None else f"interval {found['low']:+.4f} to {found['high']:+.4f}"
        cards[2].metric("Difference", f"{found['effect']:+.4f}", help=interval or None)
        cards[3].metric("p-value", "—" if found.get("p_value") is None else f"{found['p_value']:.3g}",
                        help=found.get("deciding_test"))
        st.markdown(f"{badge(VERDICT_BADGE.get(found['verdict'], 'pending'))} {text(found['sentence'])}")
        st.caption(f"Rows: {text(found['source'])}.")
    if retrain.state == "done" and retrain.validation_passed:
        st.caption("Next: stage the candidate on the Deploy page, then A/B test it against production here.")
