"""Alerts: the interval rule (never the point value alone), breach episodes, idempotent raising,
acknowledge and resolve with their audit events and roles, and webhook delivery against real
receivers on localhost, including one that fails first."""
from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lifecycle import audit
from lifecycle.clock import utc_now
from lifecycle.errors import InputError, NotFound, PermissionDenied
from lifecycle.monitor import alert_rules, alerts, webhook
from lifecycle.monitor.alert_rules import BREACHED, MET, NOT_JUDGED, UNCERTAIN, breaches, judge
from lifecycle.monitor.performance import WindowPerformance, performance_history, refresh_performance
from lifecycle.monitor.windows import Window
from lifecycle.problem import projects
from lifecycle.problem.objectives import parse_objective
from lifecycle.records import WindowMetric
from tests.unit.monitor_traffic import START, make_project, simulate

HOUR = 3600
LATER = START + timedelta(days=1)
RECALL = parse_objective("recall>=0.6", task="binary")
GAP = parse_objective("demographic_parity_difference<=0.1", task="binary")


# --- the rule ------------------------------------------------------------------------------------

@pytest.mark.parametrize("objective, value, low, high, labelled, state", [
    (RECALL, 0.50, 0.45, 0.58, 200, BREACHED),     # the whole interval below 0.6
    (RECALL, 0.55, 0.50, 0.62, 200, UNCERTAIN),    # the point misses, the interval reaches 0.6: no alert
    (RECALL, 0.55, 0.50, 0.60, 200, UNCERTAIN),    # touching the threshold is reaching it
    (RECALL, 0.61, 0.55, 0.66, 200, MET),
    (RECALL, 0.40, 0.30, 0.50, 29, NOT_JUDGED),    # too few labelled rows
    (RECALL, 0.40, None, None, 200, NOT_JUDGED),   # no interval
    (RECALL, None, None, None, 200, NOT_JUDGED),
    (GAP, 0.25, 0.12, 0.31, 500, BREACHED),        # <=: the whole interval above 0.1
    (GAP, 0.25, 0.05, 0.31, 500, UNCERTAIN),
    (GAP, 0.08, 0.02, 0.15, 500, MET),
])
def test_an_objective_is_breached_by_its_interval_not_its_point_value(objective, value, low, high, labelled, state):
    assert judge(objective, value, low, high, labelled=labelled).state == state


def test_an_unreliable_interval_is_not_judged():
    judged = judge(RECALL, 0.1, 0.0, 0.2, labelled=200, unreliable="The interval rests on 4 positive row(s) of 200")
    assert judged.state == NOT_JUDGED and "4 positive" in judged.reason


def _window(hour, value, low, high, labelled=200):
    start = START + timedelta(hours=hour)
    metric = WindowMetric(project_id=1, model_version_id=7, size_seconds=HOUR, window_start=start, metric="recall",
                          source="realized", value=value, low=low, high=high, n=labelled)
    return WindowPerformance(model_version_id=7, window=Window(start=start, end=start + timedelta(hours=1)),
                             predictions=labelled, labelled=labelled, label_counts={}, realized={"recall": metric})


def test_one_alert_per_breach_episode():
    windows = [_window(0, 0.7, 0.65, 0.75), _window(1, 0.55, 0.5, 0.62), _window(2, 0.5, 0.45, 0.55),
               _window(3, 0.4, 0.3, 0.5), _window(4, 0.3, 0.1, 0.5, labelled=5), _window(5, 0.5, 0.4, 0.55),
               _window(6, 0.65, 0.6, 0.7), _window(7, 0.5, 0.45, 0.55)]
    found = breaches(RECALL, windows)
    # the episode starts at the uncertain window 1 and is breached at 2; windows 3 and 5 continue it
    # (4 is not judged); window 6 meets the objective and ends it; 7 opens a new one
    assert [(episode, breach) for episode, breach, _ in found] == [(1, 2), (7, 7)]


