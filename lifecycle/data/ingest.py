"""Reading uploaded files into Arrow tables, refusing bad input with a message that teaches.

Nothing here writes: a file is read and checked completely before the caller stores it, so a
refused file leaves no trace.
"""
from __future__ import annotations

import csv
import gzip
import io
import math
import mmap
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from lifecycle import names as name_rules
from lifecycle.config import Limits
from lifecycle.data.numbers import NUMERIC_SHARE, NumberFormat, to_numbers
from lifecycle.errors import InputError
from lifecycle.hashing import BackgroundSha256

# pyarrow's own list plus '?', which the UCI files use for "unknown".
MISSING_TOKENS = ("", "?", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                  "1.#IND", "1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null", "None")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_MAX_TYPE_RETRIES = 50
BOM = "\ufeff"  # a byte-order mark, as spreadsheets write it before the first name
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, kw_only=True)
class ReadResult:
    table: pa.Table
    source_hash: str  # sha256 of the bytes as supplied (compressed, if they were)
    source_bytes: int
    notes: tuple[str, ...]


def _mb(n: int) -> str:
    if n < 100 * 1024:  # small limits (tests, tight deployments) would all read "0.0 MB"
        return f"{n:,} bytes"
    return f"{n / 1024 / 1024:,.1f} MB"


def _too_big(filename: str, size: int, limits: Limits, *, expanded: bool = False) -> InputError:
    what = "expands to more than" if expanded else f"is {_mb(size)}, over"
    return InputError(
        f"{filename} {what} the upload limit of {_mb(limits.max_upload_bytes)}.",
        "Upload a smaller extract (fewer rows or columns), or raise LIFECYCLE_MAX_UPLOAD_MB.",
    )


def _gunzip(data: bytes, filename: str, limits: Limits) -> bytes:
    """Decompress every member (``cat a.gz b.gz`` is one valid gzip file) under one cap, so a
    small gzip bomb cannot exhaust memory and no member is silently dropped."""
    out = io.BytesIO()
    view = memoryview(data)
    step = 1 << 20
    position = 0
    try:
        while position < len(view) and any(view[position:position + 512]):  # trailing zeros are padding
            decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)  # one member per turn
            while position < len(view) and not decompressor.eof:
                chunk = view[position:position + step]
                position += len(chunk)
                while chunk:
                    out.write(decompressor.decompress(chunk, limits.max_upload_bytes + 1 - out.tell()))
                    if out.tell() > limits.max_upload_bytes:
                        raise _too_big(filename, 0, limits, expanded=True)
                    chunk = decompressor.unconsumed_tail
            out.write(decompressor.flush())
            if not decompressor.eof:
                raise InputError(f"{filename} is cut short: its gzip data ends in the middle of a member.",
                                 "Copy or download the file again, then upload it.")
            position -= len(decompressor.unused_data)  # the next member starts there
    except zlib.error as error:
        raise InputError(f"{filename} is not a valid gzip file ({error}).",
                         "Compress it again with gzip, or upload the plain CSV.") from None
    if out.tell() > limits.max_upload_bytes:
        raise _too_big(filename, 0, limits, expanded=True)
    return out.getvalue()


def _suffix(filename: str) -> tuple[str, bool]:
    lower = filename.lower()
    gz = lower.endswith(".gz")
    if gz:
        lower = lower[:-3]
    for suffix in CSV_SUFFIXES + PARQUET_SUFFIXES:
        if lower.endswith(suffix):
            return suffix, gz
    raise InputError(f"{filename} is neither CSV nor Parquet (by its name).",
                     "Upload a .csv, .tsv, .csv.gz or .parquet file.")


