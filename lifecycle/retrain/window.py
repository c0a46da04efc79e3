"""The rows a retrain trains on, from its policy's ``DataWindow``.

The reference is the production version's own dataset version (the frozen rows its run trained,
validated and was tested on), taken whole. Labelled production rows are the prediction log's
answered rows whose true label came back, by the Monitor stage's one rule
(``monitor.labels.labelled_production_rows``), logged inside the window's time range. They carry the
inputs the client sent and the label as the target; every column is typed as the reference types it
(a column the service never receives, such as a sensitive attribute the model does not read, is
empty in them), so the rows of both sources form one table the production recipe can freeze.

Sensitive attributes: the model does not read them, but the service logs whatever a request carries,
so a client that sends them with each request gives the retrain production rows it can review for
fairness (they are used as sent). Production rows without them fall into the fairness review's
``(missing)`` group: the window counts them per attribute (``WindowRows.unattributed``) and its notes
say plainly that the retrained model's fairness cannot be judged on those rows, why, and the fix.

A window that holds the reference alone (``reference``, or ``both`` when no production row is
labelled yet) is the reference itself: the retrain reuses its version and split rather than freezing
the same rows again under a new number.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from lifecycle.data.datasets import load_table
from lifecycle.errors import InputError
from lifecycle.monitor.labels import ProductionRows, labelled_production_rows
from lifecycle.records import DataWindow, DatasetVersion, Project
from lifecycle.retrain.policies import describe_window
from lifecycle.validate.groups import MISSING_GROUP
from lifecycle.workspace import Workspace

LISTED = 6  # column names a note lists


@dataclass(frozen=True, kw_only=True, eq=False)
class WindowRows:
    """What a window resolved to: the bounds its production rows were taken in, how many rows came from
    each source, the table to freeze (reference rows first, then production rows, in the reference's
    column order and types; None when the window is the reference alone) and notes in words."""

    window: DataWindow
    since: datetime | None
    until: datetime | None
    reference_rows: int
    production_rows: int
    table: pa.Table | None
    notes: tuple[str, ...]
    unattributed: dict[str, int] = field(default_factory=dict)  # sensitive attribute -> production rows without it

    @property
    def reuses_reference(self) -> bool:
        """True when the rows are the reference's own: its version and split are reused."""
        return self.table is None

    def counts(self) -> dict[str, int]:
        return {"reference_rows": self.reference_rows, "production_rows": self.production_rows,
                "rows": self.reference_rows + self.production_rows}

    def resolved(self) -> dict:
        """The window as this retrain resolved it, JSON-ready (what the retrain record keeps)."""
        return {"kind": self.window.kind, "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None, "last_days": self.window.last_days,
                "described": describe_window(self.window)}


def bounds(window: DataWindow, now: datetime) -> tuple[datetime | None, datetime | None]:
    """[since, until) of the production rows at ``now`` (naive UTC): the last days before now, the
    window's dates, or unbounded."""
    if window.last_days is not None:
        return now - timedelta(days=window.last_days), now
    return window.since, window.until


def window_rows(workspace: Workspace, project: Project, reference: DatasetVersion, window: DataWindow, *,
                now: datetime) -> WindowRows:
    """Resolve ``window`` for ``project`` at ``now``. Raises InputError when the window asks for labelled
    production rows only and none is in its range, or when a production column's values cannot be
    typed as the reference types it."""
    since, until = bounds(window, now)
    notes: list[str] = []
    if not window.uses_production:
        return WindowRows(window=window, since=None, until=None, reference_rows=reference.rows, production_rows=0,
                          table=None, notes=(f"The reference {reference.label} alone: its version and split are "
                                             "reused.",))
    found = labelled_production_rows(workspace, project.id, since=since, until=until)
    notes += [f"Skipped a torn log segment: {name}" for name in found.skipped]
    span = _span(since, until)
    if len(found) == 0:
        if not window.uses_reference:
            raise InputError(f"No labelled production row of {project.name!r} was logged{span}, and the window "
                             "takes labelled production rows only.",
                             "Send the true labels of answered requests (POST /feedback or `feedback FILE`), widen "
                             "the window's time range, or use the window 'both'.")
        notes.append(f"No labelled production row was logged{span}: the reference {reference.label} alone, its "
                     "version and split reused.")
        return WindowRows(window=window, since=since, until=until, reference_rows=reference.rows, production_rows=0,
                          table=None, notes=tuple(notes))
    loaded = load_table(workspace, reference)
    production, typed_notes, promoted = _typed(found, loaded.schema, project)
    notes.append(f"{len(found):,} labelled production rows logged from {found.times.min():%Y-%m-%d %H:%M} to "
                 f"{found.times.max():%Y-%m-%d %H:%M} UTC.")
    notes += typed_notes
    unattributed = {name: production.column(name).null_count for name in project.sensitive
                    if name in production.schema.names and production.column(name).null_count}
    if window.uses_reference:
        loaded = loaded.cast(promoted)
        table = pa.concat_tables([loaded, production])
        reference_rows = loaded.num_rows
    else:
        table, reference_rows = production, 0
    if unattributed:
        notes.append(fairness_note(unattributed, production.num_rows, reference_rows))
    return WindowRows(window=window, since=since, until=until, reference_rows=reference_rows,
                      production_rows=production.num_rows, table=table, notes=tuple(notes), unattributed=unattributed)


