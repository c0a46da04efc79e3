"""Reading scoring requests: MLflow's scoring protocol for ``/invocations`` and Lifecycle's own rows
for ``/predict``, each refusal a ``RequestError`` with the HTTP status and a message that says
what was wrong and what is accepted.

MLflow's protocol (as ``mlflow models serve`` takes it): a JSON object with exactly one of
``dataframe_split`` (``{"columns": [...], "data": [[...], ...]}``), ``dataframe_records``
(``[{column: value}, ...]``), ``instances`` or ``inputs`` (rows as objects, columns as lists, or
rows as lists in the schema's column order), optionally ``params``; or CSV with a header row
and ``Content-Type: text/csv``.

Also read here: the body itself (within the size limit), the request id a client may send
(``X-Request-Id``) and ``/feedback``'s labels.
"""
from __future__ import annotations

import io
import json
import re
import uuid
from typing import Any, AsyncIterable, Mapping, Sequence

import pandas as pd

ACCEPTED_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv", "application/csv")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestError(Exception):
    """A request the service refuses: ``status`` and a message naming the problem and the fix."""

    def __init__(self, status: int, message: str, **extra: Any):
        self.status = status
        self.message = message
        self.extra = extra
        super().__init__(message)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    kind = media_type(content_type)
    return kind in JSON_TYPES or kind.endswith("+json")


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise RequestError(400, "The request body is empty; send a JSON document.")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise RequestError(400, "The request body is not UTF-8 text; send JSON encoded as UTF-8.") from None
    except ValueError as error:
        raise RequestError(400, f"The request body is not valid JSON: {error}.") from None


def predict_rows(content_type: str | None, body: bytes) -> list[Any]:
    """``/predict``: one row as a JSON object, or a non-empty list of them."""
    if content_type and not is_json(content_type):
        raise RequestError(415, f"/predict takes JSON, not {media_type(content_type)!r}; send "
                                "'Content-Type: application/json' with one row object or a list of them.")
    payload = parse_json(body)
    if isinstance(payload, Mapping):
        return [payload]
    if isinstance(payload, list):
        if not payload:
            raise RequestError(400, "The batch is empty; send at least one row.")
        return payload
    raise RequestError(400, f"/predict takes one row as an object or a list of row objects, not "
                            f"{type(payload).__name__}.")


def invocation_rows(content_type: str | None, body: bytes, columns: Sequence[str]) -> list[Any] | pd.DataFrame:
    """``/invocations``: the rows of an MLflow scoring request, as row objects (JSON) or a frame (CSV).
    ``columns`` are the schema's input columns, in order, for rows sent as lists."""
    kind = media_type(content_type)
    if kind in CSV_TYPES:
        return _csv(body)
    if not is_json(content_type):
        shown = repr(kind) if kind else "no content type"
        raise RequestError(415, f"/invocations takes 'application/json' or 'text/csv', not {shown}.")
    payload = parse_json(body)
    if not isinstance(payload, Mapping):
        raise RequestError(400, _keys_message(f"a JSON {type(payload).__name__}"))
    present = [key for key in ACCEPTED_KEYS if key in payload]
    unknown = sorted(set(payload) - set(ACCEPTED_KEYS) - {"params"})
    if len(present) != 1 or unknown:
        seen = ", ".join(repr(k) for k in payload) or "no key"
        raise RequestError(400, _keys_message(seen))
    if "params" in payload and payload["params"] is not None and not isinstance(payload["params"], Mapping):
        raise RequestError(400, "'params' must be an object of parameter names and values.")
    key = present[0]
    value = payload[key]
    rows = _split(value, columns) if key == "dataframe_split" else _rows(key, value, columns)
    if not rows:
        raise RequestError(400, f"The batch is empty: {key!r} holds no rows; send at least one.")
    return rows


def _keys_message(seen: str) -> str:
    return ("The body must be a JSON object with exactly one of " + ", ".join(repr(k) for k in ACCEPTED_KEYS)
            + f" (and optionally 'params'), or CSV with 'Content-Type: text/csv'; got {seen}.")


