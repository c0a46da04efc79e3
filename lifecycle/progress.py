"""Progress reporting for long work: a callback taking a fraction done (0–1) and a message.

Domain functions accept one and default to :func:`quiet`; pages pass a progress bar's update.
"""
from __future__ import annotations

from typing import Callable

Progress = Callable[[float, str], None]


def quiet(_fraction: float, _message: str) -> None:
    """The callback for callers that show no progress (the CLI, tests)."""
