"""Settings: the project's webhook (analysts and admins) and its drift rules (read by everyone,
changed by analysts and admins); each change is checked and audited in ``lifecycle``."""
from __future__ import annotations

import streamlit as st

from lifecycle import auth
from lifecycle.errors import LifecycleError
from lifecycle.monitor.drift_config import configure_drift, describe_rules, drift_rules
from lifecycle.monitor.webhook import set_webhook, unsent_open, webhook_of
from lifecycle.monitor.windows import format_size, parse_size
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui.frame import disabled_reason, text


def _error(error: LifecycleError) -> None:
    st.error(f"**{text(error.problem)}** {text(error.fix)}", icon=":material/error:")


def webhook(workspace: Workspace, user: User, project: Project) -> None:
    st.markdown("##### Webhook")
    current = webhook_of(workspace, project.id)
    st.caption(f"Alerts go to {text(current.host)} (set by {text(current.set_by)})." if current else
               "No webhook: alerts are shown here and on Home only.")
    cannot = auth.why_not(user, auth.Permission.CONFIGURE_ALERTS)
    with st.form("monitor_webhook", border=False):
        url = st.text_input("Incoming-webhook URL (Slack or Mattermost shape)", type="password",
                            disabled=cannot is not None, key="monitor_webhook_url")
        earlier = unsent_open(workspace, project.id)
        send_open = bool(earlier) and st.checkbox(
            f"Also send the {len(earlier)} open alert(s) raised before a webhook was set", value=True,
            disabled=cannot is not None, key="monitor_webhook_send_open",
            help="They go out with the next refresh, as alerts raised from now on do.")
        left, right = st.columns(2)
        save = left.form_submit_button("Save", disabled=cannot is not None)
        clear = right.form_submit_button("Remove", disabled=cannot is not None or current is None)
    disabled_reason(cannot)
    if save or clear:
        try:
            set_webhook(workspace, user, project.id, None if clear else url, send_open=send_open)
            st.rerun()
        except LifecycleError as error:
            _error(error)


def rules(workspace: Workspace, user: User, project: Project) -> None:
    st.markdown("##### Drift rules")
    config = drift_rules(workspace, project.id)
    for line in describe_rules(config):
        st.markdown(f"- {text(line)}")
    cannot = auth.why_not(user, auth.Permission.CONFIGURE_MONITORING)
    with st.form("monitor_rules", border=False):
        cols = st.columns(3)
        window = cols[0].text_input("Window", value=format_size(config.window_seconds), disabled=cannot is not None)
        consecutive = cols[1].number_input("Windows in a row to confirm", 1, 1000, config.consecutive,
                                           disabled=cannot is not None)
        min_rows = cols[2].number_input("Rows a window needs", 1, 10_000_000, config.min_rows,
                                        disabled=cannot is not None)
        cols = st.columns(3)
        alpha = cols[0].number_input("False discovery rate", 0.001, 0.5, float(config.alpha), step=0.01,
                                     disabled=cannot is not None)
        numeric = cols[1].number_input("Numeric minimum effect", 0.0, 100.0, float(config.numeric.min_effect),
                                       step=0.05, disabled=cannot is not None)
        categorical = cols[2].number_input("Categorical minimum effect", 0.0, 1.0,
                                           float(config.categorical.min_effect), step=0.05,
                                           disabled=cannot is not None)
        save = st.form_submit_button("Save the rules", disabled=cannot is not None)
    disabled_reason(cannot)
    if save:
        try:
            configure_drift(workspace, user, project.id, window_seconds=parse_size(window),
                            consecutive=int(consecutive), min_rows=int(min_rows), alpha=float(alpha),
                            numeric={"min_effect": float(numeric)}, categorical={"min_effect": float(categorical)})
            st.rerun()
        except LifecycleError as error:
            _error(error)
