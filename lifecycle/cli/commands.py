"""One function per CLI command: call the domain, return text and JSON-ready data."""
from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lifecycle import audit, auth
from lifecycle.data import datasets
from lifecycle.data import query
from lifecycle.problem import projects
from lifecycle.errors import LifecycleError
from lifecycle.records import DatasetVersion, Project, User
from lifecycle.workspace import Workspace, open_workspace


@dataclass
class Context:
    path: Path
    user: str | None
    as_json: bool
    needs_actor: bool = True
    _workspace: Workspace | None = field(default=None, repr=False)

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = open_workspace(self.path)
        return self._workspace

    @property
    def actor(self) -> User:
        if not self.user:
            raise LifecycleError("No acting user.", "Pass --user NAME before the command, or set LIFECYCLE_USER.")
        return auth.get_user(self.workspace, self.user)


@dataclass
class Result:
    text: str
    data: Any
    exit_code: int = 0


def _dataset_json(dataset: DatasetVersion) -> dict[str, Any]:
    return {"id": dataset.id, "project_id": dataset.project_id, "name": dataset.name,
            "version": dataset.version, "rows": dataset.rows, "columns": len(dataset.columns),
            "content_hash": dataset.content_hash, "auxiliary": dataset.auxiliary,
            "schema": [asdict(c) for c in dataset.columns], "lineage": asdict(dataset.lineage),
            "created_at": dataset.created_at, "created_by": dataset.created_by}


def _project_json(workspace: Workspace, project: Project) -> dict[str, Any]:
    objective_set = projects.objectives(workspace, project.id)
    data = asdict(project)
    data["objectives"] = {
        "version": objective_set.version if objective_set else None,
        "items": [asdict(o) for o in objective_set.objectives] if objective_set else [],
    }
    return data


def workspace_init(context: Context, args: argparse.Namespace) -> Result:
    user = auth.init_admin(context.workspace, args.admin, args.password)
    return Result(f"Created workspace {context.path} with admin {user.name}.",
                  {"workspace": str(context.path), "admin": user.name})


def user_add(context: Context, args: argparse.Namespace) -> Result:
    user = auth.add_user(context.workspace, context.actor, args.name, args.role, args.password)
    return Result(f"Added {user.name} ({user.role}).", {"name": user.name, "role": user.role})


def user_list(context: Context, args: argparse.Namespace) -> Result:
    users = auth.list_users(context.workspace)
    return Result("\n".join(f"{u.name}\t{u.role}" for u in users),
                  [{"name": u.name, "role": u.role, "active": u.active} for u in users])


def project_create(context: Context, args: argparse.Namespace) -> Result:
    project = projects.create_project(
        context.workspace, context.actor, name=args.name, task=args.task, target=args.target,
        positive_class=args.positive_class, sensitive=args.sensitive, objectives=args.objective,
        statement=args.statement, risk_tier=args.risk_tier, owner=args.owner,
        intended_use=args.intended_use, out_of_scope=args.out_of_scope)
    return Result(f"Created project {project.name} (id {project.id}).", _project_json(context.workspace, project))


def project_show(context: Context, args: argparse.Namespace) -> Result:
    project = projects.find_project(context.workspace, args.name)
    data = _project_json(context.workspace, project)
    data["datasets"] = [_dataset_json(d) for d in datasets.list_datasets(context.workspace, project.id)]
    lines = [f"{project.name} (id {project.id}) — {project.task}, target {project.target!r}",
             f"  statement: {project.statement or '—'}",
             f"  sensitive: {', '.join(project.sensitive) or '—'}; owner {project.owner}; "
             f"risk {project.risk_tier}",
             f"  objectives (v{data['objectives']['version']}):"]
    objective_set = projects.objectives(context.workspace, project.id)
    lines += [f"    {o}{'' if o.blocking else ' (advisory)'}" for o in (objective_set.objectives if objective_set else ())] or ["    none"]
    lines.append(f"  datasets: {len(data['datasets'])}")
    lines += [f"    #{d['id']} {d['name']} v{d['version']}: {d['rows']:,} rows × {d['columns']} columns"
              for d in data["datasets"]]
    return Result("\n".join(lines), data)


def project_list(context: Context, args: argparse.Namespace) -> Result:
    found = projects.list_projects(context.workspace)
    return Result("\n".join(f"{p.id}\t{p.name}\t{p.task}\t{p.target}" for p in found) or "No projects yet.",
                  [_project_json(context.workspace, p) for p in found])


