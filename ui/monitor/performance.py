"""Performance per window once labels arrive: each tracked metric realized with its 95% interval,
estimated by CBPE beside it, the objective's line, and the share of predictions labelled."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from lifecycle.charts.performance_charts import performance_figure
from lifecycle.monitor.drift_config import drift_rules
from lifecycle.monitor.performance import performance_history
from lifecycle.monitor.windows import format_size
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.records import Project
from lifecycle.workspace import Workspace
from ui.frame import text


def render(workspace: Workspace, project: Project, version_id: int, since: datetime, until: datetime) -> None:
    size = drift_rules(workspace, project.id).window_seconds
    history = performance_history(workspace, project.id, size_seconds=size, since=since, until=until,
                                  version_id=version_id)
    windows = history.of_version(version_id)
    if not windows:
        st.info("No performance on record in this time range: labels join predictions at each monitoring refresh.",
                icon=":material/hourglass_empty:")
        return
    labelled = sum(w.labelled for w in windows)
    predictions = sum(w.predictions for w in windows)
    calibration = history.calibration.get(version_id)
    st.caption(f"Per {format_size(size)} window. {labelled:,} of {predictions:,} predictions labelled so far "
               f"({labelled / predictions:.0%})." if predictions else "")
    if calibration is not None and not calibration.calibrated:
        st.caption(f":material/warning: {text(calibration.text)}")
    objectives = {o.metric: o for o in history.objectives}
    metrics = list(history.tracked)
    chosen = st.selectbox("Metric", metrics, format_func=lambda m: CATALOGUE[m].label if m in CATALOGUE else m,
                          key="monitor_metric") if metrics else None
    if chosen is not None:
        st.plotly_chart(performance_figure(history, chosen, version_id, objectives.get(chosen)),
                        key="monitor_performance")
    st.dataframe(pd.DataFrame([{"Window start (UTC)": w.window.start, "Predictions": w.predictions,
                                "Labelled": w.labelled_share} for w in windows]).tail(48),
                 hide_index=True, width="stretch", column_config={
                     "Window start (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                     "Labelled": st.column_config.ProgressColumn("Share labelled", min_value=0.0, max_value=1.0,
                                                                 format="percent")})
