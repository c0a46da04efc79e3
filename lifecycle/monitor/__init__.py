"""Stage 6 · Monitor: the prediction log read in windows; drift against the training reference,
performance once labels arrive (estimated before), alerts and their delivery, and the traffic
simulator that gives the demo and the tests something to watch.

Modules: ``windows`` (fixed-size time buckets over the log, aligned to the epoch), ``labels``
(which labels count, joined to their predictions), ``feedback`` (a labels file, written as one
feedback segment), ``estimate`` (CBPE before labels, and the calibration it rests on),
``label_drift``, ``window_metrics`` (one window's numbers), ``performance`` (per window, stored
and refreshed incrementally), ``alerts`` (raise, acknowledge, resolve), ``alert_rules`` (an
objective breached by its interval), ``webhook`` (delivery to a chat tool, retried); the traffic
simulator: ``drift_spec`` (the drift a simulation injects, as a spec string), ``replay_rows`` (the
production version's held-out rows), ``row_stream`` (rows drawn clean or drifted), ``simulate``
(live replay through the scoring service, with delayed labels), ``history`` (days of simulated
history written into the logs), ``scored_requests`` (a request scored and logged as the service
does, for every simulator), ``live_traffic`` (the demo's traffic while the app runs),
``marks`` (how simulated rows are marked in the log); the drift
engine: ``drift`` (drift per window computed from the log and stored, incrementally),
``drift_views`` (the drift table, history, confirmed drifts and a feature's histograms, judged
from what is stored), ``drift_decisions`` (minimum window, Benjamini–Hochberg, minimum effect, k
windows in a row), ``drift_stats`` and ``drift_grid`` (the statistics, checked against scipy),
``drift_columns`` (one column's statistics in a window), ``drift_config`` (a project's drift
rules), ``reference`` (a version's reference profile); ``drift_alerts`` (an alert per confirmed
drift); ``refresh`` (one refresh of a project's monitoring, step by step); ``autorefresh`` (the
app's background refresher); ``traffic`` (requests, errors and latency per window); ``summary``
(the stage in plain words, for stakeholders); ``status`` (the stage's place in the strip).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["alert_rules", "alerts", "drift", "drift_columns", "drift_config", "drift_decisions", "drift_grid",
                "drift_alerts", "drift_spec", "drift_stats", "drift_views", "autorefresh", "status", "summary", "traffic",
                "estimate", "feedback", "history", "label_drift", "labels",
                "live_traffic", "marks", "performance", "reference", "refresh", "replay_rows", "row_stream", "scored_requests",
                "simulate",
                "webhook", "window_metrics", "windows"],
    submod_attrs={
        "windows": ["Window", "format_size", "parse_size", "window_of", "windows_between"],
        "labels": ["LabelReport", "label_report"],
        "feedback": ["FeedbackUpload", "upload_feedback", "upload_feedback_path"],
        "estimate": ["Calibration", "calibration_of", "estimate_binary"],
        "performance": ["PerformanceHistory", "PerformanceRefresh", "WindowPerformance", "performance_history",
                        "refresh_performance"],
        "alerts": ["acknowledge", "alerts_for", "get_alert", "open_alert_counts", "open_alerts", "raise_alert",
                   "resolve"],
        "alert_rules": ["Judgement", "evaluate_alerts", "judge"],
        "webhook": ["DeliveryReport", "deliver_pending", "set_webhook", "webhook_of"],
        "drift_spec": ["DriftSpec", "NO_DRIFT", "Reweight", "Shift", "parse_drift"],
        "history": ["HistorySummary", "history_runs", "write_history"],
        "live_traffic": ["LiveTraffic", "start_live_traffic", "stop_live_traffic"],
        "marks": ["HISTORY_ROUTE", "SIMULATED_PREFIX", "is_simulated"],
        "replay_rows": ["ReplayRows", "cached_replay_rows", "replay_rows"],
        "simulate": ["ReplaySummary", "ServiceUnreachable", "replay"],
        "drift": ["DriftRefresh", "refresh_drift", "production_version"],
        "drift_views": ["DriftTable", "FeatureDetail", "drift_table", "drift_history", "confirmed_drifts",
                        "feature_detail", "importance_shares"],
        "drift_decisions": ["FeatureDrift", "DriftConfirmation"],
        "drift_config": ["drift_rules", "configure_drift", "describe_rules"],
        "reference": ["build_reference", "reference_profile"],
        "refresh": ["MonitorRefresh", "refresh"],
        "drift_alerts": ["drift_key", "raise_drift_alerts"],
        "autorefresh": ["AutoRefresh", "start_auto_refresh", "stop_auto_refresh", "last_refresh"],
        "traffic": ["TrafficSeries", "WindowTraffic", "traffic_series"],
        "summary": ["Headline", "MonitorSummary", "build_summary", "drift_words", "monitor_summary",
                    "objective_words", "since_words", "trend_words"],
    },
)
