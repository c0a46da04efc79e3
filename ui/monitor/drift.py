"""Drift: the ranked table of one window, the heatmap of drift per feature × window (one click on a
cell opens that feature in that window), and the detail: reference vs window histograms side by
side; the model's outputs (predicted classes per window, scores against the reference)."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from lifecycle.charts import monitor_charts
from lifecycle.errors import LifecycleError
from lifecycle.monitor import drift_views
from lifecycle.monitor.drift_config import drift_rules
from lifecycle.monitor.drift_columns import SCORE_NAME
from lifecycle.monitor.drift_decisions import FeatureDrift
from lifecycle.monitor.windows import format_size
from lifecycle.records import Project
from lifecycle.records.drift import INPUT, PREDICTION
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import text


def _label(item: FeatureDrift) -> str:
    return item.feature if item.source == INPUT else f"[{item.feature}]"


def table_frame(features) -> pd.DataFrame:
    """The ranked drift table as the page shows it."""
    return pd.DataFrame([{
        "Feature": _label(f), "Status": "confirmed" if f.confirmed else ("drift" if f.drift else f.status.replace(
            "_", " ")),
        "Test": f.statistic, "Adjusted p": f.adjusted_p_value, "Effect": f.effect_name, "Effect size": f.effect,
        "Minimum": f.min_effect, "Impact": f.impact, "Windows in a row": f.streak, "Why": f.reason,
    } for f in features])


def _focus_from_selection(event, project_id: int) -> None:
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points:
        point = points[0]
        feature, start = point.get("y"), point.get("x")
        if feature and start:
            state.remember(state.MONITOR_FOCUS, (str(feature), str(start)), project_id=project_id)


def _parse(label: str) -> tuple[str, str]:
    return (PREDICTION, label[1:-1]) if label.startswith("[") and label.endswith("]") else (INPUT, label)


def render(workspace: Workspace, project: Project, version_id: int, since: datetime) -> None:
    rules = drift_rules(workspace, project.id)
    size = rules.window_seconds
    history = drift_views.drift_history(workspace, project.id, version_id=version_id, since=since)
    complete = [f.window_start for f in history if f.complete and f.status in ("drift", "no_drift")]
    # the newest window with a decision (the open one is still filling, usually under the minimum rows)
    table = drift_views.drift_table(workspace, project.id, version_id=version_id,
                                    window_start=max(complete) if complete else None)
    if table.window_start is None:
        st.info(text(table.note), icon=":material/hourglass_empty:")
        return
    st.caption(f"Judged on {format_size(size)} windows (the project's drift rule). "
               + text(table.importance_note))
    state_word = "complete" if table.complete else "still filling"
    st.markdown(f"**Newest judged window** from {table.window_start:%Y-%m-%d %H:%M} UTC ({table.window_rows:,} rows, "
                f"{state_word}): ranked by impact, confirmed first.")
    st.dataframe(table_frame(table.features), hide_index=True, width="stretch", column_config={
        "Adjusted p": st.column_config.NumberColumn(format="%.2g"),
        "Effect size": st.column_config.NumberColumn(format="%.3f"),
        "Minimum": st.column_config.NumberColumn(format="%.2f"),
        "Impact": st.column_config.NumberColumn(format="%.3f"),
        "Why": st.column_config.TextColumn(width="large")})
    order = [_label(f) for f in table.features]
    event = st.plotly_chart(monitor_charts.drift_heatmap_figure(history, order), key="monitor_heatmap",
                            on_select="rerun", selection_mode="points")
    _focus_from_selection(event, project.id)
    st.caption("Click a cell for that feature's histograms in that window.")
    _detail(workspace, project, version_id, history, order, size)
    outputs = [f for f in history if f.source == PREDICTION and f.feature == "prediction"]
    st.plotly_chart(monitor_charts.predictions_figure(outputs, size), key="monitor_predictions")


def _detail(workspace: Workspace, project: Project, version_id: int, history: list[FeatureDrift],
            order: list[str], size: int) -> None:
    starts = sorted({f.window_start for f in history}, reverse=True)
    if not starts or not order:
        return
    focus = state.recall(state.MONITOR_FOCUS, project_id=project.id)
    feature, window = (focus if focus else (order[0], starts[0].isoformat()))
    try:
        chosen_start = datetime.fromisoformat(str(window).replace("Z", "")).replace(tzinfo=None)
    except ValueError:
        chosen_start = starts[0]
    nearest = min(starts, key=lambda s: abs((s - chosen_start).total_seconds()))
    left, right = st.columns(2)
    picked = left.selectbox("Feature", order, index=order.index(feature) if feature in order else 0,
                            key=f"monitor_feature_{feature}")
    when = right.selectbox("Window", starts, index=starts.index(nearest), key=f"monitor_window_{nearest}",
                           format_func=lambda s: f"{s:%Y-%m-%d %H:%M} UTC")
    if (picked, when.isoformat()) != (feature, nearest.isoformat()):
        state.remember(state.MONITOR_FOCUS, (picked, when.isoformat()), project_id=project.id)
    source, name = _parse(picked)
    try:
        detail = drift_views.feature_detail(workspace, project.id, name, window_start=when, source=source,
                                            version_id=version_id)
    except LifecycleError as error:
        st.info(f"{text(error.problem)} {text(error.fix)}", icon=":material/info:")
        return
    st.plotly_chart(monitor_charts.histograms_figure(detail), key="monitor_detail")
    st.caption(f"{text(picked)} in this window: {text(detail.drift.reason)}.")
    if name != SCORE_NAME:
        try:
            score = drift_views.feature_detail(workspace, project.id, SCORE_NAME, window_start=when,
                                               source=PREDICTION, version_id=version_id)
        except LifecycleError:
            return
        st.plotly_chart(monitor_charts.histograms_figure(score, title="Scores: reference vs this window"),
                        key="monitor_scores")
