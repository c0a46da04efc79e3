"""Labels joined to their predictions: which labels count, and what the feedback log holds.

A label counts when it is of the target's type: for a classifier one of the classes the model's
answers name (``'>50K'``, or ``1`` for a class named by a number; an integral float ``1.0`` reads
as ``1``), for a regression a number. For each (request id, row) the first label that counts wins;
the rest are duplicates. Feedback for a request id with no logged prediction is kept (it joins
when the prediction shows up) and counted as unknown. The rule itself is SQL, in
``lifecycle.store.monitor_labels``; this module words what it finds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lifecycle.deploy.paths import feedback_dir, log_dir, predictions_dir
from lifecycle.errors import shown
from lifecycle.problem import projects
from lifecycle.records import Project
from lifecycle.store import monitor_labels as label_store
from lifecycle.store import prediction_log as log_store
from lifecycle.store.monitor_labels import Logs
from lifecycle.workspace import Workspace

LISTED = 3  # examples a message names


@dataclass(frozen=True, kw_only=True)
class LabelRule:
    """What a label of this project must be: one of ``classes`` (classification, as text) or a number."""

    task: str
    classes: tuple[str, ...]  # () for regression
    positive: str | None = None  # binary: the positive class, as the answers name it

    @property
    def sql_classes(self) -> tuple[str, ...] | None:
        """``classes`` for the store's queries (None: numbers, for regression)."""
        return None if self.task == "regression" else self.classes


def project_logs(workspace: Workspace, project_id: int) -> Logs:
    """The readable segments of the project's prediction and feedback logs (torn ones named)."""
    folder = log_dir(workspace.path, project_id)
    return label_store.logs(predictions_dir(folder), feedback_dir(folder))


def feedback_folder(workspace: Workspace, project_id: int) -> Path:
    """Where the project's feedback segments go (the service's ``/feedback`` and uploads alike)."""
    return feedback_dir(log_dir(workspace.path, project_id))


def label_rule(project: Project, found: Logs) -> LabelRule:
    """The rule for ``project``: its classes as the logged answers name them (a binary project's
    positive class is the one named like ``project.positive_class``, else ``"1"``)."""
    if project.task == "regression":
        return LabelRule(task="regression", classes=())
    classes = label_store.classes_in_log(found)
    positive = None
    if project.task == "binary":
        positive = project.positive_class if project.positive_class in classes else "1"
    return LabelRule(task=project.task, classes=classes, positive=positive)


def canonical(value: Any) -> str | None:
    """A label as the rule compares it: text as is, an integral number as an integer (``1.0`` ->
    ``"1"``), other numbers as written; None for an empty value. Mirrors the SQL rule."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def refusal(rule: LabelRule, value: Any) -> str | None:
    """Why ``value`` cannot be a label under ``rule`` (words naming the value and what is expected),
    or None when it counts."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip()):
        return "the label is empty"
    if isinstance(value, (dict, list, tuple, set)):
        return f"the label {shown(value)} is a {type(value).__name__}, not a single value"
    if rule.task == "regression":
        if isinstance(value, bool):
            return f"the label {shown(value)} is not a number (a regression target takes numbers)"
        try:
            number = float(value)
        except (TypeError, ValueError):
            return f"the label {shown(value)} is not a number (a regression target takes numbers)"
        return None if math.isfinite(number) else f"the label {shown(value)} is not a finite number"
    text = canonical(value)
    if isinstance(value, bool) or text not in rule.classes:
        listed = ", ".join(repr(c) for c in rule.classes) or "none logged yet"
        return f"the label {shown(value)} is not one of the target's classes ({listed})"
    return None


@dataclass(frozen=True, kw_only=True)
class LabelReport:
    """What the feedback log holds for a project, joined to its predictions, in numbers and words."""

    rule: LabelRule
    rows: int
    joined: int  # (request id, row) keys with a label that counts and a prediction
    invalid: int
    duplicates: int
    unknown: int
    messages: tuple[str, ...]  # one sentence per problem: what, how many, an example, the fix
    skipped: tuple[str, ...]  # torn segments left out ("name: reason")

    @property
    def clean(self) -> bool:
        return not (self.invalid or self.duplicates or self.unknown)


