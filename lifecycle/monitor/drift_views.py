"""What the Monitor page, the alerts and the CLI read of drift: the table of one window, the
history for charts, the confirmed drifts, and one feature's reference and current histograms.

Everything here reads the stored statistics (``refresh_drift`` writes them) and judges them with
the project's current rules (``drift_decisions``); nothing reads the log. Impact weights each
input feature's effect by its share of the model's SHAP importance in the newest stored
explanation of the version (Validate · Explain); without one, features are ranked by effect alone
and ``importance_note`` says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from lifecycle import evidence
from lifecycle.errors import InputError
from lifecycle.monitor import drift_config
from lifecycle.monitor.drift import production_version
from lifecycle.monitor.drift_columns import NEW, MonitoredColumn
from lifecycle.monitor.drift_decisions import DriftConfirmation, FeatureDrift, confirmations, judge, rank
from lifecycle.monitor.reference import load_columns, reference_profile
from lifecycle.monitor.windows import window_of
from lifecycle.records.drift import INPUT, NUMERIC
from lifecycle.store import monitor_drift as drift_store
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class DriftTable:
    """One window judged: each monitored column (inputs ranked by impact, then the model's
    outputs), the window's bounds and rows, and how impact was weighted. ``window_start`` is None
    when nothing is stored yet (``note`` says why)."""

    project_id: int
    model_version_id: int | None
    size_seconds: int
    window_start: datetime | None
    window_end: datetime | None
    window_rows: int
    complete: bool
    weighted: bool
    importance_note: str
    features: tuple[FeatureDrift, ...]
    note: str = ""

    @property
    def drifting(self) -> tuple[str, ...]:
        return tuple(f.feature for f in self.features if f.drift)

    @property
    def confirmed(self) -> tuple[str, ...]:
        return tuple(f.feature for f in self.features if f.confirmed)


@dataclass(frozen=True, kw_only=True)
class FeatureDetail:
    """One feature in one window beside its reference: the bins (labels), counts and shares of
    both, and the feature's judged row."""

    feature: str
    source: str
    kind: str
    window_start: datetime
    window_end: datetime
    labels: tuple[str, ...]
    reference_counts: tuple[int, ...]
    current_counts: tuple[int, ...]
    drift: FeatureDrift

    @property
    def reference_shares(self) -> tuple[float, ...]:
        total = sum(self.reference_counts) or 1
        return tuple(c / total for c in self.reference_counts)

    @property
    def current_shares(self) -> tuple[float, ...]:
        total = sum(self.current_counts) or 1
        return tuple(c / total for c in self.current_counts)


def importance_shares(workspace: Workspace, version_id: int) -> tuple[dict[str, float] | None, str]:
    """Each column's share of the mean |SHAP| importance in the newest stored explanation of the
    version, and a note for people; (None, why) when there is none."""
    stored = evidence.latest(workspace, version_id, "explanation")
    importance = (stored.payload.get("importance") or {}) if stored is not None else {}
    total = sum(float(v) for v in importance.values() if v is not None)
    if stored is None or total <= 0:
        return None, ("No stored SHAP explanation of this version: drift is ranked by effect size alone. "
                      "Explain the version (Validate) to rank it by impact.")
    shares = {str(k): float(v) / total for k, v in importance.items() if v is not None}
    return shares, f"Impact = effect × the feature's share of SHAP importance ({stored.summary})."


def _version(workspace: Workspace, project_id: int, size: int, version_id: int | None) -> int | None:
    if version_id is not None:
        return version_id
    serving = production_version(workspace, project_id)
    if serving is not None:
        return serving.id
    versions = drift_store.versions_with_statistics(workspace.db.cursor(), project_id, size)
    return versions[-1] if versions else None


def _size(workspace: Workspace, project_id: int, size_seconds: int | None) -> int:
    return int(size_seconds or drift_config.drift_rules(workspace, project_id).window_seconds)


def _judged(workspace: Workspace, project_id: int, size: int, version_id: int, *, until: datetime | None = None,
            feature: str | None = None) -> tuple[list[FeatureDrift], bool, str]:
    config = drift_config.drift_rules(workspace, project_id)
    history = drift_store.statistics(workspace.db.cursor(), project_id=project_id, model_version_id=version_id,
                                     size_seconds=size, until=until, feature=feature)
    shares, note = importance_shares(workspace, version_id)
    return judge(history, config, importance=shares), shares is not None, note


def drift_table(workspace: Workspace, project_id: int, *, size_seconds: int | None = None,
                window_start: datetime | None = None, version_id: int | None = None) -> DriftTable:
    """The judged columns of the window holding ``window_start`` (default: the newest stored
    window), ranked: confirmed and drifting first, then by impact."""
    size = _size(workspace, project_id, size_seconds)
    version = _version(workspace, project_id, size, version_id)
    empty = dict(project_id=project_id, model_version_id=version, size_seconds=size, window_rows=0, complete=False,
                 features=(), weighted=False, importance_note="")
    if version is None:
        return DriftTable(**empty, window_start=None, window_end=None,
                          note="No version is in production and no drift is on record.")
    until = window_of(window_start, size).end if window_start is not None else None
    judged, weighted, note = _judged(workspace, project_id, size, version, until=until)
    if not judged:
        return DriftTable(**{**empty, "weighted": weighted, "importance_note": note}, window_start=None,
                          window_end=None, note="No window of traffic is on record yet: refresh the drift.")
    start = window_of(window_start, size).start if window_start is not None else judged[-1].window_start
    rows = [f for f in judged if f.window_start == start]
    if not rows:
        return DriftTable(**{**empty, "weighted": weighted, "importance_note": note}, window_start=start,
                          window_end=start + timedelta(seconds=size), note="No traffic in this window.")
    return DriftTable(project_id=project_id, model_version_id=version, size_seconds=size, window_start=start,
                      window_end=rows[0].window_end, window_rows=rows[0].window_rows, complete=rows[0].complete,
                      weighted=weighted, importance_note=note, features=tuple(rank(rows)))


