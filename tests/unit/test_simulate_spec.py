"""The drift spec of the traffic simulator: what parses, what is refused (naming the part and the
form to write), how a spec is checked against a model's input schema, and when it is active."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from lifecycle.errors import InputError
from lifecycle.monitor.drift_spec import NO_DRIFT, DriftSpec, Reweight, Shift, parse_drift
from lifecycle.records import InputColumn

SCHEMA = (InputColumn(name="age", dtype="integer", kind="numeric"),
          InputColumn(name="hours", dtype="float", kind="numeric"),
          InputColumn(name="flag", dtype="boolean", kind="numeric"),
          InputColumn(name="city", dtype="string", kind="categorical", categories=("east", "north", "south")))


@pytest.mark.parametrize("text, expected", [
    ("", NO_DRIFT),
    ("none", NO_DRIFT),
    (" ; ", NO_DRIFT),
    ("shift:age=+10", DriftSpec(shifts=(Shift(column="age", amount=10.0),))),
    ("shift:hours=-2.5", DriftSpec(shifts=(Shift(column="hours", amount=-2.5),))),
    ("weight:city=north:3", DriftSpec(weights=(Reweight(column="city", category="north", factor=3.0),))),
    ("weight:city=a:b:0", DriftSpec(weights=(Reweight(column="city", category="a:b", factor=0.0),))),
    ("label-rate:0.4", DriftSpec(label_rate=0.4)),
    ("shift:age=+10; weight:city=north:3 ;label-rate:0.4;after:500",
     DriftSpec(shifts=(Shift(column="age", amount=10.0),),
               weights=(Reweight(column="city", category="north", factor=3.0),), label_rate=0.4, after_rows=500)),
    ("SHIFT:age=1;from:2026-03-01T12:00", DriftSpec(shifts=(Shift(column="age", amount=1.0),),
                                                   starts_at=datetime(2026, 3, 1, 12, 0))),
    ("shift:age=1;from:2026-03-01T13:00+01:00", DriftSpec(shifts=(Shift(column="age", amount=1.0),),
                                                         starts_at=datetime(2026, 3, 1, 12, 0))),
])
def test_good_specs_parse_and_print_back(text, expected):
    spec = parse_drift(text)
    assert spec == expected
    assert parse_drift(str(spec)) == spec


@pytest.mark.parametrize("text, names, form", [
    ("shift:age", "'shift:age' does not say which column", "shift:COLUMN=AMOUNT"),
    ("shift:=+3", "'shift:=+3' does not say which column", "shift:COLUMN=AMOUNT"),
    ("shift:age=ten", "'shift:age=ten' has 'ten' where a number belongs", "shift:COLUMN=AMOUNT"),
    ("shift:age=nan", "not a finite number", "shift:age=+10"),
    ("shift:age=0", "shifts by 0, which changes nothing", "shift:COLUMN=AMOUNT"),
    ("weight:city=north", "does not name a column, a category and a factor", "weight:COLUMN=CATEGORY:FACTOR"),
    ("weight:city=north:-1", "gives a negative factor", "0 leaves the category out"),
    ("label-rate:1.5", "outside 0 to 1", "label-rate:SHARE"),
    ("label-rate:0.3;label-rate:0.4", "gives label-rate twice", "Keep one"),
    ("after:-3", "'after:-3' does not give a whole number of rows", "after:ROWS"),
    ("from:yesterday", "'from:yesterday' does not give a time", "ISO 8601"),
    ("scale:age=2", "'scale:age=2' is not one of shift, weight", "joined by ';'"),
    ("age=+10", "'age=+10' is not one of", "shift:age=+10"),
    ("shift:age=1;shift:age=2", "shifts 'age' twice", "one shift per column"),
    ("weight:city=north:2;weight:city=north:3", "weights city=north twice", "one factor per category"),
    ("after:100", "says when the drift starts but not what changes", "shift:age=+10;after:500"),
])
def test_bad_specs_name_the_part_and_the_form(text, names, form):
    with pytest.raises(InputError) as refused:
        parse_drift(text)
    assert names in str(refused.value) and form in str(refused.value)


@pytest.mark.parametrize("text, task, names", [
    ("shift:income=+1", "binary", "names no input column"),
    ("shift:city=+1", "binary", "'city', which is categorical (string), not a number"),
    ("shift:flag=+1", "binary", "not a number"),
    ("weight:age=30:2", "binary", "has no categories"),
    ("weight:town=north:2", "binary", "names no input column"),
    ("weight:city=west:2", "binary", "names a category 'city' does not have"),
    ("label-rate:0.5", "regression", "needs a binary project"),
])
def test_a_spec_that_does_not_fit_the_model_is_refused(text, task, names):
    with pytest.raises(InputError, match="drift part") as refused:
        parse_drift(text).check(SCHEMA, task)
    assert names in str(refused.value)


def test_a_fitting_spec_passes_the_check():
    parse_drift("shift:age=+10;shift:hours=-1;weight:city=south:0;label-rate:0.2").check(SCHEMA, "binary")


def test_active_rows_respect_after_and_from():
    spec = parse_drift("shift:age=+1;after:3;from:2026-01-01T00:00")
    before, after = datetime(2025, 12, 31, 23, 59), datetime(2026, 1, 1, 0, 0)
    mask = spec.active_rows(1, [after] * 4 + [before])
    assert mask.tolist() == [False, False, True, True, False]
    assert [spec.active(n, at) for n, at in enumerate([after] * 4 + [before], start=1)] == mask.tolist()
    assert not NO_DRIFT.active_rows(0, [after] * 3).any()
    assert parse_drift("label-rate:0.3").active_rows(0, [before] * 2).dtype == np.bool_


def test_the_live_traffic_setting(monkeypatch):
    from lifecycle import config

    monkeypatch.delenv("LIFECYCLE_LIVE_TRAFFIC", raising=False)
    assert config.live_traffic_rate() == 0.5
    monkeypatch.setenv("LIFECYCLE_LIVE_TRAFFIC", "0")
    assert config.live_traffic_rate() == 0.0
    monkeypatch.setenv("LIFECYCLE_LIVE_TRAFFIC", "2.5")
    assert config.live_traffic_rate() == 2.5
    for bad in ("fast", "-1", "nan"):
        monkeypatch.setenv("LIFECYCLE_LIVE_TRAFFIC", bad)
        with pytest.raises(ValueError, match="LIFECYCLE_LIVE_TRAFFIC="):
            config.live_traffic_rate()
