"""The deployment manifest: which model versions a project's scoring service answers with, their
traffic shares, and a shadow that scores without answering.

The Deploy stage writes it (atomically: a temporary file renamed over the old one, so a reader
never sees half a manifest); the scoring service reads it and reloads it when it changes. It is
plain JSON beside the artifacts, so the service never opens the workspace database. Artifact
paths are relative to the manifest's folder, so the same format serves an exported bundle.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecycle.clock import utc_now
from lifecycle.dataclass_json import from_jsonable, to_jsonable
from lifecycle.errors import InputError
from lifecycle.records import InputColumn

FORMAT = 1
FILE_NAME = "manifest.json"


@dataclass(frozen=True, kw_only=True)
class ServedVersion:
    """One model version the service loads."""

    version_id: int
    version: int  # the project's version number (v3)
    artifact: str  # path of the skops file, relative to the manifest's folder
    artifact_hash: str  # SHA-256 the loader checks before loading
    input_schema: tuple[InputColumn, ...]
    share: float = 0.0  # share of traffic it answers, in [0, 1]; 0 for the shadow

    @property
    def label(self) -> str:
        return f"v{self.version} (#{self.version_id})"


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """What the service serves for one project. Shares of ``versions`` sum to 1."""

    project_id: int
    project: str
    task: str  # binary, multiclass or regression
    positive_class: str | None = None
    versions: tuple[ServedVersion, ...] = ()
    shadow: ServedVersion | None = None
    generation: int = 1  # raised at every write, so a reader can tell a new manifest from an old one
    written_at: str = ""
    written_by: str = ""
    format: int = FORMAT
    notes: tuple[str, ...] = field(default=())
    # What a binary model's class codes mean: training encodes the positive class as 1, the other as 0;
    # answers name classes by these labels ({"0": "<=50K", "1": ">50K"}). Empty: the classes are labels.
    class_labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.versions and abs(sum(v.share for v in self.versions) - 1.0) > 1e-9:
            raise InputError(f"The traffic shares of {self.project!r} add up to "
                             f"{sum(v.share for v in self.versions):.3f}, not 1.",
                             "Give each answering version a share so that they add up to 1.")
        if any(v.share < 0 for v in self.versions):
            raise InputError("A traffic share is negative.", "Use shares between 0 and 1.")

    @property
    def production(self) -> ServedVersion | None:
        """The version with the largest share (the champion)."""
        return max(self.versions, key=lambda v: v.share, default=None)

    def all_versions(self) -> tuple[ServedVersion, ...]:
        return self.versions + ((self.shadow,) if self.shadow is not None else ())


def manifest_path(folder: Path) -> Path:
    return Path(folder) / FILE_NAME


def write_manifest(folder: Path, manifest: Manifest) -> Manifest:
    """Write ``manifest`` into ``folder`` atomically (write a temporary file, fsync, rename), with the
    next generation number and the time. Returns what was written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(folder) if manifest_path(folder).exists() else None
    stamped = Manifest(**{**_fields(manifest), "generation": (previous.generation + 1) if previous else 1,
                          "written_at": utc_now().isoformat(timespec="seconds") + "Z"})
    text = json.dumps(to_jsonable(stamped), indent=1, allow_nan=False)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".manifest-", suffix=".partial")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, manifest_path(folder))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return stamped


def read_manifest(folder: Path) -> Manifest:
    """The manifest in ``folder``. Raises InputError naming the file when it is missing or not a
    manifest (the service then keeps serving what it had)."""
    path = manifest_path(folder)
    try:
        data: Any = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"No deployment manifest at {path}.",
                         "Promote a version to production on the Deploy page (or `move ID production`).") from None
    except (OSError, ValueError) as error:
        raise InputError(f"The deployment manifest {path} cannot be read: {error}.",
                         "Promote the version again to rewrite it.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path} is not a deployment manifest of format {FORMAT}.",
                         "Promote the version again to rewrite it.")
    return from_jsonable(Manifest, data)


def _fields(manifest: Manifest) -> dict[str, Any]:
    return {name: getattr(manifest, name) for name in manifest.__dataclass_fields__}