def test_evaluate_alerts_raises_once_per_episode_with_evidence_and_never_on_a_point_miss(workspace, actors):
    project = make_project(workspace, actors["analyst"], objectives=("accuracy>=0.6",))
    simulate(workspace, project, hours=3, per_hour=400, flip_labels_after=2)
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    raised = alert_rules.evaluate_alerts(workspace, project.id, size_seconds=HOUR, now=LATER)
    assert len(raised) == 1
    alert = raised[0]
    assert alert.kind == "objective" and alert.model_version_id == 7 and alert.state == "open"
    evidence = alert.evidence
    breached = evidence["breached_window"]
    assert breached["start"] == (START + timedelta(hours=2)).isoformat() and breached["high"] < 0.6
    assert evidence["objective"] == "accuracy >= 0.6" and evidence["window_size"] == "1h"
    assert evidence["chart"]["x"][-1] == breached["start"] and len(evidence["chart"]["value"]) == 3
    assert evidence["chart"]["threshold"] == 0.6 and breached["labelled_share"] == 1.0
    assert "Accuracy of version #7 below its objective (>= 0.6)" in alert.title
    assert alert_rules.evaluate_alerts(workspace, project.id, size_seconds=HOUR, now=LATER) == []
    # a threshold just above the point value of a healthy window, inside its interval: no alert
    healthy = performance_history(workspace, project.id, size_seconds=HOUR).windows[0].realized["accuracy"]
    threshold = round((healthy.value + healthy.high) / 2, 4)
    projects.set_objectives(workspace, actors["analyst"], project.id, [f"accuracy>={threshold}"])
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    first = performance_history(workspace, project.id, size_seconds=HOUR).windows[0]
    assert alert_rules.judge_window(projects.objectives(workspace, project.id).objectives[0], first).state == UNCERTAIN
    again = alert_rules.evaluate_alerts(workspace, project.id, size_seconds=HOUR, now=LATER)
    assert again and START.isoformat() not in [a.evidence["breached_window"]["start"] for a in again]


# --- raising, acknowledging, resolving ------------------------------------------------------------

def _raise(workspace, project, key="drift:age:2026-03-02", **extra):
    return alerts.raise_alert(workspace, project_id=project.id, model_version_id=7, kind=extra.get("kind", "drift"),
                              key=key, title=extra.get("title", "Drift confirmed in 'age'"),
                              evidence=extra.get("evidence", {"psi": 0.31, "windows": ["2026-03-02T00:00:00"]}))


def test_raising_is_idempotent_per_key_and_on_the_audit_trail(workspace, actors):
    project = make_project(workspace, actors["analyst"])
    first = _raise(workspace, project, evidence={"psi": float("nan"), "numbers": (1, 2)})
    assert first is not None and first.evidence == {"psi": None, "numbers": [1, 2]}
    assert _raise(workspace, project) is None
    assert len(alerts.alerts_for(workspace, project.id)) == 1
    event = audit.recent_events(workspace, entity_prefix=f"alert:{first.id}")[-1]
    assert (event.action, event.actor, event.details["key"]) == ("alert.raised", "system", "drift:age:2026-03-02")
    assert first.delivery == "none"
    other = make_project(workspace, actors["analyst"], name="other")
    assert _raise(workspace, other) is not None  # the key is per project


@pytest.mark.parametrize("changes, message", [
    ({"kind": "latency"}, "not one of objective, drift"), ({"key": " "}, "must be text"),
    ({"title": ""}, "needs a title"), ({"evidence": ["psi"]}, "must be a JSON object"),
    ({"evidence": {"when": object()}}, "cannot be stored as JSON"),
])
def test_a_bad_alert_is_refused(workspace, actors, changes, message):
    project = make_project(workspace, actors["analyst"])
    key = changes.pop("key", "k")
    with pytest.raises(InputError, match=message):
        _raise(workspace, project, key=key, **changes)
    assert alerts.alerts_for(workspace, project.id) == []
    with pytest.raises(NotFound):
        alerts.raise_alert(workspace, project_id=99, model_version_id=None, kind="drift", key="k", title="t",
                           evidence={})


