"""Where a project stands in one stage, for the lifecycle strip and the portfolio.

Each stage package says its own status (a ``STAGE`` in its ``status`` module); ``lifecycle.stages``
lines them up. Adding a stage adds a package, not a branch in a ladder.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Callable

from lifecycle.records import Project
from lifecycle.workspace import Workspace


class StageProgress(StrEnum):
    """How far a project is in one stage; the strip shows each with a word and an icon."""

    DONE = "done"
    READY = "ready"  # can be worked on now ("to do")
    BLOCKED = "blocked"  # an earlier stage must be done first
    NOT_REACHED = "not reached"  # not built yet, or not reachable from where the project stands


@dataclass(frozen=True, kw_only=True)
class StageState:
    stage: str
    state: StageProgress
    reason: str  # why, in a sentence: what was done, or what is needed next


StatusFn = Callable[[Workspace, Project], StageState]


@dataclass(frozen=True, kw_only=True)
class Stage:
    number: int
    name: str
    purpose: str  # one sentence: what the stage decides (shown under the page title)
    status: StatusFn | None = None  # None: the stage is not built yet
