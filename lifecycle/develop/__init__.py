"""Stage 3 · Develop: train and tune models, every trial a tracked run; compare runs.

Modules: ``catalogue`` (algorithms and their search spaces), ``feasibility`` (stage 1's quick
check, stored as evidence), ``training`` (pipelines, cross-validation, run records),
``search`` (grid, random and successive-halving searches), ``cluster`` (where a search fits: in
process or on a Dask cluster, ``LIFECYCLE_DASK_SCHEDULER``), ``runs`` (leaderboard, comparison,
learning curves), ``run_logging`` and ``metric_journal`` (durable step metrics), ``status``.
Names are loaded on first use: scikit-learn is imported only when a function needs it.
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["catalogue", "cluster", "feasibility", "metric_journal", "run_logging", "runs", "search", "status", "training"],
    submod_attrs={
        "catalogue": ["for_task", "get_algorithm", "parse_space"],
        "feasibility": ["check_and_record", "check_feasibility", "latest_report"],
        "training": ["TrainingData", "build_pipeline", "data_for_run", "fit_run_pipeline", "get_run",
                     "training_frames"],
        "search": ["run_search"],
        "runs": ["compare", "leaderboard", "learning_curve"],
        "run_logging": ["MetricLogger", "history", "log_metric", "log_metrics"],
    },
)
