"""Performance per window, before and after labels, stored so charts read history instead of
recomputing it.

:func:`refresh_performance` counts, for every model version and window (epoch-aligned, of the
size asked for, ``monitor.windows``), the predictions and how many have a label that counts
(``monitor.labels``), and recomputes only the windows whose counts, or whose settings (objectives,
resamples, seed, classes, the version's calibration and reference labels), changed since they
were stored: labels arriving late for an old window recompute that window, nothing else. Each
window's numbers come from ``monitor.window_metrics``. :func:`performance_history` reads them back.

Tracked per window: every stage-1 performance objective's metric and the task's primary metric
(and, for binary tasks, the metrics CBPE estimates, so estimated and realized stand side by side),
each with its seeded bootstrap interval; every fairness objective's metric; the share of
predictions labelled so far; label drift against the reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from lifecycle.clock import utc_now
from lifecycle.hashing import sha256_json
from lifecycle.monitor import window_metrics
from lifecycle.monitor.estimate import ESTIMATED, Calibration, calibration_of
from lifecycle.monitor.label_drift import reference_counts
from lifecycle.monitor.labels import LabelReport, label_rule, project_logs, report_of
from lifecycle.monitor.window_metrics import MIN_LABELLED_ROWS, Settings
from lifecycle.monitor.windows import Window
from lifecycle.problem import projects
from lifecycle.problem.metrics import PRIMARY
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.records import Objective, Project, WindowCounts, WindowMetric
from lifecycle.store import monitor_labels as label_store
from lifecycle.store import monitor_performance as performance_store
from lifecycle.validate.metrics import metric_names
from lifecycle.workspace import Workspace

DEFAULT_BOOTSTRAP = 200
SEED = 0
FORMAT = 1  # raised when what a stored window holds changes, so every window is recomputed once
ROWS_PER_QUERY = 200_000  # predictions read from the log at once while recomputing windows


def objectives_of(workspace: Workspace, project_id: int) -> tuple[Objective, ...]:
    """The project's current objectives (empty when none are set)."""
    found = projects.objectives(workspace, project_id)
    return tuple(found.objectives) if found else ()


