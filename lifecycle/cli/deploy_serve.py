"""CLI command of stage 5 (Deploy) that runs the scoring service: ``serve``.

It never opens the workspace database (the app may hold it): the project is found by the name in
the deployment manifests beside the workspace, which promotion writes.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lifecycle.cli.context import Context, Result
from lifecycle.errors import InputError


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    serve = groups.add_parser("serve", parents=[output],
                              help="stage 5: run a project's scoring service in the foreground (Ctrl+C stops it)")
    serve.add_argument("--project", required=True, help="project name (or id)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; any other needs LIFECYCLE_SERVE_TOKEN)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8765)")
    serve.set_defaults(handler=serve_command, needs_actor=False)


def serve_command(context: Context, args: argparse.Namespace) -> Result:
    """Serve the project's deployed versions over HTTP until stopped (Ctrl+C or SIGTERM), from the
    deployment manifest beside the workspace, logging predictions beside it; prints the address.
    Exit 0 after a clean stop; 2 when the project has no manifest, the port is taken, or the host is
    not loopback and LIFECYCLE_SERVE_TOKEN is unset."""
    from lifecycle.deploy import paths, process
    from lifecycle.deploy.service import PortTaken, serve

    project_id = find_project(context.path, args.project)
    port = args.port or process.DEFAULT_PORT
    try:
        serve(paths.deploy_dir(context.path, project_id), paths.log_dir(context.path, project_id), host=args.host,
              port=port, announce=lambda text: print(text, file=sys.stderr, flush=True))
    except PortTaken as error:
        raise InputError(str(error), "Stop that program or pass another --port.") from None
    except (PermissionError, ValueError) as error:
        raise InputError(str(error)) from None
    return Result("Scoring service stopped.", {"project_id": project_id, "stopped": True})


def find_project(workspace_path: Path, name: str) -> int:
    """The id of the project called ``name`` (or numbered ``name``) among the deployment manifests."""
    from lifecycle.deploy import paths

    root = paths.files_dir(workspace_path) / "deploy"
    found = {}
    for manifest in sorted(root.glob("*/manifest.json")):
        try:
            found[int(manifest.parent.name)] = json.loads(manifest.read_text()).get("project")
        except (OSError, ValueError):
            continue
    for project_id, project in found.items():
        if project == name or str(project_id) == name:
            return project_id
    known = ", ".join(sorted(str(p) for p in found.values())) or "none yet"
    raise InputError(f"No deployment manifest for project {name!r} beside {workspace_path} (deployed: {known}).",
                     "Promote a version of it to production first (the Deploy page, or "
                     "`python -m lifecycle move VERSION_ID production --reason ...`).")