def drift_history(workspace: Workspace, project_id: int, *, size_seconds: int | None = None,
                  since: datetime | None = None, until: datetime | None = None, feature: str | None = None,
                  version_id: int | None = None) -> list[FeatureDrift]:
    """Every judged (window, column) from ``since`` to ``until`` (exclusive), oldest first, for
    charts (windows without traffic are absent: ``monitor.windows.windows_between`` lists them all)."""
    size = _size(workspace, project_id, size_seconds)
    version = _version(workspace, project_id, size, version_id)
    if version is None:
        return []
    judged, _, _ = _judged(workspace, project_id, size, version, until=until, feature=feature)
    return [f for f in judged if since is None or f.window_start >= since]


def confirmed_drifts(workspace: Workspace, project_id: int, *, size_seconds: int | None = None,
                     since: datetime | None = None, version_id: int | None = None) -> list[DriftConfirmation]:
    """Each confirmed drift (a run of ``consecutive`` drifting complete windows of one column) on
    record, oldest first; those ending before ``since`` left out. Judged on the project's window
    size unless ``size_seconds`` is given."""
    size = _size(workspace, project_id, size_seconds)
    version = _version(workspace, project_id, size, version_id)
    if version is None:
        return []
    judged, _, _ = _judged(workspace, project_id, size, version)
    config = drift_config.drift_rules(workspace, project_id)
    return [c for c in confirmations(judged, config.consecutive) if since is None or c.last_window >= since]


def _labels(edges: Sequence[float]) -> list[str]:
    if not len(edges):
        return ["all"]
    labels = [f"≤ {edges[0]:g}"]
    labels += [f"{low:g} – {high:g}" for low, high in zip(edges[:-1], edges[1:])]
    return labels + [f"> {edges[-1]:g}"]


def _categorical_bins(reference: dict[str, Any], current: dict[str, Any], column: MonitoredColumn):
    names = list(current.get("categories", []))
    names += [c for c in reference.get("categories", []) if c not in names]
    ref_all = dict(column.categories or {})
    cur_named = dict(zip(current.get("categories", []), current.get("counts", [])))
    cur_total = sum(current.get("counts", [])) + int(current.get("other", 0))
    ref_counts = [int(ref_all.get(n, 0)) for n in names]
    cur_counts = [int(cur_named.get(n, 0)) for n in names]
    labels = [column.other_label if n == NEW else n for n in names]
    ref_other, cur_other = sum(ref_all.values()) - sum(ref_counts), cur_total - sum(cur_counts)
    if ref_other or cur_other:
        labels.append("(other)")
        ref_counts.append(ref_other)
        cur_counts.append(cur_other)
    return labels, ref_counts, cur_counts


def feature_detail(workspace: Workspace, project_id: int, feature: str, *, window_start: datetime,
                   size_seconds: int | None = None, source: str = INPUT, version_id: int | None = None) -> FeatureDetail:
    """The reference's and the window's histograms of one column side by side (numeric: bins of
    equal width over the reference's range; categorical: the window's categories and the
    reference's most common ones, the rest as ``(other)``). Raises InputError when the window
    holds no traffic or the column is not monitored."""
    size = _size(workspace, project_id, size_seconds)
    version = _version(workspace, project_id, size, version_id)
    window = window_of(window_start, size)
    judged = [] if version is None else _judged(workspace, project_id, size, version, until=window.end,
                                                feature=feature)[0]
    row = next((f for f in judged if f.window_start == window.start and f.source == source), None)
    if row is None:
        raise InputError(f"No drift of {feature!r} is on record for the window starting {window.start:%Y-%m-%d %H:%M}.",
                         "Pick a window with traffic and a monitored column, after refreshing the drift.")
    column = next(c for c in load_columns(workspace, reference_profile(workspace, version))
                  if c.column.source == source and c.column.name == feature)
    reference, current = column.reference_histogram(), dict(row.statistics.histogram)
    if column.column.kind == NUMERIC:
        edges = current.get("edges", reference.get("edges", []))
        labels = _labels(edges)
        ref_counts = list(reference.get("counts", [0] * len(labels)))
        cur_counts = list(current.get("counts", [0] * len(labels)))
    else:
        labels, ref_counts, cur_counts = _categorical_bins(reference, current, column)
    return FeatureDetail(feature=feature, source=source, kind=column.column.kind, window_start=window.start,
                         window_end=window.end, labels=tuple(labels), reference_counts=tuple(ref_counts),
                         current_counts=tuple(cur_counts), drift=row)
