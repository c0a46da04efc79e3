from datetime import datetime, timedelta

import duckdb
import pytest

from lifecycle.errors import InputError
from lifecycle.monitor.windows import format_size, parse_size, window_of, windows_between
from lifecycle.store.window_sql import bucket_sql


@pytest.mark.parametrize("text,seconds", [("15m", 900), ("1h", 3600), (" 6h ", 21600), ("1d", 86400), ("90s", 90)])
def test_sizes_parse(text, seconds):
    assert parse_size(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "1w", "-1h", "0m", "59s", "32d", "1.5h"])
def test_bad_sizes_name_the_value(text):
    with pytest.raises(InputError) as error:
        parse_size(text)
    assert repr(text) in str(error.value)


def test_format_is_the_inverse():
    for text in ("15m", "1h", "6h", "1d", "90s"):
        assert format_size(parse_size(text)) == text


def test_windows_align_to_the_epoch_and_cover_gaps():
    moment = datetime(2026, 11, 29, 10, 37, 12)
    window = window_of(moment, 3600)
    assert (window.start, window.end) == (datetime(2026, 11, 29, 10), datetime(2026, 11, 29, 11))
    span = windows_between(moment, moment + timedelta(hours=3), 3600)
    assert [w.start.hour for w in span] == [10, 11, 12, 13] and span[-1].seconds == 3600
    assert windows_between(moment, moment - timedelta(seconds=1), 3600) == []


def test_sql_buckets_agree_with_python():
    times = [datetime(2026, 11, 29, 10, 37, 12) + timedelta(minutes=17 * i) for i in range(40)]
    con = duckdb.connect()
    for size in (60, 900, 3600, 86400):
        got = con.execute(f"SELECT {bucket_sql('t', size)} FROM unnest(?::TIMESTAMP[]) AS u(t)", [times]).fetchall()
        assert [row[0] for row in got] == [window_of(t, size).start for t in times]