def check_column_names(names: list[str], filename: str, limits: Limits) -> None:
    if len(names) > limits.max_columns:
        raise InputError(
            f"{filename} has {len(names):,} columns; Lifecycle takes at most {limits.max_columns:,}.",
            "Keep the columns you need (for example with a SQL query before export), "
            "or raise LIFECYCLE_MAX_COLUMNS.")
    for position, name in enumerate(names, start=1):
        if not name.strip():
            raise InputError(f"Column {position} of {filename} has no name.",
                             "Give every column a name in the header row.")
        name_rules.check(name, f"Column {position} of {filename},")
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise InputError(f"Columns {seen[name]} and {position} of {filename} are both named {name!r}.",
                             "Rename one of them in the header row.")
        seen[name] = position


def _header(data: bytes, delimiter: str, encoding: str, filename: str) -> tuple[list[str], list[str], bool]:
    """The column names as given (a byte-order mark removed first, so a quoted first name is
    unquoted), the same names trimmed, and whether a byte-order mark was found."""
    first_line = _first_line(data)
    try:
        text = first_line.decode(encoding)
    except UnicodeDecodeError as error:
        raise _not_utf8(filename, data, encoding, error) from None
    bom = text.startswith(BOM)
    if not text.removeprefix(BOM).strip():
        raise InputError(f"The first line of {filename} is empty; Lifecycle reads the column names from it.",
                         "Remove the empty line(s) above the header row, or add a header row.")
    try:
        raw = next(csv.reader([text.removeprefix(BOM)], delimiter=delimiter), [])
    except csv.Error as error:  # a bare carriage return inside an unquoted name
        raise InputError(f"The header row of {filename} could not be read: {error}.",
                         "Put each column name on the first line, quoting a name that holds a line break "
                         "or a carriage return (or remove it).") from None
    return raw, [name.strip() for name in raw], bom


def _first_line(data) -> bytes:
    """The header line, without copying the rest of a large buffer."""
    end = data.find(b"\n")
    return bytes(data[: end if end >= 0 else len(data)]).rstrip(b"\r")


def _not_utf8(filename: str, data, encoding: str, error: UnicodeDecodeError | None = None) -> InputError:
    data = bytes(data)  # error path only: a memory-mapped file becomes bytes here
    if error is None:
        try:
            data.decode(encoding)
        except UnicodeDecodeError as found:
            error = found
    where = ""
    if error is not None:
        line = data.count(b"\n", 0, error.start) + 1
        where = f" (byte 0x{data[error.start]:02x} on line {line})"
    if bytes(data[:2]) in _UTF16_BOMS and not encoding.lower().replace("-", "").startswith("utf16"):
        return InputError(f"{filename} is not {encoding} text: it starts with a UTF-16 byte-order mark "
                          "(as spreadsheets save 'Unicode text').",
                          "Choose the encoding utf-16 where you upload it (ingest and batch scoring both ask), or "
                          "save it as CSV UTF-8.")
    return InputError(f"{filename} is not {encoding} text{where}.",
                      "Save it as UTF-8, or choose its encoding (for example latin-1) where you upload it (ingest "
                      "and batch scoring both ask).")


