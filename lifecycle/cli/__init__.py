"""``python -m lifecycle``: the app's operations, headless, for CI/CD pipelines.

Global options come before the command. Exit codes: 0 success, 1 a check failed (audit
verify, or validate with a failing blocking objective), 2 bad input or a refused permission
(one line on stderr, nothing written).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lifecycle import auth, config
from lifecycle.cli import commands, explain_commands, fairness_commands, mitigation_commands, model_commands
from lifecycle.errors import LifecycleError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lifecycle", description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=None,
                        help="workspace file (default: $LIFECYCLE_WORKSPACE or data/workspace.duckdb)")
    parser.add_argument("--user", default=os.environ.get("LIFECYCLE_USER"),
                        help="who acts, for the audit trail and role checks (default: $LIFECYCLE_USER)")
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    # --json is also accepted after the command (`data ingest FILE --json`); SUPPRESS keeps a
    # command without it from resetting a --json given before the command.
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine-readable output on stdout")
    groups = parser.add_subparsers(dest="group", required=True)

    workspace = groups.add_parser("workspace", help="create a workspace").add_subparsers(dest="action", required=True)
    init = workspace.add_parser("init", parents=[output], help="create the workspace file and its first admin")
    init.add_argument("--admin", required=True)
    init.add_argument("--password", default=None)
    init.set_defaults(handler=commands.workspace_init, needs_actor=False, creates=True)

    user = groups.add_parser("user", help="users and roles").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", parents=[output], help="add a user (admins only)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=auth.ROLES)
    add.add_argument("--password", default=None)
    add.set_defaults(handler=commands.user_add)
    user.add_parser("list", parents=[output], help="list users").set_defaults(handler=commands.user_list)

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
    create.set_defaults(handler=commands.project_create)
    show = project.add_parser("show", parents=[output], help="a project, its objectives and datasets")
    show.add_argument("name")
    show.set_defaults(handler=commands.project_show)
    project.add_parser("list", parents=[output], help="every project").set_defaults(handler=commands.project_list)
    feasibility = project.add_parser("feasibility", parents=[output], help="volume, balance, baseline and a quick model")
    feasibility.add_argument("name")
    feasibility.add_argument("--dataset", type=int, default=None)
    feasibility.set_defaults(handler=commands.project_feasibility)

    data = groups.add_parser("data", help="stage 2: datasets").add_subparsers(dest="action", required=True)
    ingest = data.add_parser("ingest", parents=[output], help="ingest a CSV/TSV/Parquet file (optionally .gz)")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--project", required=True)
    ingest.add_argument("--name", default=None)
    ingest.add_argument("--auxiliary", action="store_true",
                        help="a table without the target, to join in SQL")
    ingest.add_argument("--encoding", default="utf-8")
    ingest.set_defaults(handler=commands.data_ingest)
    listing = data.add_parser("list", parents=[output], help="dataset versions of a project")
    listing.add_argument("--project", required=True)
    listing.set_defaults(handler=commands.data_list)
    profile = data.add_parser("profile", parents=[output], help="profile a dataset version")
    profile.add_argument("dataset_id", type=int)
    profile.set_defaults(handler=commands.data_profile)
    query = data.add_parser("query", parents=[output], help="read-only SQL over the project's datasets")
    query.add_argument("--project", required=True)
    query.add_argument("sql")
    query.add_argument("--freeze", metavar="NAME", default=None, help="store the result as a dataset")
    query.set_defaults(handler=commands.data_query)

    model_commands.add_parsers(groups, output)
    explain_commands.add_parsers(groups, output)
    fairness_commands.add_parsers(groups, output)
    mitigation_commands.add_parsers(groups, output)

    freeze = data.add_parser("freeze", parents=[output],
                             help="freeze a prepared version with a recipe (default: a new suggested recipe)")
    freeze.add_argument("dataset_id", type=int)
    freeze.add_argument("--recipe", type=int, default=None, help="a saved recipe id")
    freeze.set_defaults(handler=commands.data_freeze)
    split = data.add_parser("split", parents=[output], help="split a dataset version, reproducibly")
    split.add_argument("dataset_id", type=int)
    split.add_argument("--method", default="stratified", choices=["random", "stratified", "group", "time"])
    split.add_argument("--seed", type=int, default=42)
    split.add_argument("--test-size", type=float, default=0.2)
    split.add_argument("--validation-size", type=float, default=0.0)
    split.add_argument("--column", default=None, help="group or time column")
    split.set_defaults(handler=commands.data_split)

    audit = groups.add_parser("audit", help="the audit trail").add_subparsers(dest="action", required=True)
    audit.add_parser("verify", parents=[output], help="check the hash chain").set_defaults(handler=commands.audit_verify,
                                                                       needs_actor=False)
    log = audit.add_parser("log", parents=[output], help="recent events")
    log.add_argument("--limit", type=int, default=50)
    log.set_defaults(handler=commands.audit_log, needs_actor=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    path = args.workspace or config.workspace_path()
    try:
        if not getattr(args, "creates", False) and not Path(path).exists():
            raise LifecycleError(f"No workspace at {path}.",
                                 "Create one with `python -m lifecycle workspace init --admin NAME`, "
                                 "or pass --workspace PATH.")
        context = commands.Context(path=Path(path), user=args.user, as_json=args.json,
                                   needs_actor=getattr(args, "needs_actor", True))
        result = args.handler(context, args)
    except LifecycleError as error:
        print("error: " + " ".join(str(error).splitlines()), file=sys.stderr)  # always one line
        return 2
    if args.json:
        print(json.dumps(result.data, default=str, indent=2))
    elif result.text:
        print(result.text)
    return result.exit_code
