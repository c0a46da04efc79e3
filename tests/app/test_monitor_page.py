"""The Monitor page on the demo workspace: the analyst's details (traffic, drift with its heatmap
and histograms, performance, the planted drift's alert acknowledged), the stakeholder's summary in
plain words with the alert controls disabled."""
from __future__ import annotations

from lifecycle.literal import literal
from lifecycle.monitor import alerts, summary
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in


def _monitor(user: str):
    app = signed_in(user)
    app.switch_page("pages/monitor.py").run()
    no_exceptions(app)
    return app


def _section(app, name: str):
    app.radio(key="monitor_section").set_value(name).run()
    no_exceptions(app)
    return app


def _markdown(app) -> str:
    return "\n".join(m.value for m in app.markdown)


def test_the_analyst_reads_every_section_and_acknowledges_the_drift_alert(demo_app):
    app = _monitor("ana")
    assert app.title[0].value == "Monitor"
    assert len(app.get("plotly_chart")) == 3  # requests, error rate, latency
    _section(app, "Drift")
    table = app.dataframe[0].value
    assert table.iloc[0]["Feature"] == "age" and table.iloc[0]["Status"] == "confirmed"
    charts = [c.proto.spec for c in app.get("plotly_chart")]
    assert any('"heatmap"' in spec for spec in charts) and any('"barmode":"group"' in spec for spec in charts)
    _section(app, "Performance")
    assert app.selectbox(key="monitor_metric").value
    _section(app, "Alerts")
    [open_alert] = alerts.open_alerts(open_workspace(demo_app))
    assert open_alert.kind == "drift" and "age" in open_alert.title
    app.text_input(key=f"alert_comment_{open_alert.id}").input("Looking at the age feed")
    app.button(key=f"FormSubmitter:alert_form_{open_alert.id}-Acknowledge").click().run()
    no_exceptions(app)
    assert alerts.get_alert(open_workspace(demo_app), open_alert.id).state == "acknowledged"
    assert any("acknowledged" in s.value for s in app.success)
    _section(app, "Settings")
    assert any("Drift confirmed after" in m for m in _markdown(app).splitlines())


def test_the_stakeholder_sees_the_summary_in_plain_words_and_cannot_handle_alerts(demo_app):
    app = _monitor("sam")
    assert app.get("stSegmentedControl") is not None
    text = _markdown(app)
    assert "attention" in text and literal("Model v1: drifting in age.") in text and literal("1 open alert.") in text
    labels = [m.label for m in app.metric]
    assert labels[:3] == ["Requests", "Error rate", "p95 latency"] and "Open alerts" in labels
    app.segmented_control(key="monitor_view").set_value("Details").run()
    _section(app, "Alerts")
    [form_button] = [b for b in app.button if b.label == "Acknowledge"]
    assert form_button.disabled
    assert any("may not acknowledge" in c.value for c in app.caption)
    assert literal(summary.drift_words(("age",))) in text


def test_a_webhook_saved_after_the_alert_offers_to_send_it(demo_app):
    app = _section(_monitor("ana"), "Settings")
    [planted] = alerts.open_alerts(open_workspace(demo_app))
    box = app.checkbox(key="monitor_webhook_send_open")
    assert box.value and "Also send the 1 open alert(s)" in box.label
    app.text_input(key="monitor_webhook_url").input("http://127.0.0.1:9/hooks/T/SECRET")
    app.button(key="FormSubmitter:monitor_webhook-Save").click().run()
    no_exceptions(app)
    assert alerts.get_alert(open_workspace(demo_app), planted.id).delivery == "pending"  # out with the next refresh
