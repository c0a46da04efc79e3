"""The statuses a judged objective can have: one ``StrEnum``, produced by the validation report
and the fairness review and compared by the charts and pages.

A ``Status`` is a ``str``: it equals its plain value (``Status.PASS == "pass"``), hashes like it,
and is stored in JSON as that plain string, so stored reports read back unchanged.
"""
from __future__ import annotations

from enum import StrEnum

__all__ = ["Status"]


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNCERTAIN = "uncertain"  # fairness: the value meets the objective but its interval straddles it
    NOT_JUDGED = "not judged"  # drift objectives: judged in Monitor, on live data
    NO_OBJECTIVE = ""  # fairness panel: a measure no objective is set on
