"""Bringing a model trained elsewhere into a project: skops files only, checked before anything loads.

A pickle (and joblib, which is pickle underneath) runs code while it loads: ``__reduce__`` may name
any callable, ``os.system`` included. So a file is first *sniffed by its bytes*, never by its name:

- a zip holding ``schema.json``: a skops file;
- a pickle: its opcodes parse (``pickletools.genops`` reads them without executing any) up to the
  STOP opcode, protocol 0 to 5;
- joblib's compressed pickles: the zlib, gzip, bz2, xz or lz4 header that ``joblib.dump(compress=…)``
  writes (an uncompressed joblib file is a plain pickle and is caught as one).

Anything but a skops file is refused with the file named and the fix (export with ``skops.io.dump``);
``pickle.load`` and ``joblib.load`` are never called. A skops file's types are read from its schema
(``skops.io.get_untrusted_types``, which loads nothing) and every one skops does not trust by default
must be on ``artifacts.TRUSTED_TYPES``, the allow-list kept in code; only then is it loaded, trusting
exactly those. The loaded model must score the rows of the project's split; it is registered as a
candidate version (a run of algorithm ``imported`` and status ``imported`` records where it came from)
and then walks the same gates as a trained one: validation, sign-off, promotion.
"""
from __future__ import annotations

import io
import json
import pickletools
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lifecycle import config
from lifecycle.auth import Permission, require
from lifecycle.errors import InputError
from lifecycle.hashing import sha256_file
from lifecycle.models.artifacts import TRUSTED_TYPES
from lifecycle.records import ModelVersion, User
from lifecycle.records.runs import IMPORTED_RUN
from lifecycle.workspace import Workspace

IMPORTED = IMPORTED_RUN  # the algorithm and status of an imported model's run
FIX = ("Load the model in the environment that trained it and export it with skops: "
       "`skops.io.dump(model, 'model.skops')`; then import the .skops file.")

# Headers of the compressed streams joblib.dump(compress=...) writes (joblib.compressor).
_COMPRESSED = {
    b"\x78\x01": "zlib", b"\x78\x5e": "zlib", b"\x78\x9c": "zlib", b"\x78\xda": "zlib",
    b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz", b"\x04\x22\x4d\x18": "lz4",
    b"ZF": "zlib (joblib < 0.10)",
}


class ModelFileRefused(InputError):
    """A model file that is not a skops file, or whose skops schema names a type we do not trust."""


@dataclass(frozen=True, kw_only=True)
class ModelFile:
    """What a model file is, found from its bytes without loading it.

    ``kind``: skops, pickle, joblib or unknown; ``detail`` a short description (the pickle
    protocol, the compression); ``types``: for a skops file, every type skops does not trust by
    default that its schema names."""

    path: Path
    kind: str
    detail: str = ""
    types: tuple[str, ...] = ()


def _pickle_protocol(head: bytes) -> int | None:
    """The protocol of a pickle stream (0 to 5) when ``head`` parses as pickle opcodes up to STOP, else None.
    ``pickletools.genops`` only decodes opcodes; it imports and calls nothing."""
    try:
        protocol = 0
        for opcode, argument, _ in pickletools.genops(io.BytesIO(head)):
            if opcode.name == "PROTO":
                protocol = int(argument)
            protocol = max(protocol, opcode.proto)
            if opcode.name == "STOP":
                return protocol
    except Exception:  # noqa: BLE001 - not a pickle (or one cut short, see below)
        return None
    return None


def sniff(path: Path) -> ModelFile:
    """What ``path`` holds, from its bytes (never its name), loading nothing. Raises InputError for a
    file that is missing or empty."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"No model file at {path}.", "Give the path of a .skops file.")
    with path.open("rb") as handle:
        head = handle.read(16)
    if not head:
        raise InputError(f"The model file {path.name} is empty.", FIX)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
        if "schema.json" in names:
            return ModelFile(path=path, kind="skops")
        inner = next((n for n in sorted(names) if n.endswith((".pkl", ".pickle", "data.pkl"))), None)
        detail = f"a zip archive holding the pickle {inner}" if inner else "a zip archive without a skops schema"
        return ModelFile(path=path, kind="pickle" if inner else "unknown", detail=detail)
    for magic, name in _COMPRESSED.items():
        if head.startswith(magic):
            return ModelFile(path=path, kind="joblib", detail=f"a {name}-compressed pickle, as joblib.dump writes")
    if head[:1] == b"\x80" and 2 <= head[1] <= 5:
        return ModelFile(path=path, kind="pickle", detail=f"pickle protocol {head[1]}")
    if path.stat().st_size <= 1024 * 1024:
        protocol = _pickle_protocol(path.read_bytes())
        if protocol is not None:
            return ModelFile(path=path, kind="pickle", detail=f"pickle protocol {protocol}")
    return ModelFile(path=path, kind="unknown", detail="not a skops file")


def check_model_file(path: Path) -> ModelFile:
    """Sniff ``path`` and accept only a skops file whose every untrusted type is on ``TRUSTED_TYPES``.

    Nothing is loaded: a pickle or joblib file is refused from its bytes, a skops file from the types its
    schema names. Returns the ModelFile (with ``types``); raises ModelFileRefused naming the file, what it
    is and the fix."""
    import skops.io as sio

    found = sniff(path)
    if found.kind in ("pickle", "joblib"):
        raise ModelFileRefused(f"{found.path.name} is a {found.kind} file ({found.detail}). Loading a "
                               f"{found.kind} file runs whatever code it names, so Lifecycle never loads one.", FIX)
    if found.kind != "skops":
        raise ModelFileRefused(f"{found.path.name} is not a skops model file ({found.detail}).", FIX)
    try:
        untrusted = tuple(sorted(sio.get_untrusted_types(file=found.path)))
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, zipfile.BadZipFile) as error:
        raise ModelFileRefused(f"{found.path.name} has a skops schema that cannot be read: {error}.", FIX) from None
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise ModelFileRefused(
            f"{found.path.name} needs types Lifecycle does not trust: {', '.join(refused)}. Nothing was loaded.",
            "Import only scikit-learn pipelines built from scikit-learn, numpy and Lifecycle's own transformers "
            "(" + FIX + ")")
    return ModelFile(path=found.path, kind="skops", types=untrusted)


def _default_split(workspace: Workspace, project_id: int) -> tuple[int, int]:
    from lifecycle.data import datasets, preparation

    for dataset in reversed(datasets.list_datasets(workspace, project_id)):
        if dataset.auxiliary or dataset.lineage.recipe_id is None:
            continue
        splits = preparation.splits_for(workspace, dataset.id)
        if splits:
            return dataset.id, splits[-1].id
    raise InputError("The project has no split dataset version to check an imported model on.",
                     "In the Data stage freeze a dataset version with a recipe and split it; the model must score "
                     "its columns.")


def import_model(workspace: Workspace, actor: User, project_id: int, path: Path, *, name: str | None = None,
                 dataset_id: int | None = None, split_id: int | None = None) -> ModelVersion:
    """Register the skops model in ``path`` as a candidate version of the project.

    ``check_model_file`` first (pickle and joblib refused from their bytes; every untrusted type on the
    allow-list), then the file is loaded trusting exactly those types, and must score a few training rows
    of ``dataset_id``/``split_id`` (default: the latest split of the project's latest frozen version); its
    input schema is that version's recipe inputs. One transaction writes the run (algorithm and status
    ``imported``: file name, ``name``, SHA-256, types), the version and the audit event ``model.imported``.
    Raises PermissionDenied (needs TRAIN), ModelFileRefused and InputError (too large, not a fitted model,
    cannot score the rows)."""
    import skops.io as sio

    from lifecycle.develop import training
    from lifecycle.models import registry
    from lifecycle.store import audit_log
    from lifecycle.store import runs as run_store

    require(actor, Permission.TRAIN)
    path = Path(path)
    limit = config.limits().max_upload_bytes
    if path.is_file() and path.stat().st_size > limit:
        raise InputError(f"{path.name} is {path.stat().st_size:,} bytes, more than the upload limit of {limit:,}.",
                         "Ask the admin to raise LIFECYCLE_MAX_UPLOAD_MB.")
    checked = check_model_file(path)
    if dataset_id is None:
        dataset_id, default_split = _default_split(workspace, project_id)
        split_id = split_id if split_id is not None else default_split
    elif split_id is None:
        from lifecycle.data import preparation
        splits = preparation.splits_for(workspace, dataset_id)
        if not splits:
            raise InputError(f"Dataset #{dataset_id} has no split.", "Split it in the Data stage, or pass a split.")
        split_id = splits[-1].id
    data = training.training_frames(workspace, project_id, dataset_id, split_id)
    try:
        model = sio.load(checked.path, trusted=list(checked.types))
    except Exception as error:  # noqa: BLE001 - skops' own refusal of a malformed file teaches nothing raw
        raise ModelFileRefused(f"{path.name} could not be loaded by skops: {type(error).__name__}: {error}.",
                               FIX) from None
    if not callable(getattr(model, "predict", None)):
        raise InputError(f"{path.name} holds a {type(model).__name__}, not a fitted model with predict().",
                         "Export the fitted scikit-learn pipeline (preprocessing and estimator) with skops.io.dump.")
    sample = data.X_train.head(5)
    try:
        predicted = model.predict(sample)
        if len(predicted) != len(sample):
            raise ValueError(f"{len(predicted)} predictions for {len(sample)} rows")
    except Exception as error:  # noqa: BLE001 - any failure here means the model does not fit the project
        raise InputError(f"The model in {path.name} cannot score the rows of {data.dataset.label}: "
                         f"{type(error).__name__}: {error}",
                         f"Export a pipeline that takes the raw columns {', '.join(data.feature_columns)} "
                         "(preprocessing included).") from None
    digest = sha256_file(checked.path)
    params = {"imported_from": path.name, "name": name or path.stem, "file_sha256": digest,
              "trusted_types": list(checked.types)}
    with workspace.db.transaction() as cursor:
        run = run_store.insert_run(
            cursor, project_id=project_id, dataset_id=data.dataset.id, split_id=data.split.id,
            recipe_id=data.recipe_id, algorithm=IMPORTED, params=params, seed=0, cv_folds=0,
            n_samples=len(data.y_train), primary_metric="", library_versions=training.library_versions(),
            status=IMPORTED, error=None, cv_metrics={}, primary_score=None, fit_seconds=None, score_seconds=None,
            search_id=None, halving_round=None, created_by=actor.name)
        version = registry.register_pipeline(workspace, actor, project_id=project_id, run_id=run.id, pipeline=model,
                                             schema=registry.input_schema(data.recipe, data.X_train),
                                             trained_by=actor.name)
        audit_log.append(cursor, actor=actor.name, action="model.imported", entity=f"model:{version.id}",
                         details={"file": path.name, "file_sha256": digest, "artifact_hash": version.artifact_hash,
                                  "run_id": run.id, "name": params["name"], "trusted_types": list(checked.types)})
    return version


def import_bytes(workspace: Workspace, actor: User, project_id: int, data: bytes, filename: str, *,
                 name: str | None = None) -> ModelVersion:
    """``import_model`` for an uploaded file given as bytes (the Develop page's upload); ``filename``
    names it in messages. The bytes are written to a private temporary folder, checked, and removed."""
    import tempfile

    from lifecycle import names

    require(actor, Permission.TRAIN)
    limit = config.limits().max_upload_bytes
    if len(data) > limit:
        raise InputError(f"{filename} is {len(data):,} bytes, more than the upload limit of {limit:,}.",
                         "Ask the admin to raise LIFECYCLE_MAX_UPLOAD_MB.")
    with tempfile.TemporaryDirectory(prefix="lifecycle-import-") as folder:
        path = Path(folder) / (names.clean(Path(filename).name) or "model")
        path.write_bytes(data)
        return import_model(workspace, actor, project_id, path, name=name)