def project_feasibility(context: Context, args: argparse.Namespace) -> Result:
    from lifecycle.develop import feasibility  # scikit-learn is slow to import; only this command needs it

    project = projects.find_project(context.workspace, args.name)
    report = feasibility.check_feasibility(context.workspace, project, dataset_id=args.dataset)
    return Result(feasibility.summary_text(report), report.to_dict())


def data_ingest(context: Context, args: argparse.Namespace) -> Result:
    project = projects.find_project(context.workspace, args.project)
    dataset = datasets.ingest_path(context.workspace, context.actor, project.id, args.file, name=args.name,
                                   auxiliary=args.auxiliary, encoding=args.encoding)
    notes = "".join(f"\n  note: {n}" for n in dataset.lineage.notes)
    return Result(f"Ingested {dataset.label}: {dataset.rows:,} rows × {len(dataset.columns)} columns, "
                  f"content hash {dataset.content_hash[:12]}{notes}", _dataset_json(dataset))


def data_list(context: Context, args: argparse.Namespace) -> Result:
    project = projects.find_project(context.workspace, args.project)
    found = datasets.list_datasets(context.workspace, project.id)
    return Result("\n".join(f"{d.id}\t{d.name}\tv{d.version}\t{d.rows}\t{len(d.columns)}\t{d.content_hash[:12]}"
                            for d in found) or "No datasets yet.", [_dataset_json(d) for d in found])


def data_profile(context: Context, args: argparse.Namespace) -> Result:
    from lifecycle.data import profile

    dataset = datasets.get_dataset(context.workspace, args.dataset_id)
    project = projects.get_project(context.workspace, dataset.project_id)
    report = profile.get_profile(context.workspace, dataset, target=project.target if not dataset.auxiliary else None,
                                 task=project.task)
    lines = [f"{dataset.label}: {report.rows:,} rows × {len(report.columns)} columns, "
             f"{report.duplicate_rows:,} duplicate rows"]
    lines += [f"  {c.name}: {c.kind}, {c.missing:,} missing, {c.distinct:,} distinct" for c in report.columns]
    lines += [f"  [{f.severity}] {f.message}" for f in report.findings]
    return Result("\n".join(lines), report.to_dict())


def data_query(context: Context, args: argparse.Namespace) -> Result:
    project = projects.find_project(context.workspace, args.project)
    if args.freeze:
        dataset = query.freeze_query(context.workspace, context.actor, project.id, args.sql, name=args.freeze)
        return Result(f"Stored {dataset.label}: {dataset.rows:,} rows.", _dataset_json(dataset))
    result = query.run_query(context.workspace, project.id, args.sql)
    frame = result.table.to_pandas()
    return Result(frame.to_string(max_rows=50), frame.to_dict(orient="records"))


def data_freeze(context: Context, args: argparse.Namespace) -> Result:
    from lifecycle.data import preparation

    dataset = datasets.get_dataset(context.workspace, args.dataset_id)
    recipe_id = args.recipe
    if recipe_id is None:
        project = projects.get_project(context.workspace, dataset.project_id)
        suggested = preparation.suggested_recipe(context.workspace, dataset, project)
        recipe_id = preparation.save_recipe(context.workspace, context.actor, project.id, f"{dataset.name}-suggested",
                                            suggested, dataset).id
    frozen = preparation.freeze_dataset(context.workspace, context.actor, dataset.id, recipe_id)
    return Result(f"Froze {frozen.label} with recipe #{recipe_id}: {frozen.rows:,} rows.", _dataset_json(frozen))


def data_split(context: Context, args: argparse.Namespace) -> Result:
    from lifecycle.data import preparation

    split = preparation.create_split(context.workspace, context.actor, args.dataset_id, method=args.method,
                                     seed=args.seed, test_size=args.test_size,
                                     validation_size=args.validation_size, column=args.column)
    return Result(f"Split #{split.id} of dataset #{split.dataset_id}: "
                  + ", ".join(f"{k} {v:,}" for k, v in split.counts.items()), asdict(split))


def audit_verify(context: Context, args: argparse.Namespace) -> Result:
    verdict = audit.verify_chain(context.workspace)
    text = (f"Audit chain intact: {verdict.events} events." if verdict.ok
            else f"Audit chain BROKEN at event {verdict.first_broken}: {verdict.reason}.")
    return Result(text, asdict(verdict), exit_code=0 if verdict.ok else 1)


def audit_log(context: Context, args: argparse.Namespace) -> Result:
    events = audit.recent_events(context.workspace, limit=args.limit)
    return Result("\n".join(f"{e.seq}\t{e.at}\t{e.actor}\t{e.action}\t{e.entity}" for e in events),
                  [asdict(e) for e in events])
