"""Multi-member gzip (``cat a.gz b.gz``, as log shippers and split-then-compress make it): every
member is read, under the one decompression cap (issue 11, case 5)."""
from __future__ import annotations

import gzip
import os
import random

import pytest

from lifecycle.config import Limits
from lifecycle.data.ingest import read_upload
from lifecycle.errors import InputError

LIMITS = Limits(max_upload_bytes=50 * 1024 * 1024, max_columns=100)


def _rows(start: int, count: int) -> bytes:
    return b"".join(b"%d,%s\n" % (i, b"yes" if i % 2 else b"no") for i in range(start, start + count))


def test_every_member_is_read():
    data = gzip.compress(b"id,y\n" + _rows(0, 100)) + gzip.compress(_rows(100, 100))
    table = read_upload(data, "logs.csv.gz", LIMITS).table
    assert table.num_rows == 200  # as `gzip -dc` gives; one member alone gave 100, silently
    assert table.column("id").to_pylist() == list(range(200))


def test_members_larger_than_a_read_step_and_trailing_padding():
    random.seed(0)
    noise = lambda n: b"".join(b"%d,%d\n" % (i, random.randrange(10**9)) for i in range(n))  # noqa: E731
    first, second = b"id,y\n" + noise(200_000), noise(150_000)
    data = gzip.compress(first, compresslevel=1) + gzip.compress(second, compresslevel=1) + b"\0" * 1000
    assert len(data) > 2 << 20  # members cross the 1 MB steps
    assert read_upload(data, "big.csv.gz", LIMITS).table.num_rows == 350_000


def test_the_cap_covers_all_members_together():
    member = gzip.compress(b"0" * 40_000)
    limits = Limits(max_upload_bytes=100_000, max_columns=100)
    data = gzip.compress(b"id,y\n") + member * 3  # each member under the cap, together over it
    with pytest.raises(InputError, match="expands to more than the upload limit of 100,000 bytes"):
        read_upload(data, "bomb.csv.gz", limits)


def test_a_cut_short_file_is_refused_not_read_in_part():
    data = gzip.compress(b"id,y\n" + _rows(0, 5000) + os.urandom(1000).hex().encode())
    with pytest.raises(InputError, match="cut.csv.gz is cut short"):
        read_upload(data[: len(data) // 2], "cut.csv.gz", LIMITS)


def test_garbage_after_a_member_is_refused():
    data = gzip.compress(b"id,y\n" + _rows(0, 10)) + b"this is not gzip"
    with pytest.raises(InputError, match="junk.csv.gz is not a valid gzip file"):
        read_upload(data, "junk.csv.gz", LIMITS)
