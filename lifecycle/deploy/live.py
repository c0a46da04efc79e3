"""What the scoring service is serving right now, and its reload when the manifest changes.

A watcher thread looks at the manifest file a few times a second (one ``stat``: the manifest is
replaced by rename, so a new one has a new inode). When it changed, the new manifest is read and
every version it names is loaded through the safe loader (already loaded versions are kept) on
that thread, while requests go on being answered by the current snapshot; the new snapshot then
replaces it in one assignment, so no request is dropped. A manifest that cannot be read, names a
version whose artifact is missing (an unknown version) or changed, or holds untrusted types is
refused as a whole, with the reason logged and kept for ``/health``, and the previous snapshot
keeps serving. A manifest the workspace wrote empty (its last version retired with nothing to
replace it) stops the answers: requests get a 503 that says so.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from lifecycle.clock import utc_now
from lifecycle.deploy.batcher import Batcher
from lifecycle.deploy.fastpath import FastPath, compile_and_verify
from lifecycle.deploy.manifest import Manifest, ServedVersion, manifest_path, read_manifest
from lifecycle.deploy.rows import RowChecker
from lifecycle.deploy.scorer import LoadedVersion, load_version, score_frame
from lifecycle.errors import LifecycleError

LOGGER = logging.getLogger("lifecycle.deploy.service")


@dataclass(eq=False)
class Served:
    """One loaded version with its row checker, its batcher (one scoring thread) and, when its
    pipeline compiled and verified, its fast path (``fastpath``)."""

    loaded: LoadedVersion
    checker: RowChecker
    batcher: Batcher
    fast: FastPath | None = None

    @property
    def entry(self) -> ServedVersion:
        return self.loaded.served

    def score_rows(self, rows) -> list[tuple[Any, list[float] | None]]:
        """``predict`` for checked rows: the compiled path, or the pipeline when there is none or
        the compiled path cannot answer this batch (the pipeline then answers or raises as before)."""
        return score_checked(self.loaded, self.checker, self.fast, rows)

    def score_frame(self, frame) -> list[tuple[Any, list[float] | None]]:
        """``predict`` for a frame ``schema.check_strict`` gave (the same values as checked rows)."""
        if self.fast is not None and len(frame):
            try:
                return self.fast.score(self.fast.columns_of_frame(frame))
            except Exception as error:  # noqa: BLE001
                LOGGER.debug("The compiled path passed a batch to the pipeline: %s", error)
        return predict(self.loaded, frame)


def score_checked(loaded: LoadedVersion, checker: RowChecker, fast: FastPath | None, rows):
    if fast is not None and rows:
        try:
            return fast.score(fast.columns_of_rows(rows))
        except Exception as error:  # noqa: BLE001 - the pipeline decides (and names the problem)
            LOGGER.debug("The compiled path passed a batch to the pipeline: %s", error)
    return predict(loaded, checker.frame(rows))


def predict(loaded: LoadedVersion, frame) -> list[tuple[Any, list[float] | None]]:
    """Predictions and probabilities for a checked frame, transforming it once for both."""
    pipeline = loaded.pipeline
    final = pipeline[-1] if isinstance(pipeline, Pipeline) and len(pipeline) > 1 else None
    if final is not None and loaded.classes and hasattr(final, "predict_proba"):
        transformed = pipeline[:-1].transform(frame)
        probabilities = np.asarray(final.predict_proba(transformed), dtype=float)
        if type(final) in _argmax_classifiers():
            # predict is the most probable class for these: one pass of the model, not two. Rows
            # whose top probability is tied (rounding can tie what the raw scores tell apart) ask
            # the model's own predict, so the answer always equals pipeline.predict.
            labels = np.asarray(final.classes_, dtype=object).take(probabilities.argmax(axis=1))
            tied = np.flatnonzero((probabilities == probabilities.max(axis=1, keepdims=True)).sum(axis=1) > 1)
            if len(tied):
                subset = transformed.iloc[tied] if hasattr(transformed, "iloc") else transformed[tied]
                labels[tied] = final.predict(subset)
        else:
            labels = final.predict(transformed)
        return list(zip([_plain(p) for p in labels], probabilities.tolist()))
    scores = score_frame(loaded, frame)
    probabilities = scores.probabilities.tolist() if scores.probabilities is not None else [None] * len(frame)
    return list(zip(scores.predictions, probabilities))


@functools.cache
def _argmax_classifiers() -> tuple[type, ...]:
    """Classifiers whose ``predict`` is the class of highest ``predict_proba`` (ties aside)."""
    from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    return (HistGradientBoostingClassifier, RandomForestClassifier, ExtraTreesClassifier, DecisionTreeClassifier,
            LogisticRegression)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True, eq=False)
class Live:
    """A consistent snapshot: the manifest and the loaded versions answering by share, plus the shadow."""

    manifest: Manifest
    answering: tuple[Served, ...]
    bounds: tuple[float, ...]  # cumulative shares, the last one 1
    shadow: Served | None
    loaded_at: str = field(default_factory=lambda: utc_now().isoformat(timespec="seconds") + "Z")

    def route(self, request_id: str) -> Served:
        """The answering version for ``request_id``: the same id always goes to the same version."""
        if len(self.answering) == 1:
            return self.answering[0]
        point = int.from_bytes(hashlib.blake2b(request_id.encode(), digest_size=8).digest(), "big") / 2.0 ** 64
        for served, bound in zip(self.answering, self.bounds):
            if point < bound:
                return served
        return self.answering[-1]

    def by_version_id(self, version_id: int) -> Served | None:
        for served in self.answering + ((self.shadow,) if self.shadow else ()):
            if served.entry.version_id == version_id:
                return served
        return None


class Deployment:
    """The service's view of its deploy folder: ``live`` (None until a manifest loads) and the last refusal."""

    def __init__(self, folder: Path, *, max_batch_rows: int = 64, max_wait_s: float = 0.002,
                 poll_seconds: float = 0.25, compiled: bool = True):
        self.folder = Path(folder)
        self.compiled = compiled  # try the compiled row path for each version (else the pipeline always)
        self.max_batch_rows = max_batch_rows
        self.max_wait_s = max_wait_s
        self.poll_seconds = poll_seconds
        self.live: Live | None = None
        self.refusal: str | None = None  # why the latest manifest was refused (None once one loads)
        self._seen: tuple | None = ("never looked",)  # identity of the manifest file last looked at
        self._served: dict[tuple, Served] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Look at the manifest file; load and switch to it when it changed. True when it switched."""
        with self._lock:
            path = manifest_path(self.folder)
            try:
                stat = path.stat()
                seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            except FileNotFoundError:
                seen = None
            if seen == self._seen:
                return False
            self._seen = seen
            if seen is None:
                if self.live is None:
                    self.refusal = f"No deployment manifest at {path} yet."
                return False
            try:
                manifest = read_manifest(self.folder)
                if self.live is not None and manifest == self.live.manifest:
                    return False
                if not manifest.versions and manifest.shadow is None and self.live is not None:
                    # written empty on purpose (the version retired with nothing to replace it): stop answering
                    self.live, self._served = None, {}
                    self.refusal = (f"The deployment manifest {path} (generation {manifest.generation}) names no "
                                    "version: nothing is served.")
                    LOGGER.info(self.refusal)
                    return True
                live = self._build(manifest)
            except (LifecycleError, OSError, ValueError, TypeError, KeyError) as error:
                kept = f"; still serving {self._describe(self.live)}" if self.live else ""
                self.refusal = f"Refused the deployment manifest {path}: {error}{kept}"
                LOGGER.warning(self.refusal)
                return False
            self.live, self.refusal = live, None
            # Forget versions the new manifest no longer names (a retired one is never served from memory
            # again: naming it anew means loading its file, which retirement took away). Requests still
            # running on the previous snapshot keep their own references.
            kept = {id(s.batcher) for s in live.answering + ((live.shadow,) if live.shadow else ())}
            self._served = {key: s for key, s in self._served.items() if id(s.batcher) in kept}
            LOGGER.info("Serving %s (manifest generation %s).", self._describe(live), manifest.generation)
            return True

    def _build(self, manifest: Manifest) -> Live:
        if not manifest.versions:
            raise LifecycleError("the manifest names no answering version.",
                                 "Promote a version to production to serve it.")
        answering = tuple(self._load(manifest, entry) for entry in manifest.versions)
        shadow = self._load(manifest, manifest.shadow) if manifest.shadow is not None else None
        bounds, total = [], 0.0
        for entry in manifest.versions:
            total += entry.share
            bounds.append(total)
        bounds[-1] = 1.0
        return Live(manifest=manifest, answering=answering, bounds=tuple(bounds), shadow=shadow)

    def _load(self, manifest: Manifest, entry: ServedVersion) -> Served:
        key = (entry.version_id, entry.artifact_hash, str((self.folder / entry.artifact).resolve()),
               entry.input_schema, manifest.task)
        served = self._served.get(key)
        if served is None:
            loaded = load_version(self.folder, manifest, entry)
            checker = RowChecker(entry.input_schema)
            fast = (compile_and_verify(loaded.pipeline, entry.input_schema, checker, task=manifest.task,
                                       classes=bool(loaded.classes), label=entry.label)
                    if self.compiled else None)
            batcher = Batcher(lambda rows: score_checked(loaded, checker, fast, rows), max_rows=self.max_batch_rows,
                              max_wait_s=self.max_wait_s, name=f"score-{entry.version_id}")
            served = self._served[key] = Served(loaded=loaded, checker=checker, batcher=batcher, fast=fast)
        # the share may change without a reload; keep the entry of this manifest
        if served.loaded.served != entry:
            served = Served(loaded=LoadedVersion(served=entry, pipeline=served.loaded.pipeline, task=manifest.task,
                                                 classes=served.loaded.classes, labels=served.loaded.labels),
                            checker=served.checker, batcher=served.batcher, fast=served.fast)
        return served

    @staticmethod
    def _describe(live: Live | None) -> str:
        if live is None:
            return "nothing"
        parts = [f"{s.entry.label} at {s.entry.share:.0%}" for s in live.answering]
        if live.shadow is not None:
            parts.append(f"{live.shadow.entry.label} as shadow")
        return ", ".join(parts)

    def start_watching(self) -> None:
        """Refresh now and then every ``poll_seconds`` on a daemon thread."""
        self.refresh()
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="manifest-watch", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - the watcher must outlive any one bad manifest
                LOGGER.exception("Reading the deployment manifest failed")

    def close(self) -> None:
        self._stop.set()
        for served in self._served.values():
            served.batcher.close()
