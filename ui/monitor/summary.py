"""The stakeholder view: one word, the sentences behind it, and the headline numbers with their trend."""
from __future__ import annotations

import streamlit as st

from lifecycle.monitor.summary import ATTENTION, STABLE, MonitorSummary
from ui.frame import text

WORD_STYLE = {STABLE: ("green", "check_circle"), ATTENTION: ("orange", "warning")}


def render(summary: MonitorSummary) -> None:
    colour, icon = WORD_STYLE.get(summary.word, ("gray", "schedule"))
    st.markdown(f"### :{colour}-badge[:material/{icon}: {summary.word}]")
    for sentence in summary.sentences:
        st.markdown(text(sentence))
    if not summary.headlines:
        return
    columns = st.columns(len(summary.headlines))
    for column, headline in zip(columns, summary.headlines):
        column.metric(headline.label, headline.value, delta=headline.delta or None, delta_color="off",
                      delta_arrow="off",
                      help=text(headline.help) if headline.help else None,
                      chart_data=list(headline.trend) if len(headline.trend) > 1 else None, border=True)
