"""Stage 6 · Monitor: the prediction log read in windows; drift against the training reference,
performance once labels arrive (estimated before), alerts and their delivery.

Modules: ``windows`` (fixed-size time buckets over the log, aligned to the epoch); the traffic
simulator: ``drift_spec`` (the drift a simulation injects, as a spec string), ``replay_rows`` (the
production version's held-out rows), ``row_stream`` (rows drawn clean or drifted), ``simulate``
(live replay through the scoring service, with delayed labels), ``history`` (days of simulated
history written into the logs), ``live_traffic`` (the demo's traffic while the app runs),
``marks`` (how simulated rows are marked in the log).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["windows", "drift_spec", "history", "live_traffic", "marks", "replay_rows", "row_stream",
                "simulate"],
    submod_attrs={
        "windows": ["Window", "format_size", "parse_size", "window_of", "windows_between"],
        "drift_spec": ["DriftSpec", "NO_DRIFT", "Reweight", "Shift", "parse_drift"],
        "history": ["HistorySummary", "history_runs", "write_history"],
        "live_traffic": ["LiveTraffic", "start_live_traffic", "stop_live_traffic"],
        "marks": ["HISTORY_ROUTE", "SIMULATED_PREFIX", "is_simulated"],
        "replay_rows": ["ReplayRows", "cached_replay_rows", "replay_rows"],
        "simulate": ["ReplaySummary", "ServiceUnreachable", "replay"],
    },
)