def tracked(project: Project, objectives: tuple[Objective, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(performance metrics, fairness metrics) tracked per window for ``project``."""
    scorable = metric_names(project.task)
    wanted = [o.metric for o in objectives if CATALOGUE.get(o.metric) and CATALOGUE[o.metric].kind == "performance"]
    wanted += [PRIMARY[project.task]] + (list(ESTIMATED) if project.task == "binary" else [])
    performance = tuple(dict.fromkeys(m for m in wanted if m in scorable))
    fairness = tuple(dict.fromkeys(o.metric for o in objectives
                                   if CATALOGUE.get(o.metric) and CATALOGUE[o.metric].kind == "fairness"
                                   and project.task in CATALOGUE[o.metric].tasks))
    return performance, fairness


@dataclass(frozen=True, kw_only=True)
class PerformanceRefresh:
    """What a refresh did: windows seen, recomputed and left as stored, and the labels it joined."""

    project_id: int
    size_seconds: int
    windows: int
    computed: int
    unchanged: int
    labels: LabelReport
    skipped: tuple[str, ...]  # torn log segments left out ("name: reason")


def _settings(workspace: Workspace, project: Project, rule, version_id: int, n_bootstrap: int, seed: int,
              objectives: tuple[Objective, ...], calibration: Calibration) -> Settings:
    performance, fairness = tracked(project, objectives)
    reference = (reference_counts(workspace, version_id, rule.classes, rule.positive)
                 if project.task != "regression" else None)
    return Settings(rule=rule, realized=performance, fairness=fairness, sensitive=tuple(project.sensitive),
                    n_bootstrap=n_bootstrap, seed=seed, reference_labels=reference,
                    calibration_note="" if calibration.calibrated else calibration.text)


def _signature(settings: Settings, calibration: Calibration) -> str:
    return sha256_json({"format": FORMAT, "classes": settings.rule.classes, "positive": settings.rule.positive,
                        "realized": settings.realized, "fairness": settings.fairness, "sensitive": settings.sensitive,
                        "n_bootstrap": settings.n_bootstrap, "seed": settings.seed,
                        "reference": settings.reference_labels, "ece": calibration.ece})


def _batches(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """Windows of one version in groups of about ``ROWS_PER_QUERY`` predictions."""
    out, start, total = [], 0, 0
    for position, predictions in enumerate(frame["predictions"].tolist()):
        if total and total + predictions > ROWS_PER_QUERY:
            out.append(frame.iloc[start:position])
            start, total = position, 0
        total += predictions
    if start < len(frame):
        out.append(frame.iloc[start:])
    return out


def refresh_performance(workspace: Workspace, project_id: int, *, size_seconds: int, now: datetime | None = None,
                        n_bootstrap: int = DEFAULT_BOOTSTRAP, seed: int = SEED) -> PerformanceRefresh:
    """Bring the stored performance of ``project_id`` in windows of ``size_seconds`` up to date
    with its logs (windows starting after ``now`` are left for later). Raises NotFound for an
    unknown project."""
    project = projects.get_project(workspace, project_id)
    now = now or utc_now()
    found = project_logs(workspace, project.id)
    rule = label_rule(project, found)
    objectives = objectives_of(workspace, project.id)
    joined = label_store.join_summary(found, size_seconds, rule.sql_classes)
    counts = joined.counts
    counts = counts[counts["window_start"] <= pd.Timestamp(now)]
    stored = {(w.model_version_id, w.window_start): w
              for w in performance_store.windows(workspace.db.cursor(), project.id, size_seconds)}
    computed = 0
    for version_id, frame in counts.groupby("version_id", sort=True):
        version_id = int(version_id)
        calibration = calibration_of(workspace, version_id)
        settings = _settings(workspace, project, rule, version_id, n_bootstrap, seed, objectives, calibration)
        signature = _signature(settings, calibration)
        changed = frame[[_changed(stored.get((version_id, start.to_pydatetime())), predictions, labelled, signature)
                         for start, predictions, labelled in
                         zip(frame["window_start"], frame["predictions"], frame["labelled"])]]
        for batch in _batches(changed):
            computed += _compute(workspace, project, found, size_seconds, version_id, batch, settings, signature)
    return PerformanceRefresh(project_id=project.id, size_seconds=size_seconds, windows=len(counts), computed=computed,
                              unchanged=len(counts) - computed, labels=report_of(rule, joined.feedback, found),
                              skipped=found.skipped)


def _changed(stored: WindowCounts | None, predictions: int, labelled: int, signature: str) -> bool:
    return stored is None or (stored.predictions, stored.labelled, stored.signature) != (predictions, labelled,
                                                                                          signature)


def _compute(workspace: Workspace, project: Project, found, size_seconds: int, version_id: int, batch: pd.DataFrame,
             settings: Settings, signature: str) -> int:
    starts = [s.to_pydatetime() for s in batch["window_start"]]
    rows = label_store.window_rows(found, size_seconds, settings.rule.sql_classes, version_id=version_id,
                                   starts=starts, probability_of=settings.rule.classes, attributes=settings.sensitive)
    groups = dict(tuple(rows.groupby("window_start"))) if len(rows) else {}
    at = utc_now()
    with workspace.db.transaction() as cursor:
        for start, predictions, labelled, label_counts in zip(starts, batch["predictions"], batch["labelled"],
                                                              batch["label_counts"]):
            window_rows = groups.get(pd.Timestamp(start), rows.iloc[:0])
            counts = WindowCounts(project_id=project.id, model_version_id=version_id, size_seconds=size_seconds,
                                  window_start=start, predictions=int(predictions), labelled=int(labelled),
                                  label_counts={str(k): int(v) for k, v in label_counts.items()},
                                  signature=signature, computed_at=at)
            values = window_metrics.window_values(window_rows, counts.label_counts, settings)
            performance_store.replace_window(cursor, counts, [
                WindowMetric(project_id=project.id, model_version_id=version_id, size_seconds=size_seconds,
                             window_start=start, metric=v.metric, source=v.source, value=v.value, low=v.low,
                             high=v.high, n=v.n, note=v.note, details=v.details) for v in values])
    return len(starts)


# --- reading it back ------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class WindowPerformance:
    """One version's numbers in one window: counts, realized metrics (with intervals), estimated ones."""

    model_version_id: int
    window: Window
    predictions: int
    labelled: int
    label_counts: dict[str, int]
    realized: dict[str, WindowMetric] = field(default_factory=dict)
    estimated: dict[str, WindowMetric] = field(default_factory=dict)

    @property
    def labelled_share(self) -> float:
        """Share of the window's predictions with a label so far (0 to 1)."""
        return self.labelled / self.predictions if self.predictions else 0.0

    @property
    def judgeable(self) -> bool:
        """Enough labelled rows for its realized numbers to be judged against an objective."""
        return self.labelled >= MIN_LABELLED_ROWS


@dataclass(frozen=True, kw_only=True)
class PerformanceHistory:
    """Stored windows of a project (one size), oldest first per version, with each version's calibration."""

    project_id: int
    size_seconds: int
    windows: tuple[WindowPerformance, ...]
    calibration: dict[int, Calibration]
    objectives: tuple[Objective, ...]
    tracked: tuple[str, ...]  # realized metrics tracked (performance, then fairness)

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(w.model_version_id for w in self.windows))

    def of_version(self, version_id: int) -> tuple[WindowPerformance, ...]:
        return tuple(w for w in self.windows if w.model_version_id == version_id)

    def series(self, metric: str, *, source: str = "realized",
               version_id: int | None = None) -> list[tuple[Window, WindowMetric | None]]:
        """``(window, value or None)`` for every stored window of the version (all versions when None)."""
        chosen = self.windows if version_id is None else self.of_version(version_id)
        return [(w.window, (w.realized if source == "realized" else w.estimated).get(metric)) for w in chosen]


def performance_history(workspace: Workspace, project_id: int, *, size_seconds: int, since: datetime | None = None,
                        until: datetime | None = None, version_id: int | None = None) -> PerformanceHistory:
    """The stored windows of ``project_id`` of ``size_seconds`` starting in [since, until), as
    :func:`refresh_performance` left them (nothing is computed here). Raises NotFound for an unknown project."""
    project = projects.get_project(workspace, project_id)
    cursor = workspace.db.cursor()
    counts = performance_store.windows(cursor, project.id, size_seconds, model_version_id=version_id, since=since,
                                       until=until)
    values: dict[tuple[int, datetime], list[WindowMetric]] = {}
    for value in performance_store.metrics(cursor, project.id, size_seconds, model_version_id=version_id,
                                           since=since, until=until):
        values.setdefault((value.model_version_id, value.window_start), []).append(value)
    windows = []
    for c in counts:
        mine = values.get((c.model_version_id, c.window_start), [])
        windows.append(WindowPerformance(
            model_version_id=c.model_version_id,
            window=Window(start=c.window_start, end=c.window_start + timedelta(seconds=size_seconds)),
            predictions=c.predictions, labelled=c.labelled, label_counts=c.label_counts,
            realized={v.metric: v for v in mine if v.source == "realized"},
            estimated={v.metric: v for v in mine if v.source == "estimated"}))
    objectives = objectives_of(workspace, project.id)
    performance, fairness = tracked(project, objectives)
    versions = tuple(dict.fromkeys(c.model_version_id for c in counts))
    return PerformanceHistory(project_id=project.id, size_seconds=size_seconds, windows=tuple(windows),
                              calibration={v: calibration_of(workspace, v) for v in versions},
                              objectives=objectives, tracked=performance + fairness)