def _split(value: Any, columns: Sequence[str]) -> list[Any]:
    if not isinstance(value, Mapping) or not isinstance(value.get("data"), list):
        raise RequestError(400, "'dataframe_split' must be an object with 'columns' and 'data' (a list of rows, "
                                "each a list of values).")
    names = value.get("columns", list(columns))
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise RequestError(400, "'dataframe_split.columns' must be a list of column names.")
    rows = []
    for position, row in enumerate(value["data"]):
        if not isinstance(row, list) or len(row) != len(names):
            raise RequestError(400, f"Row {position} of 'dataframe_split.data' has "
                                    f"{len(row) if isinstance(row, list) else 'no list of'} values; "
                                    f"expected {len(names)} (one per column in 'columns').")
        rows.append(dict(zip(names, row)))
    return rows


def _rows(key: str, value: Any, columns: Sequence[str]) -> list[Any]:
    if isinstance(value, Mapping):  # columns as lists, or one row of scalars
        lists = [v for v in value.values() if isinstance(v, list)]
        if not lists:
            return [value]
        if len(lists) != len(value) or len({len(v) for v in lists}) != 1:
            raise RequestError(400, f"{key!r} given as columns must map every column to a list of the same length.")
        names = list(value)
        return [dict(zip(names, values)) for values in zip(*value.values())]
    if not isinstance(value, list):
        raise RequestError(400, f"{key!r} must be a list of rows or an object of columns, not "
                                f"{type(value).__name__}.")
    rows = []
    for position, row in enumerate(value):
        if isinstance(row, list):
            if len(row) != len(columns):
                raise RequestError(400, f"Row {position} of {key!r} has {len(row)} values; rows given as lists "
                                        f"must have one value per input column ({len(columns)}: "
                                        f"{', '.join(columns)}).")
            row = dict(zip(columns, row))
        rows.append(row)
    return rows


def _csv(body: bytes) -> pd.DataFrame:
    if not body.strip():
        raise RequestError(400, "The batch is empty: the CSV body has no header and no rows.")
    try:
        frame = pd.read_csv(io.BytesIO(body))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise RequestError(400, f"The CSV body cannot be read: {error}.") from None
    if frame.empty:
        raise RequestError(400, "The batch is empty: the CSV body has a header but no rows.")
    return frame


def request_id(given: str | None) -> str:
    """The client's ``X-Request-Id`` when it is a plain id (letters, digits, ``._:-``, at most 128),
    else a new random one."""
    return given if given and REQUEST_ID.match(given) else uuid.uuid4().hex


async def read_body(declared: str | None, stream: AsyncIterable[bytes], limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to pass ``limit`` bytes: by its
    declared ``Content-Length`` or while it streams in."""
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, too_large(limit))
    chunks, size = [], 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise RequestError(413, too_large(limit))
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(limit: int) -> str:
    return (f"The request body is over the limit of {limit / 1024 / 1024:g} MB (LIFECYCLE_SERVE_MAX_BODY_MB); "
            "send smaller batches.")


def feedback_items(content_type: str | None, body: bytes, max_rows: int) -> list[tuple[str, Any, int]]:
    """``/feedback``: ``{"request_id": ID, "label": VALUE[, "row": N]}`` or a list of them, as
    ``(request id, label, row)``; RequestError names the item and what it lacks."""
    if content_type and not is_json(content_type):
        raise RequestError(415, "/feedback takes JSON: send 'Content-Type: application/json'.")
    payload = parse_json(body)
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise RequestError(400, "The feedback list is empty; send at least one label.")
    if len(items) > max_rows:
        raise RequestError(413, f"{len(items):,} labels is over the limit of {max_rows:,}.")
    checked = []
    for position, item in enumerate(items):
        where = f"Item {position}" if isinstance(payload, list) else "The feedback"
        if not isinstance(item, dict) or not isinstance(item.get("request_id"), str) or "label" not in item:
            raise RequestError(400, f"{where} must be an object with 'request_id' (the X-Request-Id of "
                                    "the scored request) and 'label' (the true value), optionally 'row'.")
        row = item.get("row", 0)
        if not isinstance(row, int) or isinstance(row, bool) or row < 0:
            raise RequestError(400, f"{where}: 'row' must be a row position (0 or more).")
        if item["label"] is None:
            raise RequestError(400, f"{where}: 'label' is empty; send the true value.")
        checked.append((item["request_id"], item["label"], row))
    return checked
