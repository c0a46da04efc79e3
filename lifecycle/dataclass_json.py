"""A small JSON codec for frozen report dataclasses, driven by their type hints.

``to_jsonable`` turns a dataclass tree into plain dicts, lists, numbers and strings (tuples
become lists, numpy scalars Python numbers, NaN and ±inf ``None``, so the result passes
``json.dumps(..., allow_nan=False)``). ``from_jsonable`` rebuilds the tree from its type
hints, so ``from_jsonable(T, json.loads(json.dumps(to_jsonable(x)))) == x`` for any report
whose float fields hold finite numbers or ``None``.
"""
from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from functools import cache
from typing import Any

import numpy as np

from lifecycle.errors import InputError


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` (a dataclass, tuple, dict, union or scalar type)."""
    if data is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return from_jsonable(options[0], data)
        for option in options:  # the first option the data fits
            if option in (int, float, str, bool) and isinstance(data, option):
                return data
        return from_jsonable(options[0], data)
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise InputError(f"A {tp.__name__} must be an object, got {data!r}.",
                             "Recompute the validation report.")
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp) if f.init}
        values = {k: from_jsonable(hints[k], v) for k, v in data.items() if k in known}
        try:
            return tp(**values)
        except TypeError as exc:
            raise InputError(f"A stored {tp.__name__} is incomplete: {exc}.",
                             "Recompute the validation report.") from None
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(args, data))
    if origin is dict:
        _, value_type = typing.get_args(tp)
        return {str(k): from_jsonable(value_type, v) for k, v in data.items()}
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:  # a stored plain string back to its member (an unknown one stays a string)
            return tp(data)
        except ValueError:
            return data
    return data
