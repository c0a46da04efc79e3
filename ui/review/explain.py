"""The Explain section of the Validate page: which columns drive a model version, by SHAP.

An explanation already stored for the chosen settings is read back at once; otherwise the
panel shows what computing it would cost, and computes only when asked. The what-if form is
computed on the spot and never stored.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from lifecycle.review import explain
from lifecycle.charts import explain_charts as charts
from lifecycle.review.explain import ExplainInputs, Explanation
from lifecycle.records import Evidence, ModelState, ModelVersion
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import reported_errors, text

SEED = 0  # one seed for everyone, so the same request finds the same stored evidence
VIEWS = ("Importance", "Beeswarm", "Dependence", "One row", "What-if")


def _key(version: ModelVersion, name: str) -> str:
    return f"explain_{version.id}_{name}"


@st.cache_resource(show_spinner="Loading the model and its test split…", max_entries=4)
def _inputs(_workspace: Workspace, _version: ModelVersion, workspace_path: str, version_id: int,
            artifact_hash: str) -> ExplainInputs:
    """The loaded pipeline and split of a version (a process-wide handle, like a loaded model)."""
    return explain.load_inputs(_workspace, _version)


def _load(workspace: Workspace, version: ModelVersion) -> ExplainInputs:
    return _inputs(workspace, version, str(workspace.path), version.id, version.artifact_hash)


@st.cache_data(show_spinner="Timing the explainer on a few rows…", max_entries=32)
def _estimate(_inputs_: ExplainInputs, workspace_path: str, version_id: int, artifact_hash: str, rows: int,
              target_class: str | None) -> explain.CostEstimate:
    return explain.estimate_cost(_inputs_, rows=rows, seed=SEED, target_class=target_class)


def render(workspace: Workspace, user: User, project: Project, version: ModelVersion) -> None:
    st.caption("SHAP values split each prediction into pushes by column, in the columns of your data "
               "(one-hot columns are summed back onto their source column).")
    with reported_errors():
        _render(workspace, user, project, version)


def _settings(workspace: Workspace, version: ModelVersion, task: str) -> tuple[int, str | None]:
    latest = explain.latest_explanation(workspace, version.id)
    default_rows = latest[0].requested_rows if latest else explain.DEFAULT_ROWS
    left, right = st.columns(2)
    rows = int(left.number_input("Test rows to explain", min_value=explain.MIN_ROWS, max_value=explain.MAX_ROWS,
                                 value=default_rows, step=50, key=_key(version, "rows"),
                                 help="More rows give steadier importance and take longer."))
    target_class = None
    if task == "multiclass" and version.state != ModelState.RETIRED:  # a retired model is never loaded again
        classes = list(_load(workspace, version).classes)
        default = latest[0].target_class if latest and latest[0].target_class in classes else classes[0]
        target_class = right.selectbox("Class to explain", classes, index=classes.index(default),
                                       key=_key(version, "class"),
                                       help="SHAP explains one class's score; the default is the model's first class.")
    return rows, target_class


def _render(workspace: Workspace, user: User, project: Project, version: ModelVersion) -> None:
    rows, target_class = _settings(workspace, version, project.task)
    found = explain.stored_explanation(workspace, version, rows=rows, seed=SEED, target_class=target_class)
    if found is None and version.state == ModelState.RETIRED:
        st.info(f"Model {text(version.label)} is retired: no explanation of these settings was stored while it could "
                "serve, and none is computed now (its artifact is archived).", icon=":material/inventory_2:")
        return
    if found is None:
        inputs = _load(workspace, version)
        cost = _estimate(inputs, str(workspace.path), version.id, version.artifact_hash, rows, target_class)
        st.info(f"{text(cost.text)}" + (f"  \n{text(cost.note)}" if cost.note else ""), icon=":material/timer:")
        if not st.button("Compute explanation", key=_key(version, "compute"), type="primary"):
            return
        with st.spinner("Computing SHAP values…"):
            explanation, stored, _ = explain.explain_version(workspace, user, version, rows=rows, seed=SEED,
                                                             target_class=target_class, inputs=inputs)
        found = (explanation, stored)
    _show(workspace, version, *found)


def _show(workspace: Workspace, version: ModelVersion, explanation: Explanation, stored: Evidence) -> None:
    st.caption(f"Evidence #{stored.id}, computed by {text(stored.created_by)} on {stored.created_at:%Y-%m-%d %H:%M} "
               f"UTC in {explanation.seconds:.1f} s: {explanation.method} SHAP on {explanation.rows:,} of "
               f"{explanation.available_rows:,} test rows (seed {explanation.seed}); values are in "
               f"{text(explanation.output)}. Read from the store: nobody waits for it again.")
    st.markdown("**What drives the model most**  \n"
                + "  \n".join(f"- {text(d.statement)}" for d in explanation.drivers))
    for note in explanation.notes:
        st.caption(f":material/info: {text(note)}")
    # One view at a time, its figure built once per stored explanation: a rerun stays fast.
    view = st.radio("View", VIEWS, horizontal=True, key=_key(version, "view"), label_visibility="collapsed")
    if view == "Importance":
        st.plotly_chart(_figure("importance", str(workspace.path), stored.cache_key, explanation), width="stretch",
                        key=_key(version, "importance"))
    elif view == "Beeswarm":
        st.plotly_chart(_figure("beeswarm", str(workspace.path), stored.cache_key, explanation), width="stretch", key=_key(version, "beeswarm"))
    elif view == "Dependence":
        _dependence(version, explanation, stored.cache_key)
    else:
        position = _row_picker(version, explanation)
        if view == "One row":
            st.plotly_chart(charts.waterfall_figure(explanation.row(position),
                                                    title=f"Row {explanation.row_ids[position]}"),
                            width="stretch", key=_key(version, "waterfall"))
        else:
            _what_if(workspace, version, explanation, position)


@st.cache_resource(max_entries=32, show_spinner=False)
def _figure(kind: str, workspace_path: str, evidence_key: str, _explanation: Explanation, *args: str | None):
    """A chart of a stored explanation. Evidence never changes and its key names the model, data
    and sample it came from, so the chart is built once per key (and only read afterwards)."""
    if kind == "importance":
        return charts.importance_figure(_explanation)
    if kind == "beeswarm":
        return charts.beeswarm_figure(_explanation)
    return charts.dependence_figure(_explanation, *args)


def _dependence(version: ModelVersion, explanation: Explanation, evidence_key: str) -> None:
    columns = list(explanation.importance)
    left, right = st.columns(2)
    column = left.selectbox("Column", columns, key=_key(version, "dependence"))
    others = [c for c in columns if c != column]
    strongest = explanation.interactions.get(column)
    colour = right.selectbox("Colour by", others, index=others.index(strongest) if strongest in others else 0,
                             key=_key(version, f"colour_{column}"),
                             help="Default: the column whose values best explain the spread (strongest "
                                  "interaction).") if others else None
    st.plotly_chart(_figure("dependence", str(state.workspace().path), evidence_key, explanation, column, colour), width="stretch",
                    key=_key(version, "dependence_chart"))


def _row_picker(version: ModelVersion, explanation: Explanation) -> int:
    return st.selectbox("Row", range(explanation.rows), key=_key(version, "row"),
                        format_func=lambda p: f"row {explanation.row_ids[p]} — {explanation.predictions[p]}",
                        help="Rows of the test split that were explained.")


def _input(version: ModelVersion, column, value: Any, position: int) -> Any:
    key = _key(version, f"what_if_{position}_{column.name}")
    if column.kind == "numeric":
        return st.number_input(text(column.name), value=float(value) if value is not None else 0.0, key=key)
    options = list(column.categories)
    if value is not None and str(value) not in options:
        options.append(str(value))
    if not options:
        return st.text_input(text(column.name), value="" if value is None else str(value), key=key)
    return st.selectbox(text(column.name), options, index=options.index(str(value)) if value is not None else 0, key=key)


def _what_if(workspace: Workspace, version: ModelVersion, explanation: Explanation, position: int) -> None:
    original = explanation.row(position)
    st.caption(f"Start from row {explanation.row_ids[position]}, change any value and "
               "see the prediction and its explanation change.")
    with st.form(_key(version, "what_if_form")):
        columns = st.columns(3)
        values = {}
        for index, column in enumerate(version.input_schema):
            with columns[index % 3]:
                values[column.name] = _input(version, column, original.features.get(column.name), position)
        submitted = st.form_submit_button("Predict and explain", key=_key(version, "what_if_submit"))
    if submitted:
        local = explain.what_if(_load(workspace, version), values, target_class=explanation.target_class,
                                seed=SEED)
        state.remember(state.WHAT_IF, {"row": position, "result": local}, project_id=version.project_id,
                       item=version.id)
    last = state.recall(state.WHAT_IF, project_id=version.project_id, item=version.id)
    if not last or last["row"] != position:
        return
    local = last["result"]
    before, after = st.columns(2)
    before.metric("Prediction for the original row", original.prediction)
    after.metric("Prediction for the edited row", local.prediction,
                 delta=f"{local.value - original.value:+.4g} {explanation.output}")
    st.plotly_chart(charts.waterfall_figure(local, title="Edited row"), width="stretch",
                    key=_key(version, "what_if_waterfall"))
