import hashlib

import numpy as np
import pandas as pd
import pytest

from lifecycle.errors import InputError
from lifecycle.data.splits import SplitSpec, assign_split, assignment_hash, split_counts


@pytest.fixture
def df():
    n = 100
    return pd.DataFrame({
        "x": np.arange(n, dtype=float),
        "y": ["a"] * 70 + ["b"] * 30,
        "g": [f"g{i // 5}" for i in range(n)],  # 20 groups of 5
        "t": pd.date_range("2024-01-01", periods=n, freq="D")[::-1],  # newest first
    }, index=pd.RangeIndex(1000, 1000 + n))


def spec(method="random", **kw):
    return SplitSpec(method=method, **kw)


def test_random_split_is_reproducible_and_seed_dependent(df):
    first = assign_split(df, spec(seed=7, test_size=0.2, validation_size=0.1))
    again = assign_split(df, spec(seed=7, test_size=0.2, validation_size=0.1))
    other = assign_split(df, spec(seed=8, test_size=0.2, validation_size=0.1))
    pd.testing.assert_series_equal(first, again)
    assert assignment_hash(first) == assignment_hash(again)
    assert not first.equals(other) and assignment_hash(first) != assignment_hash(other)
    assert first.index.equals(df.index)
    assert split_counts(first) == {"train": 70, "validation": 10, "test": 20}


def test_counts_round_up_without_float_error():
    frame = pd.DataFrame({"x": range(30)})
    counts = split_counts(assign_split(frame, spec(test_size=0.1, validation_size=0.1)))
    assert counts == {"train": 24, "validation": 3, "test": 3}


def test_no_validation_set_by_default(df):
    counts = split_counts(assign_split(df, spec(test_size=0.25)))
    assert counts == {"train": 75, "validation": 0, "test": 25}


def test_assignment_hash_is_sha256_of_labels_in_row_order():
    labels = pd.Series(["train", "test", "validation"])
    expected = hashlib.sha256(b"train\ntest\nvalidation").hexdigest()
    assert assignment_hash(labels) == expected
    assert assignment_hash(labels[::-1]) != expected


def test_stratified_split_keeps_class_shares(df):
    parts = assign_split(df, spec("stratified", seed=1, test_size=0.2, validation_size=0.1),
                         target="y")
    share_b = df["y"].eq("b").groupby(parts).mean()
    assert share_b.to_dict() == pytest.approx({"train": 0.3, "validation": 0.3, "test": 0.3})
    again = assign_split(df, spec("stratified", seed=1, test_size=0.2, validation_size=0.1),
                         target="y")
    assert assignment_hash(parts) == assignment_hash(again)


def test_stratified_rejects_a_lone_class_naming_it_and_its_count(df):
    df.loc[df.index[0], "y"] = "rare"
    with pytest.raises(InputError) as err:
        assign_split(df, spec("stratified", test_size=0.2), target="y")
    assert "Class 'rare'" in str(err.value) and "only 1 row" in str(err.value)
    assert "'random'" in err.value.fix


def test_stratified_rejects_missing_targets_suggesting_a_filter(df):
    df.loc[df.index[:3], "y"] = None
    with pytest.raises(InputError) as err:
        assign_split(df, spec("stratified"), target="y")
    assert "'y' has 3 empty values" in str(err.value)
    assert "'y not_null'" in err.value.fix


def test_group_split_never_straddles_groups(df):
    parts = assign_split(df, spec("group", seed=3, test_size=0.2, validation_size=0.2,
                                  column="g"))
    assert (parts.groupby(df["g"]).nunique() == 1).all()
    assert split_counts(parts) == {"train": 60, "validation": 20, "test": 20}
    other = assign_split(df, spec("group", seed=4, test_size=0.2, validation_size=0.2,
                                  column="g"))
    assert not parts.equals(other)


