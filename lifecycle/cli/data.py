"""CLI commands of stage 2 (Data): ``data ingest|list|profile|query|freeze|split``."""
from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from lifecycle.cli.context import Context, Result, dataset_json
from lifecycle.data import datasets
from lifecycle.data import query
from lifecycle.problem import projects


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    data = groups.add_parser("data", help="stage 2: datasets").add_subparsers(dest="action", required=True)
    ingest = data.add_parser("ingest", parents=[output], help="ingest a CSV/TSV/Parquet file (optionally .gz)")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--project", required=True)
    ingest.add_argument("--name", default=None)
    ingest.add_argument("--auxiliary", action="store_true",
                        help="a table without the target, to join in SQL")
    ingest.add_argument("--encoding", default="utf-8")
    ingest.add_argument("--decimal", default=None, choices=[".", ","],
                        help="decimal mark the file writes numbers with (1234,56: ',')")
    ingest.add_argument("--thousands", default=None, choices=[",", ".", " ", "'", "_"],
                        help="thousands separator the file writes numbers with (1.234,56: '.')")
    ingest.set_defaults(handler=data_ingest)
    listing = data.add_parser("list", parents=[output], help="dataset versions of a project")
    listing.add_argument("--project", required=True)
    listing.set_defaults(handler=data_list)
    profile = data.add_parser("profile", parents=[output], help="profile a dataset version")
    profile.add_argument("dataset_id", type=int)
    profile.set_defaults(handler=data_profile)
    query_parser = data.add_parser("query", parents=[output], help="read-only SQL over the project's datasets")
    query_parser.add_argument("--project", required=True)
    query_parser.add_argument("sql")
    query_parser.add_argument("--freeze", metavar="NAME", default=None, help="store the result as a dataset")
    query_parser.set_defaults(handler=data_query)
    freeze = data.add_parser("freeze", parents=[output],
                             help="freeze a prepared version with a recipe (default: a new suggested recipe)")
    freeze.add_argument("dataset_id", type=int)
    freeze.add_argument("--recipe", type=int, default=None, help="a saved recipe id")
    freeze.set_defaults(handler=data_freeze)
    split = data.add_parser("split", parents=[output], help="split a dataset version, reproducibly")
    split.add_argument("dataset_id", type=int)
    split.add_argument("--method", default=None, choices=["random", "stratified", "group", "time"],
                       help="default: stratified for classification, random for regression")
    split.add_argument("--seed", type=int, default=42)
    split.add_argument("--test-size", type=float, default=0.2)
    split.add_argument("--validation-size", type=float, default=0.0)
    split.add_argument("--column", default=None, help="group or time column")
    split.set_defaults(handler=data_split)


def data_ingest(context: Context, args: argparse.Namespace) -> Result:
    """Ingest a file as a new dataset version; prints its label, rows × columns, content hash and any
    notes. Exit 0; 2 on a refused permission or a file that cannot be read."""
    project = projects.find_project(context.workspace, args.project)
    dataset = datasets.ingest_path(context.workspace, context.actor, project.id, args.file, name=args.name,
                                   auxiliary=args.auxiliary, encoding=args.encoding,
                                   decimal=args.decimal, thousands=args.thousands)
    notes = "".join(f"\n  note: {n}" for n in dataset.lineage.notes)
    return Result(f"Ingested {dataset.label}: {dataset.rows:,} rows × {len(dataset.columns)} columns, "
                  f"content hash {dataset.content_hash[:12]}{notes}", dataset_json(dataset))


def data_list(context: Context, args: argparse.Namespace) -> Result:
    """Print one "ID<tab>NAME<tab>vN<tab>ROWS<tab>COLUMNS<tab>HASH" line per dataset version of a project,
    or "No datasets yet." Exit 0; 2 when no project has that name."""
    project = projects.find_project(context.workspace, args.project)
    found = datasets.list_datasets(context.workspace, project.id)
    return Result("\n".join(f"{d.id}\t{d.name}\tv{d.version}\t{d.rows}\t{len(d.columns)}\t{d.content_hash[:12]}"
                            for d in found) or "No datasets yet.", [dataset_json(d) for d in found])


def data_profile(context: Context, args: argparse.Namespace) -> Result:
    """Print a dataset version's profile: one line per column (kind, missing, distinct) and every
    finding with its severity. Exit 0; 2 when the dataset does not exist."""
    from lifecycle.data import profile

    dataset = datasets.get_dataset(context.workspace, args.dataset_id)
    project = projects.get_project(context.workspace, dataset.project_id)
    report = profile.get_profile(context.workspace, dataset, target=project.target if not dataset.auxiliary else None,
                                 task=project.task)
    lines = [f"{dataset.label}: {report.rows:,} rows × {len(report.columns)} columns, "
             f"{report.duplicate_rows:,} duplicate rows"]
    lines += [f"  {c.name}: {'numbers stored as text (' + c.number_format + ')' if c.number_format else c.kind}, "
              f"{c.missing:,} missing, {c.distinct:,} distinct" for c in report.columns]
    lines += [f"  [{f.severity}] {f.message}" for f in report.findings]
    return Result("\n".join(lines), report.to_dict())


def data_query(context: Context, args: argparse.Namespace) -> Result:
    """Run read-only SQL over the project's datasets and print the result (at most 50 rows shown);
    with --freeze, store it as a dataset version and print "Stored LABEL: N rows." Exit 0; 2 on
    SQL that is refused or fails."""
    project = projects.find_project(context.workspace, args.project)
    if args.freeze:
        dataset = query.freeze_query(context.workspace, context.actor, project.id, args.sql, name=args.freeze)
        return Result(f"Stored {dataset.label}: {dataset.rows:,} rows.", dataset_json(dataset))
    result = query.run_query(context.workspace, project.id, args.sql)
    frame = result.table.to_pandas()
    return Result(frame.to_string(max_rows=50), frame.to_dict(orient="records"))


def data_freeze(context: Context, args: argparse.Namespace) -> Result:
    """Freeze a prepared dataset version with a saved recipe (default: save the suggested one first);
    prints "Froze LABEL with recipe #ID: N rows." Exit 0; 2 on a refused permission or a bad recipe."""
    from lifecycle.data import preparation

    if args.recipe is not None:
        frozen = preparation.freeze_dataset(context.workspace, context.actor, args.dataset_id, args.recipe)
    else:
        frozen = preparation.freeze_with_suggested_recipe(context.workspace, context.actor, args.dataset_id)
    return Result(f"Froze {frozen.label} with recipe #{frozen.lineage.recipe_id}: {frozen.rows:,} rows.",
                  dataset_json(frozen))


def data_split(context: Context, args: argparse.Namespace) -> Result:
    """Split a dataset version reproducibly; prints "Split #ID of dataset #ID: train N, test N, ..."
    Exit 0; 2 on a refused permission or bad split options."""
    from lifecycle.data import preparation

    split = preparation.create_split(context.workspace, context.actor, args.dataset_id, method=args.method,
                                     seed=args.seed, test_size=args.test_size,
                                     validation_size=args.validation_size, column=args.column)
    return Result(f"Split #{split.id} of dataset #{split.dataset_id}: "
                  + ", ".join(f"{k} {v:,}" for k, v in split.counts.items()), asdict(split))