def _examples(items, describe) -> str:
    return ", ".join(describe(item) for item in items[:LISTED])


def messages(counts: label_store.FeedbackCounts, rule: LabelRule) -> tuple[str, ...]:
    """One sentence per kind of problem in ``counts``, naming examples and the fix."""
    out = []
    if counts.unknown:
        named = _examples(counts.unknown_examples, lambda e: f"{e['request_id']!r} row {e['row']}")
        out.append(f"{counts.unknown:,} label(s) name a request with no logged prediction (e.g. {named}); they are "
                   "kept but join nothing. Send the request id the service answered with (its X-Request-Id) and "
                   "the row's position in that request.")
    if counts.invalid:
        named = _examples(counts.invalid_examples,
                          lambda e: f"{e['request_id']!r}: {e['label']} ({e['why']})")
        expected = ("a number" if rule.task == "regression"
                    else "one of " + ", ".join(repr(c) for c in rule.classes))
        out.append(f"{counts.invalid:,} label(s) were not counted (e.g. {named}); a label must be {expected}. "
                   "Send them again with the right value.")
    if counts.duplicates:
        out.append(f"{counts.duplicates:,} label(s) repeat a request and row that already has one; the first "
                   "label counts and the later ones are ignored.")
    return tuple(out)


def report_of(rule: LabelRule, counts: label_store.FeedbackCounts, found: Logs) -> LabelReport:
    """The :class:`LabelReport` of feedback ``counts`` already computed under ``rule``."""
    return LabelReport(rule=rule, rows=counts.rows, joined=counts.joined, invalid=counts.invalid,
                       duplicates=counts.duplicates, unknown=counts.unknown, messages=messages(counts, rule),
                       skipped=found.skipped)


def label_report(workspace: Workspace, project_id: int) -> LabelReport:
    """The project's feedback log judged against its prediction log (see the module's rule)."""
    project = projects.get_project(workspace, project_id)
    found = project_logs(workspace, project_id)
    rule = label_rule(project, found)
    return report_of(rule, label_store.feedback_counts(found, rule.sql_classes), found)


@dataclass(frozen=True, kw_only=True, eq=False)
class ProductionRows:
    """Labelled production rows: ``frame`` holds each row's inputs as the client sent them (one column per
    key, plain JSON values) and the project's target column (the label that counts: text for a
    classifier, a number for a regression), oldest first; ``times`` when each was logged, ``version_ids``
    which version answered it; ``skipped`` names torn log segments left out."""

    frame: pd.DataFrame
    times: pd.Series
    version_ids: pd.Series
    skipped: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.frame)


def labelled_production_rows(workspace: Workspace, project_id: int, *, since: datetime | None = None,
                             until: datetime | None = None) -> ProductionRows:
    """The project's answered rows whose true label came back (the one rule above), logged in
    [``since``, ``until``) (naive UTC; None: unbounded), as rows a model can be trained on: the inputs
    the client sent and the label in the target column. Raises NotFound for an unknown project."""
    project = projects.get_project(workspace, project_id)
    found = project_logs(workspace, project_id)
    rule = label_rule(project, found)
    joined = label_store.labelled_inputs(found, rule.sql_classes, since=since, until=until)
    inputs = log_store.inputs_frame(joined)
    labels = joined["label"]
    if project.task == "regression":
        labels = pd.to_numeric(labels, errors="coerce")
    frame = inputs.drop(columns=[project.target], errors="ignore").assign(**{project.target: labels.to_numpy()})
    return ProductionRows(frame=frame.reset_index(drop=True), times=joined["time"].reset_index(drop=True),
                          version_ids=joined["version_id"].reset_index(drop=True), skipped=found.skipped)
