"""CLI commands of stage 1 (Problem): ``project create|show|list|feasibility``."""
from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from lifecycle.cli.context import Context, Result, dataset_json
from lifecycle.data import datasets
from lifecycle.problem import projects
from lifecycle.records import Project
from lifecycle.workspace import Workspace


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    project = groups.add_parser("project", help="stage 1: projects").add_subparsers(dest="action", required=True)
    create = project.add_parser("create", parents=[output], help="create a project")
    create.add_argument("name")
    create.add_argument("--task", required=True, choices=["binary", "multiclass", "regression"])
    create.add_argument("--target", required=True)
    create.add_argument("--positive-class", default=None)
    create.add_argument("--sensitive", action="append", default=[])
    create.add_argument("--objective", action="append", default=[],
                        help="e.g. 'roc_auc>=0.85'; prefix 'advisory:' for a non-blocking one")
    create.add_argument("--statement", default="")
    create.add_argument("--risk-tier", default="medium", choices=["low", "medium", "high"])
    create.add_argument("--owner", default=None)
    create.add_argument("--intended-use", default="")
    create.add_argument("--out-of-scope", default="")
    create.set_defaults(handler=project_create)
    show = project.add_parser("show", parents=[output], help="a project, its objectives and datasets")
    show.add_argument("name")
    show.set_defaults(handler=project_show)
    listing = project.add_parser("list", parents=[output], help="every project in work")
    listing.add_argument("--archived", action="store_true", help="archived projects too")
    listing.set_defaults(handler=project_list)
    for action, text in (("archive", "hide a project from the portfolio, keeping its records (admins only)"),
                         ("restore", "bring an archived project back (admins only)")):
        toggle = project.add_parser(action, parents=[output], help=text)
        toggle.add_argument("name")
        toggle.set_defaults(handler=project_archive, archive=action == "archive")
    feasibility = project.add_parser("feasibility", parents=[output], help="volume, balance, baseline and a quick model")
    feasibility.add_argument("name")
    feasibility.add_argument("--dataset", type=int, default=None)
    feasibility.set_defaults(handler=project_feasibility)


def _project_json(workspace: Workspace, project: Project) -> dict[str, Any]:
    objective_set = projects.objectives(workspace, project.id)
    data = asdict(project)
    data["objectives"] = {
        "version": objective_set.version if objective_set else None,
        "items": [asdict(o) for o in objective_set.objectives] if objective_set else [],
    }
    return data


def project_create(context: Context, args: argparse.Namespace) -> Result:
    """Create a project with its objectives; prints "Created project NAME (id ID)." Exit 0; 2 on a
    refused permission or bad input (an unknown task, a malformed objective, a duplicate name)."""
    project = projects.create_project(
        context.workspace, context.actor, name=args.name, task=args.task, target=args.target,
        positive_class=args.positive_class, sensitive=args.sensitive, objectives=args.objective,
        statement=args.statement, risk_tier=args.risk_tier, owner=args.owner,
        intended_use=args.intended_use, out_of_scope=args.out_of_scope)
    return Result(f"Created project {project.name} (id {project.id}).", _project_json(context.workspace, project))


def project_show(context: Context, args: argparse.Namespace) -> Result:
    """Print a project: statement, sensitive attributes, objectives and its dataset versions.
    Exit 0; 2 when no project has that name."""
    project = projects.find_project(context.workspace, args.name)
    data = _project_json(context.workspace, project)
    data["datasets"] = [dataset_json(d) for d in datasets.list_datasets(context.workspace, project.id)]
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
    """Print one "ID<tab>NAME<tab>TASK<tab>TARGET" line per project in work (with --archived, archived ones
    too, marked "(archived)"), or "No projects yet." Exit 0."""
    found = projects.list_projects(context.workspace, archived=args.archived)
    return Result("\n".join(f"{p.id}\t{p.name}\t{p.task}\t{p.target}" + ("\t(archived)" if p.archived_at else "")
                            for p in found) or "No projects yet.",
                  [_project_json(context.workspace, p) for p in found])


def project_archive(context: Context, args: argparse.Namespace) -> Result:
    """Archive (or restore) a project, admins only; prints "Archived NAME." / "Restored NAME." Exit 0; 2 when
    the project does not exist or the actor is not an admin."""
    found = projects.find_project(context.workspace, args.name)
    project = projects.set_archived(context.workspace, context.actor, found.id, args.archive)
    return Result(f"{'Archived' if args.archive else 'Restored'} {project.name}.",
                  {"name": project.name, "archived": project.archived_at is not None})


def project_feasibility(context: Context, args: argparse.Namespace) -> Result:
    """Print the feasibility check (volume, balance, naive baseline, a quick model) of a project's
    dataset, stored as evidence of stage 1 (the same check on record is read back, not rerun).
    Exit 0; 2 when the project or dataset is missing or unusable."""
    from lifecycle.develop import feasibility  # scikit-learn is slow to import; only this command needs it

    project = projects.find_project(context.workspace, args.name)
    report, from_store = feasibility.check_and_record(context.workspace, context.actor, project,
                                                      dataset_id=args.dataset)
    note = "\n(unchanged since the last check: read from the record)" if from_store else ""
    return Result(feasibility.summary_text(report) + note, report.to_dict())
