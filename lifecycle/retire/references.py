"""Which dataset versions are still used, and by what: the rule retention never breaks.

A dataset version is **in use** (never deleted) when any of these holds:

- a run trained on it (directly or through a split of it) is live: registered as a model version
  that is not retired or rejected, or not registered at all while its split still has work ahead
  (see below);
- a split of it is live: no model version was trained on the split yet (work in progress), or at
  least one trained on it is not retired or rejected;
- it is the lineage parent of a kept dataset version (a frozen version keeps the version it was
  prepared from), or a kept version made by a SQL query names it (the query's text is its lineage);
- nothing was ever trained on it and nothing derived from it (**not yet used**: fresh data is work
  in progress, not waste).

Otherwise it is **no longer used**: it (or what was derived from it) was trained on, and every
model version trained on it is retired or rejected; the runs left on record are history. Those are
the versions a clean-up may delete. The rule is a fixed point over the lineage graph, so a cycle of
query names cannot loop.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from lifecycle.data.datasets import list_datasets
from lifecycle.data.query import view_name
from lifecycle.records import DatasetVersion, ModelState
from lifecycle.store import retention as retention_store
from lifecycle.workspace import Workspace

IN_USE, NOT_YET_USED, NO_LONGER_USED, DELETED = "in use", "not yet used", "no longer used", "deleted"
_CLOSED = (ModelState.RETIRED, ModelState.REJECTED)


@dataclass(frozen=True, kw_only=True)
class DatasetUse:
    """A dataset version, whether anything still uses it, and why, in words."""

    dataset: DatasetVersion
    status: str  # IN_USE, NOT_YET_USED, NO_LONGER_USED or DELETED
    why: str

    @property
    def deletable(self) -> bool:
        return self.status == NO_LONGER_USED


def dataset_uses(workspace: Workspace, project_id: int) -> list[DatasetUse]:
    """Every dataset version of the project with its use, oldest first (see the module's rule)."""
    cursor = workspace.db.cursor()
    datasets = list_datasets(workspace, project_id)
    links = retention_store.run_links(cursor, project_id)
    split_of = retention_store.split_datasets(cursor, project_id)

    states_by_split: dict[int, list[str]] = defaultdict(list)
    for link in links:
        if link.version_state is not None:
            states_by_split[link.split_id].append(link.version_state)

    def split_done(split_id: int) -> bool:  # trained on, and every version trained on it closed
        found = states_by_split.get(split_id, [])
        return bool(found) and all(state in _CLOSED for state in found)

    live: dict[int, str] = {}  # dataset id -> what keeps it
    used: dict[int, list[str]] = defaultdict(list)  # dataset id -> closed versions trained on it
    for split_id, dataset_id in split_of.items():
        if not split_done(split_id):
            live.setdefault(dataset_id, f"split #{split_id} has work ahead: "
                                        + ("a model version trained on it is live" if states_by_split.get(split_id)
                                           else "no model version was trained on it yet"))
    for link in links:
        for dataset_id in {link.dataset_id, link.split_dataset_id} - {None}:
            if link.version_state is not None and link.version_state not in _CLOSED:
                live[dataset_id] = f"model v{link.version} (#{link.version_id}) is {link.version_state}"
            elif link.version_state is None and not split_done(link.split_id):
                live.setdefault(dataset_id, f"run #{link.run_id} may still be registered")
            elif link.version_state is not None:
                used[dataset_id].append(f"v{link.version} ({link.version_state})")

    by_id = {d.id: d for d in datasets}
    sources = _sources(datasets)  # dataset id -> the dataset ids its rows came from
    derived: dict[int, list[int]] = defaultdict(list)
    for child, parents in sources.items():
        for parent in parents:
            derived[parent].append(child)
    trained = {d.id for d in datasets if d.id in used or d.id in live or d.id in split_of.values()}
    ever = _closure(trained, sources)  # trained on, or an ancestor of something trained on

    kept = {d.id for d in datasets if d.deleted_at is None and (d.id in live or d.id not in ever)}
    why = {i: live[i] for i in kept if i in live}
    changed = True
    while changed:  # a kept version keeps its sources, to a fixed point
        changed = False
        for child in sorted(kept):
            for parent in sources.get(child, ()):
                if parent not in kept and parent in by_id and by_id[parent].deleted_at is None:
                    kept.add(parent)
                    why[parent] = f"{by_id[child].label}, which is kept, was made from it"
                    changed = True

    uses = []
    for dataset in datasets:
        if dataset.deleted_at is not None:
            uses.append(DatasetUse(dataset=dataset, status=DELETED,
                                   why=f"rows deleted on {dataset.deleted_at:%Y-%m-%d}; record and hash kept"))
        elif dataset.id in kept and dataset.id not in ever:
            uses.append(DatasetUse(dataset=dataset, status=NOT_YET_USED,
                                   why="nothing was trained on it or on what was made from it yet"))
        elif dataset.id in kept:
            uses.append(DatasetUse(dataset=dataset, status=IN_USE, why=why[dataset.id]))
        else:
            closed = used.get(dataset.id)
            reason = (f"every model version trained on it is retired or rejected: {', '.join(closed)}" if closed
                      else "what was made from it is no longer used")
            uses.append(DatasetUse(dataset=dataset, status=NO_LONGER_USED, why=reason))
    return uses


def _sources(datasets: list[DatasetVersion]) -> dict[int, set[int]]:
    """Dataset id -> the ids its rows came from: its lineage parent, and for a query every version of
    each dataset the SQL names (``name`` is the newest version when it ran, ``name_vN`` one version)."""
    by_base: dict[str, list[int]] = defaultdict(list)
    for dataset in datasets:
        by_base[view_name(dataset, latest=True)].append(dataset.id)
    found: dict[int, set[int]] = {}
    for dataset in datasets:
        parents = set()
        if dataset.lineage.parent_id is not None:
            parents.add(dataset.lineage.parent_id)
        if dataset.lineage.query:
            words = set(re.findall(r"[a-z0-9_]+", dataset.lineage.query.lower()))
            for base, ids in by_base.items():
                if base in words or any(w.startswith(f"{base}_v") and w[len(base) + 2:].isdigit() for w in words):
                    parents.update(ids)
        parents.discard(dataset.id)
        if parents:
            found[dataset.id] = parents
    return found


def _closure(start: set[int], sources: dict[int, set[int]]) -> set[int]:
    """``start`` and every source of a member, transitively."""
    seen, stack = set(start), list(start)
    while stack:
        for parent in sources.get(stack.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen
