"""Exporting a model version as a self-contained serving folder (``export-bundle``).

The folder holds the skops model under ``model/``, its input schema, a deployment ``manifest.json``
(the service's own format, artifact path relative), ``serve.py`` (starts the scoring service from
the folder with plain Python), the ``lifecycle`` modules the service imports (found by reading the
code, see ``vendoring``), a ``requirements.txt`` pinned to the project's versions with only what
serving needs, a ``Dockerfile`` on a slim Python base, the model card (``MODEL_CARD.md``, made by the Govern
stage and passed in: Deploy comes before Govern in the house), and ``bundle.json`` (what was exported, with
every file's SHA-256).

The folder is written beside its destination and renamed into place, so a failed export leaves
nothing behind; an existing non-empty folder is never overwritten.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import skops.io as sio

import lifecycle
from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.dataclass_json import to_jsonable
from lifecycle.deploy import vendoring
from lifecycle.deploy.labels import class_labels
from lifecycle.deploy.manifest import Manifest, ServedVersion, write_manifest
from lifecycle.errors import InputError
from lifecycle.hashing import sha256_file
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.records import ModelState, User
from lifecycle.store import audit_log
from lifecycle.workspace import Workspace

SERVICE_MODULE = "lifecycle.deploy.service"  # what serve.py runs (``python -m lifecycle.deploy.service``)
PORT = 8080
BASE_IMAGE = "python:3.11-slim"
# Never in a bundle unless the model itself needs one (a mitigated model may need fairlearn).
NOT_FOR_SERVING = frozenset({"streamlit", "shap", "plotly", "duckdb", "fairlearn"})
ENTRY = "serve.py"


@dataclass(frozen=True, kw_only=True)
class Bundle:
    """What ``export_bundle`` wrote."""

    folder: Path
    version_id: int
    files: tuple[str, ...]  # bundle-relative paths
    modules: tuple[str, ...]  # the vendored lifecycle modules
    requirements: tuple[str, ...]  # name==version lines of requirements.txt


def export_bundle(workspace: Workspace, actor: User, version_id: int, folder: Path, *, model_card: str) -> Bundle:
    """Write the serving bundle of model version ``version_id`` into ``folder`` (created; it must not
    exist or be empty), with ``model_card`` (Markdown: ``lifecycle.govern.card.model_card(workspace,
    version_id, "md", serving_port=PORT)``) as ``MODEL_CARD.md``. Raises PermissionDenied (needs EXPORT_MODEL), NotFound, or InputError (a
    rejected version, a non-empty folder, a model file changed since registration)."""
    require(actor, Permission.EXPORT_MODEL)
    folder = Path(folder)
    version = registry.get_version(workspace, version_id)
    if version.state == ModelState.REJECTED:
        raise InputError(f"Model {version.label} was rejected; a rejected version is not exported.",
                         "Export another version.")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder} already exists and is not an empty folder.",
                         "Pick a new folder; an export never overwrites files.")
    project = projects.get_project(workspace, version.project_id)
    registry.load_pipeline(workspace, version, actor_name=actor.name)  # hash and trusted types; audited if refused
    artifact = registry.artifact_path(workspace, version)
    model_types = set(sio.get_untrusted_types(file=artifact))
    roots = [SERVICE_MODULE, *sorted({t.rpartition(".")[0] for t in model_types if t.startswith("lifecycle.")})]
    closure = vendoring.import_closure(roots)
    distributions, left_out = serving_distributions(closure, model_types)
    requirements = vendoring.pinned_requirements(distributions)

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-", suffix=".partial"))
    try:
        staging.chmod(0o755)
        relative_artifact = f"model/{artifact.name}"
        (staging / "model").mkdir()
        shutil.copyfile(artifact, staging / relative_artifact)
        (staging / "schema.json").write_text(json.dumps(to_jsonable(version.input_schema), indent=1) + "\n")
        write_manifest(staging, Manifest(
            project_id=project.id, project=project.name, task=project.task, positive_class=project.positive_class,
            versions=(ServedVersion(version_id=version.id, version=version.version, artifact=relative_artifact,
                                    artifact_hash=version.artifact_hash, input_schema=version.input_schema,
                                    share=1.0),),
            written_by=actor.name, notes=(f"exported bundle of {project.name} v{version.version}",),
            class_labels=class_labels(workspace, project)))
        for relative, source in closure.files().items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, Path):
                shutil.copyfile(source, target)
            else:
                target.write_text(source)
        (staging / "requirements.txt").write_text(
            "# What serving this model needs, pinned to the versions Lifecycle trained and validated it with.\n"
            + "\n".join(requirements) + "\n")
        (staging / ENTRY).write_text(SERVE_PY.format(service=SERVICE_MODULE, port=PORT))
        (staging / "Dockerfile").write_text(DOCKERFILE.format(base=BASE_IMAGE, port=PORT))
        (staging / ".dockerignore").write_text("logs/\n**/__pycache__/\n")
        (staging / "MODEL_CARD.md").write_text(model_card)
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        (staging / "bundle.json").write_text(json.dumps({
            "project": project.name, "project_id": project.id, "version": version.version,
            "version_id": version.id, "state": version.state, "artifact": relative_artifact,
            "artifact_hash": version.artifact_hash, "exported_at": utc_now().isoformat(timespec="seconds") + "Z",
            "exported_by": actor.name, "lifecycle": lifecycle.__version__, "entry": ENTRY,
            "modules": sorted(closure.modules), "requirements": requirements, "left_out": left_out,
            "files": {f: sha256_file(staging / f) for f in files}}, indent=1) + "\n")
        if folder.exists():
            folder.rmdir()  # empty, checked above
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor.name, action="model.bundle_exported", entity=f"model:{version.id}",
                         details={"folder": str(folder.resolve()), "artifact_hash": version.artifact_hash,
                                  "requirements": len(requirements), "project_id": project.id})
    return Bundle(folder=folder, version_id=version.id, files=tuple(files + ["bundle.json"]),
                  modules=tuple(sorted(closure.modules)), requirements=tuple(requirements))


def serving_distributions(closure: vendoring.Closure, model_types: set[str]) -> tuple[set[str], dict[str, list[str]]]:
    """The distributions serving needs: what the vendored code imports at module level, what the
    model's own types need, and scikit-learn and skops; plus what vendored functions import lazily,
    except a library of ``NOT_FOR_SERVING`` that the model does not need (such a function is training
    code, like ``fair_models.fit`` importing fairlearn), which is left out and reported (library ->
    the modules importing it). Raises InputError when code that runs at load time needs one."""
    model_modules = {t.split(".")[0] for t in model_types}
    model_needs = vendoring.distributions_of(model_modules)
    eager = vendoring.distributions_of(closure.third_party)
    banned = sorted(d for d in eager if d in NOT_FOR_SERVING and d not in model_needs)
    if banned:
        raise InputError(f"The serving code imports {', '.join(banned)} when it loads, and a bundle never "
                         "carries it.", f"Keep {SERVICE_MODULE} and what it imports free of {', '.join(banned)}.")
    lazy: set[str] = set()
    left_out: dict[str, list[str]] = {}
    for module, where in sorted(closure.lazy_third_party.items()):
        for distribution in vendoring.distributions_of({module}):
            if distribution in NOT_FOR_SERVING and distribution not in model_needs:
                left_out[distribution] = sorted(where)
            else:
                lazy.add(distribution)
    return eager | lazy | model_needs | vendoring.distributions_of({"sklearn", "skops"}), left_out


SERVE_PY = '''"""Start this bundle's scoring service: ``python serve.py [--host H] [--port N]``.

Serves the model under model/ as manifest.json describes it, with the lifecycle code vendored
beside this file (nothing else of Lifecycle is needed, and no database). Defaults: 127.0.0.1, port
{port}, prediction log under logs/ (or $LIFECYCLE_LOG_DIR). Bound to another address, the service
refuses to start without LIFECYCLE_SERVE_TOKEN, and then every route but /health needs
``Authorization: Bearer <token>``. Any other option is passed on to {service}.
"""
import os
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVICE = "{service}"


def main(argv=None):
    sys.path.insert(0, str(HERE))  # the vendored lifecycle package, whatever the working directory
    log_dir = os.environ.get("LIFECYCLE_LOG_DIR", str(HERE / "logs"))
    given = sys.argv[1:] if argv is None else list(argv)
    # Defaults first: a later --host or --port given on the command line wins.
    sys.argv = [SERVICE, "--deploy-dir", str(HERE), "--log-dir", log_dir,
                "--host", "127.0.0.1", "--port", "{port}", *given]
    runpy.run_module(SERVICE, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
'''

DOCKERFILE = '''# The scoring service of one model version, from the bundle Lifecycle exported.
FROM {base}

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    OMP_NUM_THREADS=1 \\
    LIFECYCLE_LOG_DIR=/bundle/logs

WORKDIR /bundle
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --uid 10001 --no-create-home scorer \\
    && mkdir -p /bundle/logs && chown scorer /bundle/logs
USER scorer

EXPOSE {port}
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/health', timeout=4)"]
# Bound to all interfaces the service needs a token: docker run -e LIFECYCLE_SERVE_TOKEN=...
CMD ["python", "serve.py", "--host", "0.0.0.0", "--port", "{port}"]
'''
