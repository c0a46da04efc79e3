"""What a binary model's class codes mean, so every answer names the target's classes.

Training encodes a binary target as 1 for the project's positive class and 0 for the other value
(``problem.metrics.encode_target``); a served or batch answer says ``">50K"``, not ``1``.
"""
from __future__ import annotations

from lifecycle.records import Project
from lifecycle.store import datasets as dataset_store
from lifecycle.workspace import Workspace


def class_labels(workspace: Workspace, project: Project) -> dict[str, str]:
    """``{"0": other value, "1": positive class}`` for a binary project with a positive class, read
    from its newest dataset holding the target (``"not <positive>"`` when that value is unknown);
    ``{}`` for other tasks."""
    if project.task != "binary" or not project.positive_class:
        return {}
    values = dataset_store.target_values(workspace.db.cursor(), workspace.path, project.id, project.target)
    other = next((v for v in values if v != project.positive_class), f"not {project.positive_class}")
    return {"0": other, "1": project.positive_class}
