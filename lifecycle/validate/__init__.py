"""Stage 4 · Validate: judge a model version on held-out data against every objective.

Modules: ``stage`` (``validate_version``: evaluate, store, move a passing candidate),
``report`` (the ValidationReport, computed once and then only read), ``held_out`` (the model
and its test rows, assembled in one place), ``metrics``, ``curves``, ``threshold``,
``robustness``, ``slices``, ``fairness_review`` / ``fairness_bootstrap`` / ``fairness`` /
``groups`` (the one fairness review the verdict, the panel and the trade-off share),
``fairness_metrics`` (Fairlearn's per-attribute values, kept for stored reports),
``verdicts`` (the Status enum), ``status``.
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["curves", "fairness", "fairness_bootstrap", "fairness_metrics", "fairness_review", "groups",
                "held_out", "metrics", "report", "robustness", "slices", "stage", "status", "threshold",
                "verdicts"],
    submod_attrs={
        "stage": ["latest_stored", "validate_version"],
        "report": ["ValidationReport"],
        "held_out": ["HeldOut"],
        "fairness_review": ["FairnessReport", "GroupingReview", "review"],
        "groups": ["MISSING_GROUP", "group_labels"],
        "verdicts": ["Status"],
    },
)