def test_acknowledge_then_resolve_with_comments_who_and_when(workspace, actors):
    project = make_project(workspace, actors["analyst"])
    alert = _raise(workspace, project)
    assert [a.id for a in alerts.open_alerts(workspace)] == [alert.id]
    seen = alerts.acknowledge(workspace, actors["reviewer"], alert.id, "  looking at the age pipeline ")
    assert (seen.state, seen.acknowledged_by, seen.acknowledged_comment) == ("acknowledged", "reviewer",
                                                                             "looking at the age pipeline")
    assert seen.acknowledged_at is not None and alerts.open_alert_counts(workspace) == {project.id: 1}
    done = alerts.resolve(workspace, actors["analyst"], alert.id, "upstream fix deployed")
    assert (done.state, done.resolved_by) == ("resolved", "analyst") and alerts.open_alerts(workspace) == []
    assert [a.id for a in alerts.alerts_for(workspace, project.id, state="resolved")] == [alert.id]
    actions = [(e.action, e.actor, e.details.get("comment")) for e in
               audit.recent_events(workspace, entity_prefix=f"alert:{alert.id}")]
    assert actions == [("alert.raised", "system", None),
                       ("alert.acknowledged", "reviewer", "looking at the age pipeline"),
                       ("alert.resolved", "analyst", "upstream fix deployed")]
    with pytest.raises(InputError, match="already resolved"):
        alerts.acknowledge(workspace, actors["admin"], alert.id, "late")
    with pytest.raises(InputError, match="already resolved"):
        alerts.resolve(workspace, actors["admin"], alert.id, "again")
    assert audit.verify_chain(workspace).ok


def test_an_open_alert_can_be_resolved_directly_but_never_without_a_comment(workspace, actors):
    project = make_project(workspace, actors["analyst"])
    alert = _raise(workspace, project)
    with pytest.raises(InputError, match="needs a comment"):
        alerts.resolve(workspace, actors["analyst"], alert.id, "   ")
    with pytest.raises(NotFound, match="No alert #404"):
        alerts.acknowledge(workspace, actors["analyst"], 404, "x")
    with pytest.raises(InputError, match="not one of open, acknowledged, resolved"):
        alerts.alerts_for(workspace, state="closed")
    assert alerts.resolve(workspace, actors["admin"], alert.id, "false alarm").state == "resolved"


def test_a_stakeholder_may_not_handle_alerts_or_set_a_webhook(workspace, actors):
    project = make_project(workspace, actors["analyst"])
    alert = _raise(workspace, project)
    for act in (alerts.acknowledge, alerts.resolve):
        with pytest.raises(PermissionDenied, match="may not acknowledge and resolve monitoring alerts"):
            act(workspace, actors["stakeholder"], alert.id, "seen")
    for role in ("stakeholder", "reviewer"):
        with pytest.raises(PermissionDenied, match="may not set the webhook"):
            webhook.set_webhook(workspace, actors[role], project.id, "http://127.0.0.1:9/hook")
    assert alerts.get_alert(workspace, alert.id).state == "open" and webhook.webhook_of(workspace, project.id) is None


# --- webhooks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["ftp://example.com/x", "hooks.slack.com/services/x", "http://", "javascript:alert(1)",
                                 "http://example.com:99999/x", "http://exa mple.com/x", ""])
def test_a_webhook_must_be_an_http_url(url):
    with pytest.raises(InputError):
        webhook.check_url(url if url else None)


def test_setting_a_webhook_audits_the_host_not_the_secret_path(workspace, actors):
    project = make_project(workspace, actors["analyst"])
    hook = webhook.set_webhook(workspace, actors["analyst"], project.id, " https://hooks.example.com/T000/B000/SECRET ")
    assert hook.url == "https://hooks.example.com/T000/B000/SECRET" and hook.host == "hooks.example.com"
    event = audit.recent_events(workspace, entity_prefix=f"project:{project.id}")[-1]
    assert event.action == "alert.webhook_set" and "SECRET" not in json.dumps(event.details)
    assert webhook.set_webhook(workspace, actors["admin"], project.id, "") is None
    assert webhook.webhook_of(workspace, project.id) is None


