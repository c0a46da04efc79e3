"""CLI commands of stages 3 and 4: train, runs list, register, validate, approve, move."""
from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from lifecycle.data import preparation
from lifecycle.problem import projects
from lifecycle.cli.commands import Context, Result
from lifecycle.errors import InputError


def _run_json(run) -> dict[str, Any]:
    data = asdict(run)
    data["metrics"] = {name: values["mean"] for name, values in run.cv_metrics.items()}
    return data


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

    validate = groups.add_parser("validate", parents=[output],
                                 help="stage 4: judge a model version; exit 0 when every blocking objective passes")
    validate.add_argument("version_id", type=int)
    validate.add_argument("--seed", type=int, default=0)
    validate.add_argument("--bootstrap", type=int, default=200)
    validate.add_argument("--cost-fn", type=float, default=None, help="binary: cost of a missed positive")
    validate.add_argument("--cost-fp", type=float, default=None, help="binary: cost of a false alarm")
    validate.set_defaults(handler=validate_command)

    approve = groups.add_parser("approve", parents=[output],
                                help="approve a validated version (a reviewer who did not train it)")
    approve.add_argument("version_id", type=int)
    approve.add_argument("--reason", default="approved from the command line")
    approve.set_defaults(handler=approve_command)

    move = groups.add_parser("move", parents=[output], help="move a model version to another state")
    move.add_argument("version_id", type=int)
    move.add_argument("state")
    move.add_argument("--reason", required=True)
    move.set_defaults(handler=move_command)


def train_command(context: Context, args: argparse.Namespace) -> Result:
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
    from lifecycle.develop import runs

    project = projects.find_project(context.workspace, args.project)
    board = runs.leaderboard(context.workspace, project.id, metric=args.metric, limit=args.limit)
    lines = [f"{rank}\t#{r.id}\t{r.algorithm}\t{board.metric}={r.metric(board.metric):.4f}\t{r.params}"
             for rank, r in zip(board.ranks, board.runs)]
    return Result("\n".join(lines) or "No runs yet.",
                  {"metric": board.metric, "total": board.total, "runs": [_run_json(r) for r in board.runs]})


def register_command(context: Context, args: argparse.Namespace) -> Result:
    from lifecycle.models import registry

    version = registry.register_run(context.workspace, context.actor, args.run_id)
    return Result(f"Registered run #{args.run_id} as model version {version.id} ({version.label}).",
                  {"version_id": version.id, "version": version.version, "state": version.state,
                   "artifact_hash": version.artifact_hash})


def validate_command(context: Context, args: argparse.Namespace) -> Result:
    from lifecycle.validate import stage as validate_stage

    outcome = validate_stage.validate_version(context.workspace, context.actor, args.version_id, seed=args.seed,
                                              n_bootstrap=args.bootstrap, cost_fn=args.cost_fn, cost_fp=args.cost_fp)
    report = outcome.report
    lines = [f"Model {outcome.version.label}: {'PASS' if report.passed else 'FAIL'} (report #{outcome.stored.id})"]
    for verdict in report.verdicts:
        interval = "" if verdict.low is None else f" [{verdict.low:.4f}, {verdict.high:.4f}]"
        value = "—" if verdict.value is None else f"{verdict.value:.4f}"
        lines.append(f"  {verdict.status:<10} {verdict.objective}{'' if verdict.blocking else ' (advisory)'}: "
                     f"{value}{interval}")
    return Result("\n".join(lines), {"version_id": outcome.version.id, "state": outcome.version.state,
                                     "passed": report.passed, "report_id": outcome.stored.id,
                                     "report": report.to_dict()},
                  exit_code=0 if report.passed else 1)


def approve_command(context: Context, args: argparse.Namespace) -> Result:
    return _move(context, args.version_id, "approved", args.reason)


def move_command(context: Context, args: argparse.Namespace) -> Result:
    return _move(context, args.version_id, args.state, args.reason)


def _move(context: Context, version_id: int, state: str, reason: str) -> Result:
    from lifecycle.models import states as model_states

    version = model_states.transition(context.workspace, context.actor, version_id, state, reason)
    return Result(f"Model version {version.id} is now {version.state}.",
                  {"version_id": version.id, "state": version.state})
