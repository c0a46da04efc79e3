"""Stage 1 · Problem: projects, their framing and the measurable objectives every later stage is judged by.

Modules: ``projects`` (create, edit, find, objectives versions), ``objectives`` (the metric
catalogue and objective parsing), ``metrics`` (scikit-learn scorers and target encoding),
``target`` (the one target-column check), ``status`` (the stage's status for the strip).
Names are loaded on first use, so importing the face stays cheap.
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["metrics", "objectives", "projects", "status", "target"],
    submod_attrs={
        "projects": ["create_project", "find_project", "get_project", "list_projects", "objective_versions",
                     "set_objectives", "update_project"],
        "objectives": ["CATALOGUE", "is_met", "make_objective", "parse_objective"],
        "metrics": ["PRIMARY", "SCORERS", "encode_target", "positive_class_for", "scorers_for", "to_metric"],
        "target": ["check_target_column"],
    },
)
