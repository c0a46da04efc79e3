"""CLI commands of stage 5 (Deploy): ``rollback``, ``deployment`` (what serves a project),
``serve`` (the scoring service), ``score`` (batch scoring) and ``export-bundle``. Promotion itself
is ``move VERSION_ID staging|production`` (the state machine's one gate).

``serve`` never opens the workspace database (the app may hold it): the project is found by its
name in the deployment manifests beside the workspace, which promotion writes.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from lifecycle.cli.context import Context, Result
from lifecycle.errors import InputError
from lifecycle.problem import projects

LISTED = 20  # refused values `score` prints; every one is in the output file and in --json


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    rollback = groups.add_parser("rollback", parents=[output],
                                 help="stage 5: restore the previous production version of a project")
    rollback.add_argument("--project", required=True)
    rollback.add_argument("--reason", required=True)
    rollback.set_defaults(handler=rollback_command)

    deployment = groups.add_parser("deployment", parents=[output],
                                   help="what serves a project now: versions, shares, shadow, manifest")
    deployment.add_argument("--project", required=True)
    deployment.set_defaults(handler=deployment_command, needs_actor=False)
    _add_serving(groups, output)
    _add_files(groups, output)


def rollback_command(context: Context, args: argparse.Namespace) -> Result:
    """Restore the project's previous production version (the current one goes back to staging),
    with the reason on the audit trail, and rewrite the manifest the service reloads; prints
    "Model version ID (vN) is back in production." Exit 0; 1 when the production gate refuses (the
    version is not approved); 2 when there is nothing to roll back to, no reason, or the role may not."""
    from lifecycle.deploy import promotion
    from lifecycle.errors import GateRefused

    project = projects.find_project(context.workspace, args.project)
    try:
        version = promotion.rollback(context.workspace, context.actor, project.id, args.reason)
    except GateRefused as refused:
        return Result(f"refused: {refused}", {"project": project.name, "refused": str(refused)}, exit_code=1)
    return Result(f"Model version {version.id} (v{version.version}) is back in production.",
                  {"project": project.name, "version_id": version.id, "state": version.state})


def deployment_command(context: Context, args: argparse.Namespace) -> Result:
    """Print what serves the project: each answering version with its traffic share, the shadow,
    and the manifest's generation. Exit 0; 2 for an unknown project."""
    from lifecycle.deploy import promotion

    project = projects.find_project(context.workspace, args.project)
    manifest = promotion.manifest_for(context.workspace, project.id)
    if manifest is None or not manifest.versions:
        return Result(f"Nothing of {project.name} is in production.", {"project": project.name, "versions": []})
    lines = [f"{project.name}: manifest generation {manifest.generation}, written {manifest.written_at} "
             f"by {manifest.written_by}"]
    lines += [f"  {v.label}: {v.share:.0%} of traffic" for v in manifest.versions]
    if manifest.shadow is not None:
        lines.append(f"  {manifest.shadow.label}: shadow (scores every request, answers none)")
    return Result("\n".join(lines), {"project": project.name, "generation": manifest.generation,
                                     "versions": [{"version_id": v.version_id, "version": v.version,
                                                   "share": v.share} for v in manifest.versions],
                                     "shadow": manifest.shadow.version_id if manifest.shadow else None})


def _add_serving(groups, output: argparse.ArgumentParser) -> None:
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


def _add_files(groups, output: argparse.ArgumentParser) -> None:
    score = groups.add_parser("score", parents=[output],
                              help="stage 5: score a CSV or Parquet file with a model version")
    score.add_argument("file", type=Path, help="CSV/TSV (optionally .gz) or Parquet")
    score.add_argument("--version", dest="version_id", type=int, required=True, help="model version id")
    score.add_argument("--out", type=Path, default=None,
                       help="write every row with its prediction; .csv or .parquet picks the format")
    score.add_argument("--encoding", default="utf-8", help="a text file's encoding (utf-8, latin-1, cp1252, utf-16)")
    score.set_defaults(handler=score_command)

    export = groups.add_parser("export-bundle", parents=[output],
                               help="write a self-contained serving folder (model, service, Dockerfile, card)")
    export.add_argument("version_id", type=int)
    export.add_argument("folder", type=Path, help="a new (or empty) folder")
    export.set_defaults(handler=export_bundle_command)


def score_command(context: Context, args: argparse.Namespace) -> Result:
    """Score FILE with model version --version: every row is checked against the version's input schema;
    rows that do not fit are not scored and are listed by row (0 = the first data row) and column. Prints
    the summary (rows scored and refused, the prediction distribution) and the first refused values; with
    --out writes every row with its prediction, class probabilities and the reason a row was not scored
    (CSV with formula-like cells neutralised, or Parquet). Exit 0 when the file was scored (refused rows
    included), 2 on bad input (unreadable file, a missing column, an unknown version or output format) or a
    refused permission."""
    from lifecycle.deploy import batch

    if args.out is not None:
        batch.output_format(args.out)  # before any work: a wrong extension is bad input
    result = batch.score_path(context.workspace, context.actor, args.version_id, args.file,
                               encoding=args.encoding)
    lines = result.summary.lines()
    if result.problems:
        lines.append(f"Not scored ({result.summary.refused:,} rows, {result.summary.problems:,} values):")
        lines += [f"  {problem}" for problem in result.problems[:LISTED]]
        if result.summary.problems > LISTED:
            lines.append(f"  … and {result.summary.problems - LISTED:,} more"
                         + ("" if args.out else " (pass --out to keep every row and its reason)"))
    if args.out is not None:
        fmt = result.write(args.out)
        lines.append(f"Wrote {len(result.frame):,} rows to {args.out} ({fmt}).")
    return Result("\n".join(lines), {"summary": result.summary.to_dict(),
                                     "problems": [asdict(p) for p in result.problems],
                                     "out": None if args.out is None else str(args.out)})


def export_bundle_command(context: Context, args: argparse.Namespace) -> Result:
    """Write the serving bundle of a model version into FOLDER (new or empty): the skops model, its schema,
    manifest.json, serve.py, the vendored service code, requirements.txt, a Dockerfile and MODEL_CARD.md.
    Prints what was written and how to start it. Exit 0; 2 on a refused permission, an unknown or rejected
    version, or a folder that is not empty."""
    from lifecycle.deploy import bundle
    from lifecycle.govern.card import model_card

    card = model_card(context.workspace, args.version_id, "md", serving_port=bundle.PORT,
                      generated_by=context.actor.name)  # the one card (Govern's), with the bundle's commands
    written = bundle.export_bundle(context.workspace, context.actor, args.version_id, args.folder, model_card=card)
    text = (f"Wrote the bundle of model version {written.version_id} to {written.folder}: {len(written.files)} files, "
            f"{len(written.modules)} vendored modules, {len(written.requirements)} pinned requirements.\n"
            f"Start it: cd {written.folder} && python serve.py   (or docker build; see MODEL_CARD.md)")
    return Result(text, {"folder": str(written.folder), "version_id": written.version_id,
                         "files": list(written.files), "modules": list(written.modules),
                         "requirements": list(written.requirements)})
