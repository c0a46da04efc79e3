"""Background jobs for long work (a search, a retrain): one daemon thread each, process-wide.

A page starts a job and polls it (``st.fragment(run_every=1)``) while staying usable; the job
writes its records through its own thread's cursor. A job's function is called with the
caller's keyword arguments plus ``progress`` and ``cancel``::

    job = jobs.start("search hist_gradient_boosting", search.run_search, project_id=3,
                     workspace=ws, actor=user, dataset_id=7, split_id=2, algorithm="knn")
    jobs.get(job.id).state.done   # trials finished so far
    job.cancel.set()              # stop after the current trial

``progress(done, total, item=None)`` records how far it got; an ``item`` with an ``id`` (a
run) becomes ``last_run_id``. The function's return value is kept as ``result``; an exception
is kept as ``error`` (its text, as a page shows it).
"""
from __future__ import annotations

import itertools
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from lifecycle.workspace import Workspace

KEEP_FINISHED = 50
STATUSES = ("running", "finished", "failed", "cancelled")


@dataclass(frozen=True, kw_only=True)
class JobState:
    """What a page shows: a snapshot, safe to read from any thread."""

    status: str = "running"
    done: int = 0
    total: int | None = None
    message: str = "Starting"
    last_run_id: int | None = None
    error: str | None = None
    started_at: float = 0.0
    finished_at: float | None = None

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    @property
    def running(self) -> bool:
        return self.status == "running"


@dataclass(eq=False)
class Job:
    id: int
    name: str
    project_id: int | None
    workspace_path: str | None  # jobs are filed by workspace and project: one process may serve several workspaces
    cancel: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error_detail: str | None = None  # the traceback of an unexpected failure, for the logs
    _state: JobState = field(default_factory=JobState)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def state(self) -> JobState:
        with self._lock:
            return self._state

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)

    def progress(self, done: int, total: int | None = None, item: Any = None, message: str | None = None) -> None:
        run_id = getattr(item, "id", None)
        text = message or (f"{done} of {total} done" if total else f"{done} done")
        status = getattr(item, "status", None)
        if status and status != "finished":
            text += f" (last one {status})"
        changes: dict[str, Any] = {"done": done, "total": total, "message": text}
        if run_id is not None:
            changes["last_run_id"] = run_id
        self._update(**changes)

    def request_cancel(self) -> None:
        self.cancel.set()
        self._update(message="Cancelling after the current step")

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job; True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.state.running


_jobs: dict[int, Job] = {}
_registry_lock = threading.Lock()
_ids = itertools.count(1)


def _run(job: Job, function: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        result = function(**kwargs, progress=job.progress, cancel=job.cancel)
    except Exception as error:  # kept for the page; the thread must not die silently
        problem = str(error) if getattr(error, "problem", None) else f"{type(error).__name__}: {error}"
        job._update(status="failed", error=problem, message="Failed", finished_at=time.time())
        job.error_detail = traceback.format_exc()
        return
    job.result = result
    cancelled = job.cancel.is_set() or bool(getattr(result, "cancelled", False))
    state = job.state
    job._update(status="cancelled" if cancelled else "finished", finished_at=time.time(),
                message=(f"Cancelled: {state.done} kept" if cancelled else f"Finished: {state.done} done"))


def start(name: str, function: Callable[..., Any], **kwargs: Any) -> Job:
    """Run ``function(**kwargs, progress=..., cancel=...)`` in a daemon thread.

    The ``workspace`` and ``project_id`` among the keyword arguments file the job under that
    workspace's project (``active_for`` / ``recent_for``).
    """
    workspace = kwargs.get("workspace")
    job = Job(id=next(_ids), name=name, project_id=kwargs.get("project_id"),
              workspace_path=str(workspace.path) if workspace is not None else None)
    job._state = JobState(started_at=time.time())
    thread = threading.Thread(target=_run, args=(job, function, kwargs), name=f"lifecycle-job-{job.id}", daemon=True)
    job._thread = thread
    with _registry_lock:
        _jobs[job.id] = job
        _forget_old()
    thread.start()
    return job


def _forget_old() -> None:
    ended = sorted((j for j in _jobs.values() if not j.state.running), key=lambda j: j.id)
    for job in ended[:max(0, len(ended) - KEEP_FINISHED)]:
        del _jobs[job.id]


def get(job_id: int) -> Job | None:
    with _registry_lock:
        return _jobs.get(job_id)


def ended(job_ids: set[int] | frozenset[int]) -> set[int]:
    """Which of these jobs have ended (finished, failed or cancelled); a job no longer in the
    registry counts as ended. A page that watched them running reruns to show their results."""
    with _registry_lock:
        known = {job_id: _jobs.get(job_id) for job_id in job_ids}
    return {job_id for job_id, job in known.items() if job is None or not job.state.running}


def _filed_under(workspace: Workspace, project_id: int) -> list[Job]:
    path = str(workspace.path)
    with _registry_lock:
        return [j for j in _jobs.values() if j.project_id == project_id and j.workspace_path == path]


def active_for(workspace: Workspace, project_id: int) -> list[Job]:
    """The running jobs of this workspace's project, oldest first."""
    return [j for j in sorted(_filed_under(workspace, project_id), key=lambda j: j.id) if j.state.running]


def recent_for(workspace: Workspace, project_id: int) -> list[Job]:
    """Every job of this workspace's project still in the registry (running or ended), newest first."""
    return sorted(_filed_under(workspace, project_id), key=lambda j: -j.id)