def fairness_note(unattributed: dict[str, int], production_rows: int, reference_rows: int) -> str:
    """The retrain report's sentence on the sensitive attributes production rows lack (attribute ->
    rows without it, of ``production_rows``): what the fairness review can and cannot judge, why, the fix."""
    lacking = "; ".join(f"{rows:,} of {production_rows:,} lack {name!r}" for name, rows in unattributed.items())
    names = ", ".join(repr(name) for name in unattributed)
    whole = reference_rows == 0 and all(rows == production_rows for rows in unattributed.values())
    reach = (f"the retrained model's fairness cannot be reviewed by {names}: every row it is trained and tested "
             f"on is in the {MISSING_GROUP} group" if whole else
             f"the retrained model's fairness review counts those rows in a {MISSING_GROUP} group and judges its "
             f"groups by {names} on the other rows only")
    return (f"Fairness not reviewable on these production rows ({lacking}). Why: the service needs only the "
            "model's inputs, so clients need not send a sensitive attribute the model does not read. So "
            f"{reach}. Fix: send the sensitive attributes with each request (the service logs what a request "
            "carries; the model ignores what it does not read), or retrain on the window 'reference'.")


def _span(since: datetime | None, until: datetime | None) -> str:
    if since is None and until is None:
        return ""
    start = f" from {since:%Y-%m-%d %H:%M}" if since else ""
    end = f" until {until:%Y-%m-%d %H:%M}" if until else ""
    return f"{start}{end} (UTC)"


def _typed(found: ProductionRows, schema: pa.Schema, project: Project) -> tuple[pa.Table, list[str], pa.Schema]:
    """The production rows as a table of the reference's columns and types (a column of whole numbers
    that production sends as fractions becomes floating point on both sides: the promoted schema)."""
    frame = found.frame
    n = len(frame)
    columns, fields, missing = [], [], []
    for field in schema:
        if field.name not in frame.columns:
            missing.append(field.name)
            columns.append(pa.nulls(n, field.type))
            fields.append(field)
            continue
        values = pa.array(frame[field.name].astype(object).where(frame[field.name].notna(), None).tolist())
        typed, field = _cast(values, field, project)
        columns.append(typed)
        fields.append(field)
    extra = [c for c in frame.columns if c not in schema.names]
    notes = []
    missing = [name for name in missing if name not in project.sensitive]  # the fairness note names those
    if missing:
        notes.append(f"Production rows carry no {_listed(missing)} (the service does not receive "
                     f"{'it' if len(missing) == 1 else 'them'}): empty in those rows.")
    if extra:
        notes.append(f"Production inputs {_listed(extra)} are not columns of the reference and are left out.")
    promoted = pa.schema(fields)
    return pa.Table.from_arrays(columns, schema=promoted), notes, promoted


def _cast(values: pa.Array, field: pa.Field, project: Project) -> tuple[pa.Array, pa.Field]:
    if values.type == field.type or pa.types.is_null(values.type):
        return values.cast(field.type), field
    try:
        return pc.cast(values, field.type), field
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    numeric = (pa.types.is_integer(field.type) or pa.types.is_floating(field.type)) and (
        pa.types.is_integer(values.type) or pa.types.is_floating(values.type))
    if numeric:
        return pc.cast(values, pa.float64()), pa.field(field.name, pa.float64())
    what = "label" if field.name == project.target else "input"
    example = next((v for v in values.to_pylist() if v is not None), None)
    raise InputError(f"Production {what} {field.name!r} holds {example!r} ({values.type}), which the reference's "
                     f"{field.type} column cannot hold.",
                     "Check what clients send in that field, or bound the window's time range to rows sent "
                     "with the right type.")


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:LISTED])
    return shown + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")