class Receiver:
    """A chat tool's incoming webhook on localhost: answers ``statuses`` in turn (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.bodies = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((self.headers["Content-Type"], json.loads(body)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T1/SECRET"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_a_failed_delivery_is_retried_with_backoff_and_every_attempt_is_shown(workspace, actors, receiver):
    project = make_project(workspace, actors["analyst"])
    hook = receiver([500])
    webhook.set_webhook(workspace, actors["analyst"], project.id, hook.url)
    alert = _raise(workspace, project, title="Recall <below> & falling")
    assert alert.delivery == "pending"
    waits = []
    report = webhook.deliver_pending(workspace, project.id, sleep=waits.append)
    assert report.delivered == (alert.id,) and report.attempts == 2 and waits == [webhook.BACKOFF_SECONDS]
    stored = alerts.get_alert(workspace, alert.id)
    assert stored.delivery == "delivered"
    host = hook.url.split("/")[2]
    assert [(d.attempt, d.status, d.error, d.url_host) for d in stored.deliveries] == [
        (1, 500, "HTTP 500: Internal Server Error", host), (2, 200, "", host)]
    content_type, body = hook.bodies[-1]
    assert content_type == "application/json"
    assert body["text"] == f"Lifecycle alert #{alert.id} on churn: Recall &lt;below&gt; &amp; falling"
    assert body["attachments"][0]["fields"][0] == {"title": "Project", "value": "churn", "short": True}
    assert body["lifecycle"]["alert_id"] == alert.id and body["lifecycle"]["evidence"]["psi"] == 0.31
    assert body["lifecycle"]["title"] == "Recall <below> & falling"
    assert audit.recent_events(workspace, entity_prefix=f"alert:{alert.id}")[-1].action == "alert.delivered"
    assert webhook.deliver_pending(workspace, project.id, sleep=waits.append).attempts == 0  # nothing left


def test_an_undelivered_alert_stays_pending_and_goes_out_on_a_later_refresh(workspace, actors, receiver):
    project = make_project(workspace, actors["analyst"])
    down = receiver()
    url = down.url
    down.close()  # nothing listens there now
    webhook.set_webhook(workspace, actors["analyst"], project.id, url)
    alert = _raise(workspace, project)
    now = utc_now()
    report = webhook.deliver_pending(workspace, project.id, now=now, sleep=lambda s: None, timeout=2)
    assert report.pending == (alert.id,) and report.attempts == webhook.RETRIES + 1
    stored = alerts.get_alert(workspace, alert.id)
    assert stored.delivery == "pending" and all(d.status is None and "no answer" in d.error for d in stored.deliveries)
    assert stored.next_delivery_at == now + timedelta(seconds=webhook.RETRY_AFTER)
    soon = webhook.deliver_pending(workspace, project.id, now=now + timedelta(seconds=10), sleep=lambda s: None)
    assert soon.attempts == 0 and soon.pending == ()  # not due yet
    up = receiver()
    webhook.set_webhook(workspace, actors["analyst"], project.id, up.url)
    later = webhook.deliver_pending(workspace, project.id, now=now + timedelta(seconds=webhook.RETRY_AFTER),
                                    sleep=lambda s: None)
    assert later.delivered == (alert.id,) and len(up.bodies) == 1
    assert [d.attempt for d in alerts.get_alert(workspace, alert.id).deliveries] == [1, 2, 3, 4]


def test_a_redirect_is_a_failed_delivery_and_no_webhook_means_waiting(workspace, actors, receiver):
    project = make_project(workspace, actors["analyst"])
    moved = receiver([302, 302, 302])
    webhook.set_webhook(workspace, actors["analyst"], project.id, moved.url)
    alert = _raise(workspace, project)
    webhook.deliver_pending(workspace, project.id, sleep=lambda s: None)
    stored = alerts.get_alert(workspace, alert.id)
    assert stored.delivery == "pending" and "redirected to http://127.0.0.1:9/elsewhere" in stored.deliveries[0].error
    webhook.set_webhook(workspace, actors["analyst"], project.id, None)
    waiting = webhook.deliver_pending(workspace, project.id, now=utc_now() + timedelta(hours=1), sleep=lambda s: None)
    assert waiting.waiting_for_webhook and waiting.pending == (alert.id,)


def test_an_alerts_chart_is_redrawn_from_its_evidence(workspace, actors):
    from lifecycle.charts.performance_charts import interval_series_figure, performance_figure

    project = make_project(workspace, actors["analyst"], objectives=("accuracy>=0.6",))
    simulate(workspace, project, hours=3, per_hour=300, flip_labels_after=2)
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    alert = alert_rules.evaluate_alerts(workspace, project.id, size_seconds=HOUR, now=LATER)[0]
    figure = interval_series_figure(alert.evidence["chart"])
    names = [trace.name for trace in figure.data]
    assert "realized" in names and "estimated by CBPE" in names and "breached" in names
    breached = next(t for t in figure.data if t.name == "breached")
    assert list(breached.x) == [START + timedelta(hours=2)]
    history = performance_history(workspace, project.id, size_seconds=HOUR)
    drawn = performance_figure(history, "accuracy", 7, projects.objectives(workspace, project.id).objectives[0])
    realized = next(t for t in drawn.data if t.name == "realized")
    assert list(realized.y) == [w.realized["accuracy"].value for w in history.windows]
    assert "No window has a value yet" in interval_series_figure({"x": [], "value": []}).layout.annotations[0].text


def test_a_window_without_traffic_is_a_gap_in_the_chart(workspace, actors):
    from lifecycle.charts.performance_charts import performance_series

    project = make_project(workspace, actors["analyst"])
    simulate(workspace, project, hours=1, per_hour=60)
    simulate(workspace, project, hours=1, per_hour=60, start=START + timedelta(hours=3), request_prefix="s")
    refresh_performance(workspace, project.id, size_seconds=HOUR, now=LATER)
    series = performance_series(performance_history(workspace, project.id, size_seconds=HOUR), "recall", 7)
    assert series["x"] == [(START + timedelta(hours=h)).isoformat() for h in range(4)]
    assert series["value"][1:3] == [None, None] and None not in (series["value"][0], series["value"][3])


def test_a_webhook_set_after_alerts_were_raised_sends_the_open_ones(workspace, actors, receiver):
    """Alerts raised with no webhook are sent nowhere; setting one queues those still open (not the
    acknowledged or resolved ones), on the audit trail, and the next round delivers them."""
    project = make_project(workspace, actors["analyst"])
    opened = _raise(workspace, project, key="drift:a", title="Drift confirmed in 'a'")
    seen = _raise(workspace, project, key="drift:b", title="Drift confirmed in 'b'")
    alerts.acknowledge(workspace, actors["reviewer"], seen.id, "on it")
    assert opened.delivery == "none" and [a.id for a in webhook.unsent_open(workspace, project.id)] == [opened.id]
    hook = receiver()
    webhook.set_webhook(workspace, actors["analyst"], project.id, hook.url)
    assert alerts.get_alert(workspace, opened.id).delivery == "pending"
    assert alerts.get_alert(workspace, seen.id).delivery == "none"
    assert audit.recent_events(workspace, limit=1)[-1].details["queued_alerts"] == [opened.id]
    assert webhook.unsent_open(workspace, project.id) == []
    report = webhook.deliver_pending(workspace, project.id, sleep=lambda s: None)
    assert report.delivered == (opened.id,) and [b["lifecycle"]["alert_id"] for _, b in hook.bodies] == [opened.id]


def test_a_webhook_set_without_sending_the_open_alerts_sends_only_new_ones(workspace, actors, receiver):
    project = make_project(workspace, actors["analyst"])
    earlier = _raise(workspace, project, key="drift:a")
    hook = receiver()
    webhook.set_webhook(workspace, actors["analyst"], project.id, hook.url, send_open=False)
    later = _raise(workspace, project, key="drift:b")
    report = webhook.deliver_pending(workspace, project.id, sleep=lambda s: None)
    assert report.delivered == (later.id,) and alerts.get_alert(workspace, earlier.id).delivery == "none"
    [event] = [e for e in audit.recent_events(workspace, limit=50) if e.action == "alert.webhook_set"]
    assert event.details["queued_alerts"] == []
