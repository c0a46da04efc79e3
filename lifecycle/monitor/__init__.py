"""Stage 6 · Monitor: the prediction log read in windows; drift against the training reference,
performance once labels arrive (estimated before), alerts and their delivery.

Modules: ``windows`` (fixed-size time buckets over the log, aligned to the epoch), ``drift``
(drift per window computed from the log and stored, incrementally), ``drift_views`` (the drift
table, history, confirmed drifts and a feature's histograms, judged from what is stored),
``drift_decisions`` (minimum window, Benjamini–Hochberg, minimum effect, k windows in a row),
``drift_stats`` and ``drift_grid`` (the statistics, checked against scipy), ``drift_columns``
(one column's statistics in a window), ``drift_config`` (a project's drift rules),
``reference`` (a version's reference profile), ``label_drift`` (labels against the training
labels), ``refresh`` (one refresh of a project's monitoring, step by step).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["drift", "drift_columns", "drift_config", "drift_decisions", "drift_grid", "drift_stats",
                "drift_views", "label_drift", "reference", "refresh", "windows"],
    submod_attrs={
        "windows": ["Window", "format_size", "parse_size", "window_of", "windows_between"],
        "drift": ["DriftRefresh", "refresh_drift", "production_version"],
        "drift_views": ["DriftTable", "FeatureDetail", "drift_table", "drift_history", "confirmed_drifts",
                        "feature_detail", "importance_shares"],
        "drift_decisions": ["FeatureDrift", "DriftConfirmation"],
        "drift_config": ["drift_rules", "configure_drift", "describe_rules"],
        "label_drift": ["LabelDrift", "label_drift"],
        "reference": ["build_reference", "reference_profile"],
        "refresh": ["MonitorRefresh", "refresh"],
    },
)