def test_group_split_needs_three_groups(df):
    df["g"] = ["a", "b"] * 50
    with pytest.raises(InputError, match="'g' has 2 distinct"):
        assign_split(df, spec("group", column="g"))


def test_time_split_takes_the_latest_rows_as_test(df):
    parts = assign_split(df, spec("time", test_size=0.1, validation_size=0.2, column="t"))
    newest_first = df["t"].sort_values(ascending=False).index
    assert (parts[newest_first[:10]] == "test").all()
    assert (parts[newest_first[10:30]] == "validation").all()
    assert (parts[newest_first[30:]] == "train").all()
    assert df["t"][parts == "test"].min() > df["t"][parts == "validation"].max()


def test_time_split_breaks_ties_by_row_order():
    frame = pd.DataFrame({"t": [1, 1, 1, 1, 0, 0]})
    parts = assign_split(frame, spec("time", test_size=0.3, column="t"))
    assert parts.tolist() == ["train", "train", "test", "test", "train", "train"]


def test_time_split_rejects_text_column(df):
    with pytest.raises(InputError, match="'g' holds .* values; a time split needs dates"):
        assign_split(df, spec("time", column="g"))


def test_split_column_must_exist(df):
    with pytest.raises(InputError, match="'when' is not in the data"):
        assign_split(df, spec("time", column="when"))


@pytest.mark.parametrize("kwargs, words", [
    (dict(method="shuffle"), "Unknown split method 'shuffle'"),
    (dict(method="random", test_size=0.0), "test_size 0.0"),
    (dict(method="random", test_size=1.2), "test_size 1.2"),
    (dict(method="random", validation_size=-0.1), "validation_size -0.1"),
    (dict(method="random", test_size=0.5, validation_size=0.4), "below 0.9"),
    (dict(method="group"), "group split needs a column"),
    (dict(method="random", seed=-1), "seed -1"),
])
def test_spec_validation(kwargs, words):
    with pytest.raises(InputError, match=words):
        SplitSpec(**kwargs)


def test_spec_round_trip():
    s = spec("group", seed=5, test_size=0.3, validation_size=0.1, column="g")
    assert SplitSpec.from_dict(s.to_dict()) == s


def test_too_few_rows():
    with pytest.raises(InputError, match="2 rows are too few"):
        assign_split(pd.DataFrame({"x": [1, 2]}), spec(test_size=0.5, validation_size=0.3))


# -- the default split fits the task (issue 10, case 5) -----------------------------------

def test_default_method_fits_the_task():
    from lifecycle.data.splits import default_method
    assert [default_method(t) for t in ("binary", "multiclass", "regression")] == \
        ["stratified", "stratified", "random"]


@pytest.mark.parametrize("values", [
    np.round(np.linspace(10, 90, 100) + 0.29, 2),           # prices: every value its own "class"
    np.arange(100, dtype=np.int64) * 7,                      # whole numbers, all different
])
def test_stratified_split_on_a_continuous_target_explains_itself_in_words(values):
    frame = pd.DataFrame({"x": range(len(values)), "price": values})
    with pytest.raises(InputError) as caught:
        assign_split(frame, spec("stratified"), "price")
    message = str(caught.value)
    assert "'price' is a continuous number" in message and "'random' method" in message, message
    assert "np." not in message and "float64" not in message and "int64" not in message, message


def test_stratified_split_keeps_working_for_a_few_numeric_classes():
    frame = pd.DataFrame({"x": range(60), "stars": [1, 2, 3, 4, 5] * 12})
    counts = split_counts(assign_split(frame, spec("stratified"), "stars"))
    assert counts["test"] == 12


def test_rare_class_message_shows_the_value_as_written_not_a_numpy_repr():
    frame = pd.DataFrame({"x": range(30), "grade": [1.5] * 29 + [2.5]})
    with pytest.raises(InputError) as caught:
        assign_split(frame, spec("stratified"), "grade")
    assert "Class 2.5 of target 'grade' has only 1 row(s)" in str(caught.value), str(caught.value)
