"""Stage 9 · Retire: decommissioning a model version, data clean-up by retention rules, and the
hand-over report.

Modules: ``decommissioning`` (the end of life in one transaction: reason, replacement, stop serving,
archive, ``retired``), ``archive`` (the bundle with its checksum manifest, written atomically, and
its verification), ``references`` (which dataset versions something live still uses), ``retention``
(rules and the dry run), ``cleanup`` (deleting what a dry run listed, each item recorded with its
hash), ``handover`` (the whole life of a project's model from the record), ``handover_sections``
(the sections other stages fill: incidents and alerts, A/B decisions, sign-offs), ``handover_render``
(Markdown and HTML), ``status`` (the stage's status).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["archive", "cleanup", "decommissioning", "handover", "handover_render", "handover_sections",
                "references", "retention", "status"],
    submod_attrs={
        "archive": ["ArchiveBundle", "ArchiveCheck", "verify_archive"],
        "cleanup": ["cleanups", "run_cleanup"],
        "decommissioning": ["Decommissioned", "check_archive", "decommission", "replacement_candidates",
                         "retirable_versions", "retirement_of", "retirements"],
        "handover": ["Handover", "build_handover"],
        "handover_render": ["Block", "blocks", "markdown_of", "text_of", "to_html", "to_markdown"],
        "references": ["DatasetUse", "dataset_uses"],
        "retention": ["CleanupPlan", "plan_cleanup", "rule_for", "set_rule"],
    },
)
