"""CLI commands of stage 3 (Develop): ``train``, ``runs list``, ``register`` and ``model import``."""
from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lifecycle.cli.context import Context, Result
from lifecycle.errors import InputError
from lifecycle.problem import projects


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    train = groups.add_parser("train", parents=[output], help="stage 3: train and tune; every trial is a run")
    train.add_argument("--project", required=True)
    train.add_argument("--dataset", type=int, required=True, help="a frozen dataset version id")
    train.add_argument("--split", type=int, default=None, help="default: the dataset version's latest split")
    train.add_argument("--algorithm", required=True)
    train.add_argument("--search", default="none", choices=["none", "grid", "random", "halving"])
    train.add_argument("--trials", type=int, default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--folds", type=int, default=5)
    train.add_argument("--space", default=None, help="search space as JSON (default: the catalogue's)")
    train.set_defaults(handler=train_command)

    runs = groups.add_parser("runs", help="runs on record").add_subparsers(dest="action", required=True)
    listing = runs.add_parser("list", parents=[output], help="the leaderboard of a project")
    listing.add_argument("--project", required=True)
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--metric", default=None)
    listing.set_defaults(handler=runs_list, needs_actor=False)

    register = groups.add_parser("register", parents=[output], help="register a run as a model version")
    register.add_argument("run_id", type=int)
    register.set_defaults(handler=register_command)

    model = groups.add_parser("model", help="models trained elsewhere").add_subparsers(dest="action", required=True)
    imported = model.add_parser("import", parents=[output], help="register a skops model file as a candidate "
                                                                "(pickle and joblib files are refused)")
    imported.add_argument("file", type=Path)
    imported.add_argument("--project", required=True)
    imported.add_argument("--name", default=None, help="what to call it (default: the file's name)")
    imported.add_argument("--dataset", type=int, default=None,
                          help="the frozen dataset version it must score (default: the latest with a split)")
    imported.add_argument("--split", type=int, default=None, help="default: the dataset version's latest split")
    imported.set_defaults(handler=model_import)


def _run_json(run) -> dict[str, Any]:
    data = asdict(run)
    data["metrics"] = {name: values["mean"] for name, values in run.cv_metrics.items()}
    return data


def train_command(context: Context, args: argparse.Namespace) -> Result:
    """Train and tune an algorithm on a frozen dataset version's split; prints one line per run
    ("#ID<tab>STATUS<tab>METRIC=SCORE<tab>PARAMS") and "best run: ID". Exit 0 when a run finished,
    2 when none did (or on bad input: no split, an unknown algorithm, a refused permission)."""
    from lifecycle.data import preparation
    from lifecycle.develop import search

    project = projects.find_project(context.workspace, args.project)
    split_id = args.split
    if split_id is None:
        splits = preparation.splits_for(context.workspace, args.dataset)
        if not splits:
            raise InputError(f"Dataset #{args.dataset} has no split.",
                             f"Create one in the Data stage, or pass --split ID.")
        split_id = splits[-1].id
    result = search.run_search(context.workspace, context.actor, project_id=project.id, dataset_id=args.dataset,
                               split_id=split_id, algorithm=args.algorithm, method=args.search, trials=args.trials,
                               seed=args.seed, space=args.space, cv_folds=args.folds)
    lines = [f"#{r.id}\t{r.status}\t{r.primary_metric}={r.primary_score if r.primary_score is not None else '—'}\t"
             f"{r.params}" + (f"\t{r.error}" if r.error else "") for r in result.runs]
    lines.append(f"best run: {result.best_run_id}" + (" (search cancelled)" if result.cancelled else ""))
    return Result("\n".join(lines), {"search_id": result.search_id, "best_run_id": result.best_run_id,
                                     "cancelled": result.cancelled, "runs": [_run_json(r) for r in result.runs]},
                  exit_code=0 if result.best_run_id is not None else 2)


def runs_list(context: Context, args: argparse.Namespace) -> Result:
    """Print a project's leaderboard, best first: "RANK<tab>#ID<tab>ALGORITHM<tab>METRIC=SCORE<tab>PARAMS",
    or "No runs yet." Exit 0; 2 when no project has that name."""
    from lifecycle.develop import runs

    project = projects.find_project(context.workspace, args.project)
    board = runs.leaderboard(context.workspace, project.id, metric=args.metric, limit=args.limit)
    lines = [f"{rank}\t#{r.id}\t{r.algorithm}\t{board.metric}={r.metric(board.metric):.4f}\t{r.params}"
             for rank, r in zip(board.ranks, board.runs)]
    return Result("\n".join(lines) or "No runs yet.",
                  {"metric": board.metric, "total": board.total, "runs": [_run_json(r) for r in board.runs]})


def register_command(context: Context, args: argparse.Namespace) -> Result:
    """Register a finished run as a model version; prints "Registered run #ID as model version ID (LABEL)."
    Exit 0; 2 on a refused permission or a run that cannot be registered."""
    from lifecycle.models import registry

    version = registry.register_run(context.workspace, context.actor, args.run_id)
    return Result(f"Registered run #{args.run_id} as model version {version.id} ({version.label}).",
                  {"version_id": version.id, "version": version.version, "state": version.state,
                   "artifact_hash": version.artifact_hash})


def model_import(context: Context, args: argparse.Namespace) -> Result:
    """Register a model trained elsewhere from a skops file as a candidate version: the file is sniffed by
    its bytes (pickle and joblib refused, never loaded) and every type its schema names must be on the
    allow-list; prints "Imported FILE as model LABEL (candidate)." Exit 0; 2 for a refused file, a model
    that cannot score the project's rows, or a refused permission."""
    from lifecycle.models import imports

    project = projects.find_project(context.workspace, args.project)
    version = imports.import_model(context.workspace, context.actor, project.id, args.file, name=args.name,
                                   dataset_id=args.dataset, split_id=args.split)
    return Result(f"Imported {args.file.name} as model {version.label} ({version.state}).",
                  {"id": version.id, "label": version.label, "state": str(version.state),
                   "artifact_hash": version.artifact_hash})
