"""Alerts: each with its evidence (the chart, the windows, the numbers), its delivery to the
webhook, and acknowledge / resolve with a comment (roles are enforced in ``lifecycle.monitor.alerts``;
a role that may not sees the controls disabled, with the reason)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.charts import monitor_charts
from lifecycle.charts.performance_charts import interval_series_figure
from lifecycle.errors import LifecycleError
from lifecycle.monitor import alerts as alert_actions
from lifecycle.records import Alert, Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import disabled_reason, last_action, text

STATE_STYLE = {"open": ("red", "notifications_active"), "acknowledged": ("orange", "visibility"),
               "resolved": ("green", "check_circle")}
SHOWN = ("Open and acknowledged", "Resolved", "All")


def state_badge(alert: Alert) -> str:
    colour, icon = STATE_STYLE.get(alert.state, ("gray", "circle"))
    return f":{colour}-badge[:material/{icon}: {alert.state}]"


def _chart(alert: Alert, key: str) -> None:
    chart = alert.evidence.get("chart")
    if not isinstance(chart, dict):
        return
    figure = (monitor_charts.drift_series_figure(chart) if chart.get("kind") == "drift_series"
              else interval_series_figure(chart))
    st.plotly_chart(figure, key=key)


def _history(alert: Alert) -> None:
    lines = [f"Opened {alert.opened_at:%Y-%m-%d %H:%M} UTC by the {alert.opened_by} rule."]
    if alert.acknowledged_at:
        lines.append(f"Acknowledged {alert.acknowledged_at:%Y-%m-%d %H:%M} by {text(alert.acknowledged_by)}: "
                     f"{text(alert.acknowledged_comment)}")
    if alert.resolved_at:
        lines.append(f"Resolved {alert.resolved_at:%Y-%m-%d %H:%M} by {text(alert.resolved_by)}: "
                     f"{text(alert.resolved_comment)}")
    if alert.delivery != "none":
        tries = ", ".join(f"{d.at:%H:%M:%S} {text(d.url_host)} "
                          + ("ok" if d.ok else text(d.error or "no answer")) for d in alert.deliveries)
        lines.append(f"Webhook delivery: {alert.delivery}" + (f" ({tries})" if tries else ""))
    st.markdown("  \n".join(lines))


def _act(workspace: Workspace, user: User, project: Project, alert: Alert) -> None:
    cannot = auth.why_not(user, auth.Permission.HANDLE_ALERTS)
    with st.form(f"alert_form_{alert.id}", border=False):
        comment = st.text_input("Comment", key=f"alert_comment_{alert.id}", disabled=cannot is not None,
                                placeholder="What was found or done")
        left, right = st.columns(2)
        ack = left.form_submit_button("Acknowledge", icon=":material/visibility:",
                                      disabled=cannot is not None or alert.state != "open")
        done = right.form_submit_button("Resolve", icon=":material/check_circle:", disabled=cannot is not None)
    disabled_reason(cannot)
    if ack or done:
        try:
            moved = (alert_actions.acknowledge if ack else alert_actions.resolve)(workspace, user, alert.id, comment)
        except LifecycleError as error:
            st.error(f"**{text(error.problem)}** {text(error.fix)}", icon=":material/error:")
            return
        state.remember(state.ALERT_MESSAGE, f"Alert #{moved.id} {moved.state}.", project_id=project.id)
        st.rerun()


def render(workspace: Workspace, user: User, project: Project) -> None:
    message = state.recall(state.ALERT_MESSAGE, project_id=project.id)
    if message:
        last_action(state.ALERT_MESSAGE, message, project_id=project.id)
    shown = st.segmented_control("Alerts", SHOWN, default=SHOWN[0], key="monitor_alert_filter") or SHOWN[0]
    every = alert_actions.alerts_for(workspace, project.id, limit=200)
    chosen = [a for a in every if shown == "All" or (a.state == "resolved") == (shown == "Resolved")]
    if not chosen:
        st.info("No alert here. Alerts are raised when drift is confirmed or an objective is breached by its "
                "interval.", icon=":material/notifications_off:")
        return
    for alert in chosen:
        with st.expander(f"#{alert.id} · {alert.kind} · {alert.state} · {text(alert.title)}",
                         expanded=alert.state == "open" and alert is chosen[0],
                         icon=":material/notifications_active:" if alert.is_open else ":material/check_circle:"):
            st.markdown(f"{state_badge(alert)} {text(alert.title)}")
            _chart(alert, key=f"alert_chart_{alert.id}")
            windows = alert.evidence.get("windows") or []
            if windows:
                st.dataframe(pd.DataFrame(windows), hide_index=True, width="stretch", column_config={
                    name: st.column_config.NumberColumn(format="%.3g")
                    for name in ("p_value", "adjusted_p_value", "effect", "value", "low", "high", "estimated")})
            also = alert.evidence.get("outputs_also_drifting") or []
            if also:
                st.caption("The model's outputs drift too in these windows: "
                           + ", ".join(text(a.get("feature")) for a in also) + ".")
            _history(alert)
            if alert.is_open:
                _act(workspace, user, project, alert)
