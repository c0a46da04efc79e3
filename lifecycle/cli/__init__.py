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

from lifecycle import config
from lifecycle.cli import (admin, alerts, data, deploy, develop, govern, monitor, problem, retire, retrain, review,
                           simulate, validate)
from lifecycle.cli.context import Context
from lifecycle.errors import LifecycleError

# Each module adds the sub-commands of its stage; the order here is the order `--help` lists them.
# Domain modules that import scikit-learn, SHAP or Fairlearn are imported inside the commands,
# so `python -m lifecycle project list` stays fast.
STAGES = (admin, problem, data, develop, validate, review, deploy, simulate, monitor, alerts, retrain, govern, retire)


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
    for stage in STAGES:
        stage.add_parsers(groups, output)
    admin.add_audit_parsers(groups, output)  # the trail every stage writes, listed last
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    path = args.workspace or config.workspace_path()
    try:
        if not getattr(args, "creates", False) and not Path(path).exists():
            raise LifecycleError(f"No workspace at {path}.",
                                 "Create one with `python -m lifecycle workspace init --admin NAME`, "
                                 "or pass --workspace PATH.")
        context = Context(path=Path(path), user=args.user, as_json=args.json,
                          needs_actor=getattr(args, "needs_actor", True),
                          reclaim_on_open=getattr(args, "reclaim_on_open", True))
        result = args.handler(context, args)
    except LifecycleError as error:
        print("error: " + " ".join(str(error).splitlines()), file=sys.stderr)  # always one line
        return 2
    if args.json:
        print(json.dumps(result.data, default=str, indent=2))
    elif result.text:
        print(result.text)
    return result.exit_code