def _read_csv(data: bytes, filename: str, delimiter: str, encoding: str, limits: Limits,
              number_format: NumberFormat | None = None) -> tuple[pa.Table, list[str]]:
    notes: list[str] = []
    if re.search(rb"\S", data) is None:  # stops at the first visible byte; no copy
        raise InputError(f"{filename} is empty.", "Export it again with a header row and data rows.")
    raw_names, names, bom = _header(data, delimiter, encoding, filename)
    if bom:
        notes.append("The file starts with a byte-order mark (as spreadsheets save UTF-8); it was removed "
                     "before reading the column names.")
    check_column_names(names, filename, limits)
    if names != raw_names:
        notes.append("Leading and trailing spaces were trimmed from column names.")
    bad_rows: list[pa_csv.InvalidRow] = []
    lock = threading.Lock()

    def on_bad_row(row: pa_csv.InvalidRow) -> str:
        with lock:
            bad_rows.append(row)
        return "skip"

    column_types: dict[str, pa.DataType] = {}
    for _ in range(_MAX_TYPE_RETRIES):
        bad_rows.clear()
        try:
            table = pa_csv.read_csv(
                pa.BufferReader(data),
                read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding,
                                                block_size=4 << 20),
                parse_options=pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_bad_row,
                                                  newlines_in_values=False),
                convert_options=pa_csv.ConvertOptions(null_values=list(MISSING_TOKENS),
                                                      strings_can_be_null=True,
                                                      quoted_strings_can_be_null=True,
                                                      column_types=column_types,
                                                      decimal_point=number_format.decimal
                                                      if number_format else "."),
            )
            break
        except pa.ArrowInvalid as error:
            column = _column_in_conversion_error(str(error), names)
            if column is None or column in column_types:
                raise InputError(f"{filename} could not be read: {error}.",
                                 "Check the file is a delimited text file with one record per line.") from None
            # Type inference looked at the first block only; a later value did not fit.
            column_types[column] = pa.string()
    if bad_rows:
        first = bad_rows[0]
        line = first.number or _line_of(data, first.text)
        raise InputError(
            f"{filename} has {len(bad_rows):,} row(s) with the wrong number of fields; the first, "
            f"on line {line}, has {first.actual_columns} fields where the header has "
            f"{first.expected_columns}: {first.text[:120]!r}.",
            "Fix or remove those rows (often an unquoted delimiter inside a value), then upload again.")
    for column in column_types:
        notes.append(f"Column {column!r} mixes numbers and text; it was read as text.")
    if number_format is not None:
        table = _numbers_in_named_format(table, number_format, notes)
    return table, notes


def _numbers_in_named_format(table: pa.Table, fmt: NumberFormat, notes: list[str]) -> pa.Table:
    """Text columns whose every value is a number in the convention the user named become
    numbers (whole numbers integers); a column where most but not all are stays text, said why."""
    for index, field in enumerate(table.schema):
        if not pa.types.is_string(field.type) and not pa.types.is_large_string(field.type):
            continue
        distinct = pc.unique(table.column(index).drop_null()).to_pylist()
        parsed = fmt.parse(distinct)
        good = np.isfinite(parsed)
        if len(distinct) == 0 or good.mean() < NUMERIC_SHARE:
            continue
        if not good.all():
            bad = [v for v, ok in zip(distinct, good) if not ok]
            notes.append(f"Column {field.name!r} stays text: {len(bad):,} of its values, such as {bad[0]!r}, are "
                         f"not numbers written {fmt.label}; the profile offers to convert the rest.")
            continue
        values = to_numbers(table.column(index).to_pandas().astype(object), fmt)
        whole = bool(np.all(np.mod(parsed, 1) == 0)) and np.all(np.abs(parsed) < 2 ** 53)
        array = (pa.array(values.astype("Int64"), type=pa.int64()) if whole
                 else pa.array(values.to_numpy(), type=pa.float64(), from_pandas=True))
        table = table.set_column(index, field.name, array)
        notes.append(f"Column {field.name!r} was read as numbers written {fmt.label} (decimal mark "
                     f"{fmt.decimal!r}, thousands separator {fmt.thousands or 'none'!r}).")
    return table


def _line_of(data, text: str) -> int | str:
    data = bytes(data)
    position = data.find(text.encode(errors="replace"))
    return data.count(b"\n", 0, position) + 1 if position >= 0 else "?"


def _column_in_conversion_error(message: str, names: list[str]) -> str | None:
    # pyarrow: "In CSV column #3: CSV conversion error to int64: invalid value 'x'"
    marker = "In CSV column #"
    if marker not in message:
        return None
    try:
        index = int(message.split(marker, 1)[1].split(":", 1)[0])
    except ValueError:
        return None
    return names[index] if 0 <= index < len(names) else None


def _read_parquet(data: bytes, filename: str, limits: Limits) -> pa.Table:
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        names = parquet.schema_arrow.names
        check_column_names(names, filename, limits)
        return parquet.read()
    except InputError:
        raise
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"{filename} is not a readable Parquet file ({error}).",
                         "Export it again, or upload it as CSV.") from None


