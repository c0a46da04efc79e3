"""Two model versions side by side, from what is on record (nothing is recomputed): the data version
and its size, the split, the recipe, the algorithm and its parameters, every held-out metric with its
interval, each objective's verdict (fairness included), and the top drivers of the newest stored
explanation."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lifecycle import evidence
from lifecycle.data.datasets import get_dataset
from lifecycle.data.preparation import get_recipe
from lifecycle.develop.training import get_run
from lifecycle.errors import InputError
from lifecycle.models.registry import get_version
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.records import ModelVersion
from lifecycle.store import models as model_store
from lifecycle.store import preparation as preparation_store
from lifecycle.workspace import Workspace

TOP_DRIVERS = 5
MISSING = "—"


@dataclass(frozen=True, kw_only=True)
class DiffRow:
    """One aspect of both versions, as text: ``section`` groups rows (Data, Model, Metrics, Objectives,
    Drivers); ``differs`` when the two sides are not the same."""

    section: str
    aspect: str
    a: str
    b: str

    @property
    def differs(self) -> bool:
        return self.a != self.b


@dataclass(frozen=True, kw_only=True)
class VersionDiff:
    """Version A and version B side by side (:func:`version_diff`)."""

    version_a: ModelVersion
    version_b: ModelVersion
    rows: tuple[DiffRow, ...]

    def section(self, name: str) -> tuple[DiffRow, ...]:
        return tuple(r for r in self.rows if r.section == name)

    def to_dict(self) -> dict[str, Any]:
        return {"version_a": self.version_a.id, "version_b": self.version_b.id,
                "rows": [{"section": r.section, "aspect": r.aspect, "a": r.a, "b": r.b, "differs": r.differs}
                         for r in self.rows]}


def _number(value: Any) -> str:
    return MISSING if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def _estimate(found: dict | None) -> str:
    if not found or found.get("value") is None:
        return MISSING if not found else f"n/a ({found.get('note') or 'not computed'})"
    interval = ("" if found.get("low") is None or found.get("high") is None
                else f" [{found['low']:.4f}, {found['high']:.4f}]")
    return f"{found['value']:.4f}{interval}"


def _facts(workspace: Workspace, version: ModelVersion) -> dict[tuple[str, str], str]:
    cursor = workspace.db.cursor()
    run = get_run(workspace, version.run_id)
    dataset = get_dataset(workspace, run.dataset_id)
    split = preparation_store.get_split(cursor, run.split_id)
    recipe = get_recipe(workspace, run.recipe_id)
    facts = {("Data", "dataset version"): dataset.label,
             ("Data", "rows"): f"{dataset.rows:,}",
             ("Data", "content hash"): dataset.content_hash[:12],
             ("Data", "split"): MISSING if split is None else
             f"#{split.id} {split.method}, seed {split.seed}, "
             + ", ".join(f"{k} {v:,}" for k, v in sorted(split.counts.items())),
             ("Data", "recipe"): f"{recipe.name} v{recipe.version} (#{recipe.id})",
             ("Model", "state"): str(version.state),
             ("Model", "algorithm"): run.algorithm,
             ("Model", "trained by"): version.trained_by}
    for name, value in sorted(run.params.items()):
        facts[("Model", f"param {name}")] = json.dumps(value, default=str) if not isinstance(value, str) else value
    stored = model_store.latest_validation(cursor, version.id)
    report = stored.report if stored is not None else {}
    for metric, found in sorted((report.get("metrics") or {}).items()):
        label = CATALOGUE[metric].label if metric in CATALOGUE else metric
        facts[("Metrics", label)] = _estimate(found)
    for verdict in report.get("verdicts") or ():
        section = "Fairness" if verdict.get("kind") == "fairness" else "Objectives"
        value = verdict.get("value")
        interval = ("" if verdict.get("low") is None or verdict.get("high") is None
                    else f" [{verdict['low']:.4f}, {verdict['high']:.4f}]")
        facts[(section, str(verdict.get("objective")))] = (f"{verdict.get('status', MISSING)}: "
                                                           f"{_number(value)}{interval}")
    if stored is not None:
        facts[("Objectives", "validation")] = "passed" if stored.passed else "failed"
    fairness = evidence.latest(workspace, version.id, "fairness")
    if fairness is not None:
        facts[("Fairness", "stored review")] = fairness.summary
    explanation = evidence.latest(workspace, version.id, "explanation")
    drivers = (explanation.payload.get("drivers") or [])[:TOP_DRIVERS] if explanation is not None else []
    for rank, driver in enumerate(drivers, 1):
        facts[("Drivers", f"#{rank}")] = f"{driver.get('column')} ({driver.get('direction')})"
    return facts


SECTIONS = ("Data", "Model", "Metrics", "Objectives", "Fairness", "Drivers")


def version_diff(workspace: Workspace, version_a_id: int, version_b_id: int) -> VersionDiff:
    """Versions A and B side by side, every aspect either has (missing on one side: "—").
    Raises InputError for the same version twice or versions of different projects, NotFound for an
    unknown one."""
    if version_a_id == version_b_id:
        raise InputError(f"Both sides are version #{version_a_id}.", "Pick two different versions.")
    a, b = get_version(workspace, version_a_id), get_version(workspace, version_b_id)
    if a.project_id != b.project_id:
        raise InputError(f"Model {a.label} and {b.label} belong to different projects.",
                         "Compare versions of one project.")
    facts_a, facts_b = _facts(workspace, a), _facts(workspace, b)
    keys = list(facts_a) + [k for k in facts_b if k not in facts_a]
    keys.sort(key=lambda k: SECTIONS.index(k[0]))  # stable: each side's own order within a section
    rows = tuple(DiffRow(section=s, aspect=aspect, a=facts_a.get((s, aspect), MISSING),
                         b=facts_b.get((s, aspect), MISSING)) for s, aspect in keys)
    return VersionDiff(version_a=a, version_b=b, rows=rows)
