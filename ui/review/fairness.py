"""The Fairness section of the Validate page: the Fairlearn review of a model version by its
sensitive attributes and their intersection, computed once and then read from the evidence."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle.review import fairness_evidence
from lifecycle.charts import fairness_charts
from lifecycle.review.fairness_evidence import StoredReview
from lifecycle.validate.fairness_review import DEFAULT_BOOTSTRAP, MIN_GROUP_SIZE, GroupingReview, judge, label
from lifecycle.records import ModelVersion
from lifecycle.validate.verdicts import Status
from lifecycle.records import Objective, Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import reported_errors, text

RESAMPLE_CHOICES = (20, 50, 100, 200, 500, 1000)
_JUDGED = {Status.PASS: "pass", Status.FAIL: "fail", Status.UNCERTAIN: "uncertain", Status.NO_OBJECTIVE: "—"}


def render(workspace: Workspace, user: User, project: Project, version: ModelVersion) -> None:
    st.caption("How the model's decisions differ between groups of each sensitive attribute and of their "
               "intersection, with Fairlearn's metrics and bootstrap intervals. Stored as review evidence.")
    choices: list[str] = []
    with reported_errors():
        choices = fairness_evidence.sensitive_choices(workspace, version)
    if not project.sensitive:
        st.info("This project declares no sensitive attributes. Declare them in Problem (stage 1), or pick "
                "columns below for a one-off review.", icon=":material/balance:")
    with st.form(f"fairness_form_{version.id}"):
        left, middle, right, last = st.columns([3, 1, 1, 1])
        sensitive = left.multiselect("Sensitive attributes", choices,
                                     default=[c for c in project.sensitive if c in choices],
                                     key=f"fairness_sensitive_{version.id}",
                                     help="Each one is reviewed alone, and all of them together (intersection).")
        min_group_size = middle.number_input("Minimum group size", min_value=1, value=MIN_GROUP_SIZE, step=5,
                                             key="fairness_min_group_size",
                                             help="Smaller groups are shown with a flag but not compared.")
        n_bootstrap = right.select_slider("Bootstrap resamples", RESAMPLE_CHOICES, value=DEFAULT_BOOTSTRAP,
                                          key="fairness_n_bootstrap")
        seed = last.number_input("Seed", min_value=0, value=0, step=1, key="fairness_seed")
        compute = st.form_submit_button("Compute fairness review", type="primary")
    if not sensitive:
        st.info("Pick at least one sensitive attribute to review.", icon=":material/balance:")
        return
    settings = dict(sensitive=list(sensitive), seed=int(seed), n_bootstrap=int(n_bootstrap),
                    min_group_size=int(min_group_size))
    with reported_errors():
        stored = fairness_evidence.stored_review(workspace, version.id, **settings)
        if compute and stored is None:
            with st.status(f"Reviewing fairness by {text(', '.join(sensitive))}…", expanded=True) as status:
                bar = st.progress(0.0)
                stored = fairness_evidence.review_version(workspace, user, version.id, **settings,
                                                          progress=lambda f, m: bar.progress(f, text=m))
                status.update(label="Fairness review computed and stored as evidence", state="complete",
                              expanded=False)
        if stored is None:
            stored = fairness_evidence.latest_review(workspace, version.id)
            if stored is None:
                st.info("No fairness review with these settings yet: compute it above. It is stored as evidence, "
                        "so it is computed once for everyone.", icon=":material/balance:")
                return
            shown = stored.report
            st.info(f"Showing the latest stored review (by {text(', '.join(shown.attributes))}, "
                    f"{shown.n_bootstrap} resamples, groups of {shown.min_group_size}+ rows, seed {shown.seed}); "
                    "the settings above have not been computed yet.", icon=":material/balance:")
        show(stored, fairness_evidence.fairness_objectives(workspace, project.id))


def show(stored: StoredReview, objectives: tuple[Objective, ...]) -> None:
    """A stored review: what it was computed from, the differences and ratios, then each grouping."""
    report, found = stored.report, stored.evidence
    origin = "computed now" if not stored.from_store else "read from the stored evidence"
    st.caption(f"Evidence #{found.id} by {text(found.created_by)} on {found.created_at:%Y-%m-%d %H:%M} UTC "
               f"({origin}) · {report.n_rows:,} test rows · decisions: {text(report.decision)} · "
               f"{report.n_bootstrap} resamples, seed {report.seed}.")
    for note in report.notes:
        st.caption(f":material/info: {text(note)}")
    by_metric = {o.metric: o for o in objectives}
    st.plotly_chart(_disparities_figure(_workspace_path(), found.cache_key, tuple(str(o) for o in objectives), report, objectives),
                    width="stretch", key=f"fairness_disparities_{found.id}")
    rows = []
    for grouping in report.groupings:
        for disparity in grouping.disparities:
            objective = by_metric.get(disparity.metric)
            rows.append({"Grouping": grouping.name, "Measure": label(disparity.metric), "Value": disparity.value,
                         "95% low": disparity.low, "95% high": disparity.high,
                         "Objective": "" if objective is None else f"{objective.comparator} {objective.threshold:g}",
                         "Judged": _JUDGED[judge(objective, disparity)], "Note": disparity.note})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(text(report.resampling))
    tabs = st.tabs([text(g.name) for g in report.groupings])
    for tab, grouping in zip(tabs, report.groupings):
        with tab:
            _grouping(grouping, report.metric_names, report.min_group_size, found.id, found.cache_key)


def _workspace_path() -> str:
    return str(state.workspace().path)


# Stored evidence never changes and its workspace and key name what it came from, so each chart is built once
# per key (and only read afterwards); objectives can change, so they are part of that chart's key.
@st.cache_resource(max_entries=32, show_spinner=False)
def _disparities_figure(workspace_path: str, evidence_key: str, objective_texts: tuple[str, ...], _report, _objectives):
    return fairness_charts.disparities_figure(_report, _objectives)


@st.cache_resource(max_entries=64, show_spinner=False)
def _groups_figure(workspace_path: str, evidence_key: str, grouping_name: str, _grouping: GroupingReview, min_group_size: int):
    return fairness_charts.group_metrics_figure(_grouping, min_group_size=min_group_size)


def _grouping(grouping: GroupingReview, metric_names: tuple[str, ...], min_group_size: int, evidence_id: int,
              evidence_key: str) -> None:
    for note in grouping.notes:
        st.warning(text(note), icon=":material/warning:")
    if grouping.excluded:
        st.markdown(f":material/warning: **Not compared** (under {min_group_size} rows): " + text(", ".join(grouping.excluded)))
    table = pd.DataFrame([{"Group": g.group, "Rows": g.count, "Small": "too small: not compared" if g.small else "",
                           **{label(m): g.metrics.get(m) for m in metric_names if m != "count"}}
                          for g in grouping.groups])
    st.dataframe(table, hide_index=True, width="stretch")
    st.plotly_chart(_groups_figure(_workspace_path(), evidence_key, grouping.name, grouping, min_group_size), width="stretch",
                    key=f"fairness_groups_{evidence_id}_{grouping.name}")