def _check_table(table: pa.Table, filename: str, data: bytes, encoding: str, *, text: bool) -> list[str]:
    notes = []
    if table.num_rows == 0:
        raise InputError(f"{filename} has a header but no data rows.",
                         "Export it again with its rows, or pick another file.")
    for field, column in zip(table.schema, table.columns):
        if text and (pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type)):
            raise _not_utf8(filename, data, encoding)
        if pa.types.is_floating(field.type):
            infinite = pc.sum(pc.is_inf(column)).as_py() or 0
            if infinite:
                notes.append(f"Column {field.name!r} holds {infinite:,} infinite value(s); "
                             "recipes treat them as missing.")
        if pa.types.is_null(field.type):
            notes.append(f"Column {field.name!r} is empty in every row.")
    return notes


def read_upload(data: bytes, filename: str, limits: Limits, *, encoding: str = "utf-8",
                number_format: NumberFormat | None = None) -> ReadResult:
    """Read a CSV/TSV (optionally gzipped) or Parquet file supplied as bytes. ``number_format``
    names how the file writes numbers (decimal mark, thousands separator); text columns written
    that way are read as numbers."""
    if len(data) > limits.max_upload_bytes:
        raise _too_big(filename, len(data), limits)
    suffix, gz = _suffix(filename)
    hasher = BackgroundSha256()
    hasher.update(data)  # overlaps with parsing
    try:
        raw = data
        if gz:
            if not data:
                raise InputError(f"{filename} is empty.", "Export it again with a header row and data rows.")
            raw = _gunzip(data, filename, limits)
        if suffix in PARQUET_SUFFIXES:
            if not raw:
                raise InputError(f"{filename} is empty.", "Export it again.")
            table, notes = _read_parquet(raw, filename, limits), []
        else:
            raw, encoding = _ascii_compatible(raw, encoding, filename)
            delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(raw)
            table, notes = _read_csv(raw, filename, delimiter, encoding, limits, number_format)
        notes += _check_table(table, filename, raw, encoding, text=suffix not in PARQUET_SUFFIXES)
    finally:
        source_hash = hasher.hexdigest()
    return ReadResult(table=table, source_hash=source_hash, source_bytes=len(data),
                      notes=tuple(notes))


def _ascii_compatible(data, encoding: str, filename: str) -> tuple[bytes, str]:
    """``data`` as it is when ``encoding`` writes ASCII as ASCII (UTF-8, latin-1, cp1252...); else (UTF-16,
    UTF-32) decoded and written again as UTF-8, so that the delimiter, the line ends and the quotes are
    found as characters, not as bytes: in UTF-16 the letter 'Ļ' (U+013B) holds the byte of ';'."""
    try:
        compatible = ',;\t|\n\r"'.encode(encoding) == b',;\t|\n\r"'
    except LookupError:
        raise InputError(f"{encoding!r} is not a text encoding Python knows ({filename}).",
                         "Choose utf-8, latin-1, cp1252 or utf-16.") from None
    if compatible:
        return data, encoding
    try:
        return bytes(data).decode(encoding).encode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        raise _not_utf8(filename, data, encoding, error) from None


def _sniff_delimiter(data: bytes) -> str:
    # Quoted names may hold any delimiter ('"a;b",y'): count only outside quotes.
    header = re.sub(rb'"[^"]*"', b"", _first_line(data))
    counts = {d: header.count(d.encode()) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_path(path: Path, limits: Limits, *, encoding: str = "utf-8",
              number_format: NumberFormat | None = None) -> ReadResult:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.", "Check the path.")
    size = path.stat().st_size
    if size > limits.max_upload_bytes:
        raise _too_big(path.name, size, limits)
    if size == 0:
        return read_upload(b"", path.name, limits, encoding=encoding, number_format=number_format)
    with open(path, "rb") as handle:
        # Memory-mapped: no copy of a large file into Python. Not closed explicitly: Arrow may
        # still reference the mapping; it is unmapped when the last reference goes.
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return read_upload(mapped, path.name, limits, encoding=encoding, number_format=number_format)


def finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
