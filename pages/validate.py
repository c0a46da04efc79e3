"""Stage 4 — Validate: held-out evidence for a model version and a verdict on every objective."""
from __future__ import annotations

import streamlit as st

from lifecycle.charts.report_html import report_html
from lifecycle import auth
from lifecycle.validate import stage as validate_stage
from lifecycle.models import registry
from lifecycle.records import ModelState
from lifecycle.validate.report import ValidationReport
from lifecycle.validate.verdicts import Status
from ui import moves, state
from ui.review import explain as explain_panel
from ui.review import fairness as fairness_panel
from ui.review import mitigation as mitigation_panel
from ui.validate import panels as validate_panels
from ui.badges import badge
from ui.frame import current_project, disabled_reason, header, reported_errors, text

workspace = state.workspace()
user = state.page_user()
project = current_project()
header("Validate", project)
if project is None:
    st.info("Validation belongs to a project. Create one in stage 1 first.", icon=":material/flag:")
    st.stop()
version_id = state.model_version_id()
if version_id is None:
    st.info("No model version yet. Train runs and register the best one in Develop.", icon=":material/science:")
    st.page_link("pages/develop.py", label="Go to Develop", icon=":material/build:")
    st.stop()
version = registry.get_version(workspace, version_id)
cannot = auth.why_not(user, auth.Permission.VALIDATE_MODEL)


@st.cache_resource(max_entries=16, show_spinner=False)
def _parsed(workspace_path: str, report_id: int, _payload: dict) -> ValidationReport:
    """A stored report never changes, so its parsed form is kept per workspace and report id (read-only)."""
    return ValidationReport.from_dict(_payload)


@st.cache_data(show_spinner="Writing the HTML report…", max_entries=8)
def _report_html(workspace_path: str, report_id: int, project_name: str, model: str, _report, _stored) -> str:
    """One file per stored report (reports never change), so it is written once."""
    return report_html(_report, project=project_name, model=model, created_at=_stored.created_at,
                       created_by=_stored.created_by)


stored_report = validate_stage.latest_stored(workspace, version.id)
latest = None if stored_report is None else (stored_report, _parsed(str(workspace.path), stored_report.id, stored_report.report))

top = st.columns([2, 1, 1, 1])
top[0].markdown(f"### Model {text(version.label)}")
top[0].caption(f"Trained by {text(version.trained_by)}, registered by {text(version.created_by)} "
               f"on {version.created_at:%Y-%m-%d %H:%M} UTC · artifact `{version.artifact_hash[:12]}…`")
if latest is None:
    top[1].metric("Verdict", "not validated")
else:
    stored, report = latest
    top[1].markdown("**Verdict**  \n" + badge(Status.PASS if report.passed else Status.FAIL))
    top[2].metric("Test rows", f"{report.n_test:,}",
                  delta=None if report.positives is None else f"{report.positives:,} positive",
                  delta_color="off", help=report.class_count_text)
    primary = report.metrics.get(report.primary_metric)
    if primary and primary.value is not None:
        top[3].metric(report.primary_metric, f"{primary.value:.3f}",
                      help=f"95% bootstrap interval {primary.low:.3f} – {primary.high:.3f}"
                           + (f". {primary.unreliable}" if primary.unreliable else ""))
    elif primary:
        top[3].metric(report.primary_metric, "undefined", help=primary.note)

if latest is not None:
    stored, report = latest
    top[0].download_button(
        "Download the report (HTML)", icon=":material/download:", key=f"report_html_{stored.id}",
        data=_report_html(str(workspace.path), stored.id, project.name, f"v{version.version}", report, stored),
        file_name=f"validation-{project.name}-v{version.version}-report{stored.id}.html".replace(" ", "_"),
        mime="text/html", help="The verdicts, metrics and charts in one file that opens offline.")

with st.form("validate_form"):
    left, middle, right = st.columns(3)
    seed = left.number_input("Bootstrap seed", min_value=0, value=0, step=1, key="validate_seed")
    n_bootstrap = left.select_slider("Bootstrap resamples", [50, 100, 200, 500, 1000], value=200, key="validate_n")
    cost_fn = middle.number_input("Cost of a missed positive (FN)", min_value=0.0, value=1.0, step=0.5,
                                  key="validate_cost_fn", disabled=project.task != "binary")
    cost_fp = middle.number_input("Cost of a false alarm (FP)", min_value=0.0, value=1.0, step=0.5,
                                  key="validate_cost_fp", disabled=project.task != "binary")
    right.caption("Costs set the decision threshold. Example: for German credit (positive class 'bad'), "
                  "predicting good for a bad customer costs 5 and the reverse 1, so FN 5, FP 1.")
    go = st.form_submit_button("Validate on the test split", type="primary", disabled=cannot is not None)
disabled_reason(cannot)
if go:
    with reported_errors(), st.status("Validating: test metrics, bootstrap, robustness, slices…") as status:
        outcome = validate_stage.validate_version(
            workspace, user, version.id, seed=int(seed), n_bootstrap=int(n_bootstrap),
            cost_fn=cost_fn if project.task == "binary" else None, cost_fp=cost_fp if project.task == "binary" else None)
        status.update(label=f"Validated: {'every blocking objective passes' if outcome.report.passed else 'objectives fail'}",
                      state="complete")
        st.rerun()

REVIEW_SECTIONS = ("Explain", "Fairness")
section = st.radio("Section", (*validate_panels.REPORT_SECTIONS, *REVIEW_SECTIONS), horizontal=True,
                   key="validate_section", label_visibility="collapsed")
if section == "Explain":
    explain_panel.render(workspace, user, project, version)
elif section == "Fairness":
    if latest is not None:
        validate_panels.fairness_verdicts(latest[1])
    fairness_panel.render(workspace, user, project, version)
    st.divider()
    mitigation_panel.render(workspace, user, project, version)
elif latest is None:
    st.info("No validation report yet: validate the model on its test split above to see this section.", icon=":material/science:")
else:
    validate_panels.caption(latest[1], latest[0])
    validate_panels.render(section, latest[1])

st.divider()
st.markdown("**State** — " + " → ".join(f"**{s}**" if s == version.state else s for s in ModelState.path()))
moves.render(workspace, user, version)
