"""CLI commands of stage 5 (Deploy): ``rollback`` and ``deployment`` (what serves a project).
Promotion itself is ``move VERSION_ID staging|production`` (the state machine's one gate)."""
from __future__ import annotations

import argparse

from lifecycle.cli.context import Context, Result
from lifecycle.problem import projects


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
