"""The project's target column: the one check that some data holds it (imports only errors)."""
from __future__ import annotations

from typing import Iterable

from lifecycle.errors import InputError

SHOWN_COLUMNS = 15
CHANGE_TARGET = "Pick a dataset version that holds it, or change the project's target in stage 1."


def check_target_column(target: str, columns: Iterable[str], source: str, *, project: str | None = None,
                        fix: str = CHANGE_TARGET) -> None:
    """Raise the one teaching error when ``target`` is not among ``columns`` of ``source``."""
    columns = list(columns)
    if target in columns:
        return
    whose = f"the target of project {project!r}" if project else "the project's target"
    shown = ", ".join(map(str, columns[:SHOWN_COLUMNS])) + (" …" if len(columns) > SHOWN_COLUMNS else "")
    raise InputError(f"Column {target!r} ({whose}) is not in {source}; its columns are: {shown}.", fix)
