"""Numbers written for people (issue 10, case 2): conventions, detection and conversion."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lifecycle.data.numbers import NumberFormat, detect_format, to_numbers
from lifecycle.errors import InputError

US, EU = NumberFormat(decimal=".", thousands=","), NumberFormat(decimal=",", thousands=".")


@pytest.mark.parametrize("fmt, text, expected", [
    (US, "8,412.50", 8412.5), (US, "12,34,567.00", 1234567.0), (US, "$1,200", 1200.0),
    (US, "($300.50)", -300.5), (US, "-$5", -5.0), (US, "1,200 USD", 1200.0), (US, "USD 1,200.5", 1200.5),
    (US, "12.5%", 12.5), (US, "−4.5", -4.5), (US, ".5", 0.5), (US, "0", 0.0),
    (EU, "1.234,56 €", 1234.56), (EU, "-1.234", -1234.0), (EU, "12,5 %", 12.5),
    (NumberFormat(decimal=",", thousands=" "), "1\u202f234,5", 1234.5),
    (NumberFormat(decimal=".", thousands="'"), "1'234.56", 1234.56),
])
def test_a_convention_reads_numbers_as_people_write_them(fmt, text, expected):
    assert fmt.parse([text])[0] == pytest.approx(expected)


@pytest.mark.parametrize("text", ["1,2345", "12,00", "(12", "abc", "007", "01,234", "1.234,56"])
def test_text_that_is_not_a_number_in_the_convention_is_nan(text):
    assert np.isnan(US.parse([text])[0])


def test_labels_round_trip_and_bad_conventions_teach():
    for fmt in (US, EU, NumberFormat(decimal=",", thousands=None), NumberFormat(decimal=".", thousands=" ")):
        assert NumberFormat.from_label(fmt.label) == fmt
    with pytest.raises(InputError, match="both ','"):
        NumberFormat(decimal=",", thousands=",")
    with pytest.raises(InputError, match="is not an example such as"):
        NumberFormat.from_label("12.3")


@pytest.mark.parametrize("values, label", [
    (["8,412.50", "12,000.00", "3.10"], "1,234.56"),
    (["17.946,34", "11.708,07", "7,5"], "1.234,56"),
    (["4.1%", "43.8%", "100%"], "1,234.56"),
    (["$1,200", "($300.50)", "$7"], "1,234.56"),
    (["1,5", "2,25"], "1.234,56"),
    (["1 234,5", "12 000,0"], "1 234,56"),
])
def test_detection_finds_the_convention(values, label):
    found = detect_format(values)
    assert found is not None and found.format.label == label and found.parsed == len(values)


@pytest.mark.parametrize("values", [["a", "b"], ["007", "012", "123"], ["12", "15"], ["x", "1,234", "y"]])
def test_detection_leaves_text_codes_and_plain_numbers_alone(values):
    assert detect_format(values) is None


def test_an_ambiguous_column_says_so_and_a_named_convention_decides():
    found = detect_format(["1,234", "5,678"])
    assert found.format == US and found.ambiguous
    named = detect_format(["1,234", "5,678"], decimal=",", thousands=".")
    assert named.format == NumberFormat(decimal=",", thousands=".") and not named.ambiguous
    assert list(named.format.parse(["1,234"])) == [1.234]


def test_to_numbers_parses_each_distinct_value_once_and_keeps_missing():
    series = pd.Series(["1,000", None, "1,000", "n/a", "2.5"], index=[5, 6, 7, 8, 9])
    out = to_numbers(series, US)
    assert out.index.tolist() == [5, 6, 7, 8, 9]
    np.testing.assert_array_equal(out.to_numpy(), [1000.0, np.nan, 1000.0, np.nan, 2.5])
