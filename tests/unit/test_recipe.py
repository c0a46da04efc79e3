import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler

from lifecycle.errors import InputError
from lifecycle.data.recipe.compiler import (ColumnStep, DerivedColumn, Recipe, RowFilter, apply_filters,
                              compile_recipe, default_recipe, preview, recipe_warnings,
                              source_column, validate_recipe)
from lifecycle.data.recipe.transformers import (AsText, DerivedColumnTransformer, OutlierClipper, _as_float,
                                    category_text)

ADULT = Path(__file__).resolve().parents[2] / "data" / "adult_train.csv"


def num(column, **kw):
    return ColumnStep(column=column, kind="numeric", **kw)


def cat(column, **kw):
    kw.setdefault("encoding", "onehot")
    return ColumnStep(column=column, kind="categorical", **kw)


@pytest.fixture
def messy():
    return pd.DataFrame({
        "age": [20.0, 30.0, np.inf, None, 50.0, -np.inf, 40.0, 35.0],
        "sex": pd.Series(["F", "M", None, "F", "M", "F", np.nan, "M"], dtype="str"),
        "flag": [True, False, None, True, True, False, True, False],
        "hours": [40, 20, 0, 10, 45, 60, 38, 40],
        "code": [1, 2, 1, 2, 1, 2, 1, 2],
        "y": [0, 1, 0, 1, 0, 1, 0, 1],
    })


@pytest.fixture
def messy_recipe():
    return Recipe(steps=(
        num("age", imputation="median", scaling="standard", clip="iqr"),
        cat("sex", imputation="most_frequent"),
        cat("flag", imputation="constant", fill_value="unknown"),
        num("hours", imputation="mean", scaling="minmax"),
        cat("code", encoding="ordinal"),
        ColumnStep(column="y", role="target"),
    ), derived=(DerivedColumn(name="age_per_hour", op="ratio", inputs=("age", "hours")),))


def test_compiled_recipe_handles_nan_inf_none_and_pandas_strings(messy, messy_recipe):
    out = compile_recipe(messy_recipe, messy).fit_transform(messy)
    assert isinstance(out, pd.DataFrame) and len(out) == len(messy)
    assert np.isfinite(out.to_numpy()).all()
    assert list(out.index) == list(messy.index)
    assert "y" not in {source_column(c) for c in out.columns}


def test_output_names_map_back_to_source_columns(messy, messy_recipe):
    out = compile_recipe(messy_recipe, messy).fit_transform(messy)
    sources = {name: source_column(name) for name in out.columns}
    assert sources["num__age"] == "age"
    assert [n for n, s in sources.items() if s == "sex"] == ["cat__sex=F", "cat__sex=M"]
    assert sources["ord__code"] == "code"
    assert sources["derived__age_per_hour"] == "age_per_hour"
    assert set(sources.values()) == {"age", "sex", "flag", "hours", "code", "age_per_hour"}


@pytest.mark.parametrize("name", ["age", "foo__age", "num__", ""])
def test_source_column_rejects_foreign_names(name):
    with pytest.raises(InputError, match="did not come from a compiled recipe"):
        source_column(name)


def test_standard_scaling_gives_mean_zero_and_unit_variance():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 10.0]})
    out = compile_recipe(Recipe(steps=(num("x", scaling="standard"),)), df).fit_transform(df)
    assert out["num__x"].mean() == pytest.approx(0.0)
    assert out["num__x"].std(ddof=0) == pytest.approx(1.0)


def test_minmax_scaling_maps_to_unit_interval():
    df = pd.DataFrame({"x": [5.0, 7.0, 9.0]})
    out = compile_recipe(Recipe(steps=(num("x", scaling="minmax"),)), df).fit_transform(df)
    assert out["num__x"].tolist() == [0.0, 0.5, 1.0]


def test_iqr_clipping_bounds_follow_the_formula():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0, -50.0])
    df = pd.DataFrame({"x": values})
    ct = compile_recipe(Recipe(steps=(num("x", clip="iqr", clip_k=1.5),)), df).fit(df)
    q1, q3 = np.percentile(values, [25, 75])
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    out = ct.transform(df)["num__x"].to_numpy()
    np.testing.assert_allclose(out, np.clip(values, low, high))
    assert out.max() == pytest.approx(high) and out.min() == pytest.approx(low)


def test_quantile_clipping_learns_bounds_at_fit_time():
    train = pd.DataFrame({"x": np.arange(101, dtype=float)})
    clipper = OutlierClipper(method="quantile", lower_quantile=0.1, upper_quantile=0.9)
    clipper.fit(train)
    assert (clipper.lower_[0], clipper.upper_[0]) == pytest.approx((10.0, 90.0))
    new = pd.DataFrame({"x": [-5.0, 50.0, 500.0, np.nan]})
    out = clipper.transform(new)
    np.testing.assert_array_equal(out[:3, 0], [10.0, 50.0, 90.0])
    assert np.isnan(out[3, 0])


def test_unseen_category_transforms_to_all_zeros(messy, messy_recipe):
    ct = compile_recipe(messy_recipe, messy).fit(messy)
    row = messy.iloc[:1].copy()
    row["sex"] = pd.Series(["never seen"], dtype="str", index=row.index)
    row["code"] = 99
    out = ct.transform(row)
    assert out[["cat__sex=F", "cat__sex=M"]].to_numpy().tolist() == [[0.0, 0.0]]
    assert out["ord__code"].iloc[0] == -1


def test_whole_floats_and_ints_are_one_category():
    train = pd.DataFrame({"code": [1.0, 2.0, np.nan, 1.0]})
    ct = compile_recipe(Recipe(steps=(cat("code", imputation="most_frequent"),)), train)
    ct.fit(train)
    assert list(ct.get_feature_names_out()) == ["cat__code=1", "cat__code=2"]
    serving = pd.DataFrame({"code": [2]})
    assert ct.transform(serving).to_numpy().tolist() == [[0.0, 1.0]]


def test_bool_column_one_hot():
    df = pd.DataFrame({"b": [True, False, None, True]})
    out = compile_recipe(Recipe(steps=(cat("b", imputation="most_frequent"),)), df).fit_transform(df)
    assert out.to_dict("list") == {"cat__b=False": [0.0, 1.0, 0.0, 0.0],
                                   "cat__b=True": [1.0, 0.0, 1.0, 1.0]}


def test_one_hot_max_categories_groups_rare_values():
    df = pd.DataFrame({"c": list("aaaabbbcd")})
    ct = compile_recipe(Recipe(steps=(cat("c", max_categories=3),)), df).fit(df)
    names = list(ct.get_feature_names_out())
    assert names == ["cat__c=a", "cat__c=b", "cat__c=infrequent_sklearn"]
    assert {source_column(n) for n in names} == {"c"}


def test_clone_and_pickle_of_compiled_transformer(messy, messy_recipe):
    ct = compile_recipe(messy_recipe, messy)
    fresh = clone(ct)
    assert fresh.get_params()["transformers"][0][0] == "num"
    fitted = ct.fit(messy)
    restored = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(restored.transform(messy), fitted.transform(messy))
    pd.testing.assert_frame_equal(clone(ct).fit_transform(messy), fitted.transform(messy))


@pytest.fixture
def grouped():
    """Columns sharing settings (a and b; s and t) around ones that do not (h, k, m)."""
    df = pd.DataFrame({
        "a": [1.0, 5.0, np.inf, None, 3.0, 100.0, 2.0, 4.0, -40.0, 3.5],
        "h": [40.0, None, 20.0, 10.0, 45.0, 60.0, 38.0, 40.0, 0.0, 41.0],
        "s": pd.Series(["F", "M", None, "F", "M", "F", np.nan, "M", "X", "F"], dtype="str"),
        "k": [1, 2, 1, 2, 1, 2, 1, 2, 3, 1],
        "b": [10, 20, 30, 40, 50, 60, 70, 80, 900, 15],
        "t": pd.Series(["u", None, "v", "v", "u", "w", "v", None, "u", "v"], dtype=object),
        "m": [1.0, 2.0, np.nan, 3.0, 1.0, 1.0, 2.0, 2.0, 3.0, 1.0],
        "y": [0, 1] * 5,
    })
    recipe = Recipe(steps=(
        num("a", imputation="median", scaling="standard", clip="iqr"),
        num("h", imputation="mean", scaling="minmax"),
        cat("s", imputation="most_frequent"),
        cat("k", encoding="ordinal"),
        num("b", imputation="median", scaling="standard", clip="iqr", note="same as a"),
        cat("t", imputation="most_frequent"),
        cat("m", encoding="ordinal", imputation="most_frequent"),
        ColumnStep(column="y", role="target"),
    ), derived=(DerivedColumn(name="ratio", op="ratio", inputs=("a", "h")),
                DerivedColumn(name="log_b", op="log1p", inputs=("b",), scaling="standard")))
    return df, recipe


def _by_hand(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each output column from its own plain scikit-learn pipeline (per-column semantics)."""
    def numbers(column):
        values = df[column].to_numpy(dtype=float)
        return np.where(np.isinf(values), np.nan, values).reshape(-1, 1)

    def clipped(values):
        q1, q3 = np.nanpercentile(values, [25, 75])
        return np.clip(values, q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1))

    def text(column):
        return np.array([[category_text(v)] for v in df[column].tolist()], dtype=object)

    expected = {}
    for column in ("a", "b"):
        steps = Pipeline([("impute", SimpleImputer(strategy="median")),
                          ("scale", StandardScaler())])
        expected[f"num__{column}"] = steps.fit_transform(clipped(numbers(column)))[:, 0]
    expected["num__h"] = Pipeline([("impute", SimpleImputer(strategy="mean")),
                                   ("scale", MinMaxScaler())]).fit_transform(numbers("h"))[:, 0]
    for column in ("s", "t"):
        encoder = OneHotEncoder(sparse_output=False)
        onehot = encoder.fit_transform(SimpleImputer(strategy="most_frequent").fit_transform(
            text(column)))
        for j, category in enumerate(encoder.categories_[0]):
            expected[f"cat__{column}={category}"] = onehot[:, j]
    expected["ord__k"] = OrdinalEncoder().fit_transform(text("k"))[:, 0]
    expected["ord__m"] = OrdinalEncoder().fit_transform(SimpleImputer(
        strategy="most_frequent").fit_transform(text("m")))[:, 0]
    a, h = numbers("a")[:, 0], numbers("h")[:, 0]
    ratio = np.where(h == 0, np.nan, a / np.where(h == 0, 1.0, h)).reshape(-1, 1)
    expected["derived__ratio"] = SimpleImputer(strategy="median").fit_transform(ratio)[:, 0]
    log_b = SimpleImputer(strategy="median").fit_transform(np.log1p(numbers("b")))
    expected["derived__log_b"] = StandardScaler().fit_transform(log_b)[:, 0]
    return expected


def test_grouped_transformer_matches_per_column_pipelines(grouped):
    df, recipe = grouped
    out = compile_recipe(recipe, df).fit_transform(df)
    expected = _by_hand(df)
    assert sorted(out.columns) == sorted(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(out[name].to_numpy(), values, rtol=1e-12, atol=1e-12,
                                   err_msg=name)


def test_columns_with_identical_settings_share_one_pipeline(grouped):
    df, recipe = grouped
    ct = compile_recipe(recipe, df)
    branches = {name: (est, cols) for name, est, cols in ct.transformers}
    assert list(branches) == ["num", "cat", "ord", "derived"]
    num_groups = [cols for _, _, cols in branches["num"][0].transformers]
    assert num_groups == [["a", "b"], ["h"]]  # a's group first; b joins it despite its note
    assert isinstance(branches["cat"][0], Pipeline) and branches["cat"][1] == ["s", "t"]
    assert [cols for _, _, cols in branches["ord"][0].transformers] == [["k"], ["m"]]
    names = list(ct.fit(df).get_feature_names_out())
    assert names[:3] == ["num__a", "num__b", "num__h"]
    assert names[-4:] == ["ord__k", "ord__m", "derived__ratio", "derived__log_b"]
    assert list(compile_recipe(recipe, df).fit_transform(df).columns) == names  # deterministic
    again = compile_recipe(recipe, df)
    pd.testing.assert_frame_equal(clone(again).fit(df).transform(df.iloc[::-1]),
                                  ct.transform(df.iloc[::-1]))


def test_settings_that_differ_in_meaning_are_not_grouped():
    df = pd.DataFrame({"u": list("aabbbc"), "v": list("aabbbc"), "w": list("aabbbc")})
    recipe = Recipe(steps=(cat("u", min_frequency=2), cat("v", min_frequency=0.5),
                           cat("w", min_frequency=2)))
    ct = compile_recipe(recipe, df)
    assert [cols for _, _, cols in ct.transformers[0][1].transformers] == [["u", "w"], ["v"]]
    out = ct.fit_transform(df)
    assert [c for c in out.columns if c.startswith("cat__v")] == ["cat__v=b",
                                                                  "cat__v=infrequent_sklearn"]
    assert [c for c in out.columns if c.startswith("cat__u")] == [
        "cat__u=a", "cat__u=b", "cat__u=infrequent_sklearn"]


def _cellwise(value_frame: pd.DataFrame) -> np.ndarray:
    return np.array([[category_text(v) for v in col.tolist()] for _, col in value_frame.items()],
                    dtype=object).T.reshape(value_frame.shape)


@pytest.mark.parametrize("series", [
    pd.Series([3, -1, 3, 0]),
    pd.Series([1.0, 2.5, np.nan, -0.0, 1e20, np.inf, 1e-7, 3.0]),
    pd.Series([0.1, 2.0, np.nan], dtype="float32"),
    pd.Series([True, False, True]),
    pd.Series([True, None, False], dtype="boolean"),
    pd.Series([1, None, 2], dtype="Int64"),
    pd.Series(["a", None, "b"], dtype="str"),
    pd.Series(["a", None, np.nan, pd.NA, np.str_("a")], dtype=object),
    pd.Series([True, 1, 1.0, "1", None, 2], dtype=object),  # mixed: per-cell path
    pd.Series([1, 2.0, 2.5, None, np.float32(0.1), np.int64(3)], dtype=object),
    pd.Series(["p", None, "q"], dtype="category"),
    pd.Series([1.0, None, 2.5]).astype("category"),
    pd.Series([None, None], dtype=object),
], ids=lambda s: str(s.dtype) + "-" + pd.api.types.infer_dtype(s, skipna=True))
def test_as_text_matches_the_cellwise_rule(series):
    frame = series.to_frame("c")
    out, expected = AsText().fit_transform(frame), _cellwise(frame)
    assert out.shape == expected.shape
    for got, want in zip(out[:, 0], expected[:, 0]):
        if isinstance(want, float):
            assert isinstance(got, float) and np.isnan(got)
        else:
            assert type(got) is str and got == want


def test_as_float_casts_numbers_and_turns_inf_to_nan():
    frame = pd.DataFrame({"i": [1, 2, 3], "f": [np.inf, 0.5, np.nan], "b": [True, False, True],
                          "n": pd.Series([1, None, 3], dtype="Int64"),
                          "o": pd.Series([1, None, pd.NA], dtype=object),
                          "t": pd.Series(["1", "2.5", None], dtype=object)})
    expected = np.array([[1, np.nan, 1, 1, 1, 1], [2, 0.5, 0, np.nan, np.nan, 2.5],
                         [3, np.nan, 1, 3, np.nan, np.nan]])
    np.testing.assert_array_equal(_as_float(frame), expected)
    numbers = frame[["i", "f", "b", "n"]]  # all numeric dtypes: the one-call path
    np.testing.assert_array_equal(_as_float(numbers), expected[:, :4])
    assert np.isinf(numbers["f"]).sum() == 1  # the input is not changed in place
    raw = np.array([[1.0, -np.inf]])
    np.testing.assert_array_equal(_as_float(raw), [[1.0, np.nan]])
    assert np.isinf(raw[0, 1])
    with pytest.raises(ValueError):
        _as_float(pd.DataFrame({"x": ["a", "b"]}))


def test_recipe_json_round_trip_is_equal(messy_recipe):
    recipe = Recipe(steps=messy_recipe.steps + (
        ColumnStep(column="city", role="ignore", kind="categorical", note="too many"),
        num("w", clip="quantile", clip_quantiles=[0.05, 0.95])),
        filters=(RowFilter(column="age", op=">=", value=18),
                 RowFilter(column="sex", op="in", value=["F", "M"]),
                 RowFilter(column="y", op="not_null")),
        derived=messy_recipe.derived + (DerivedColumn(name="age_band", op="bin",
                                                      inputs=("age",), edges=[18, 30, 65]),),
        sensitive_as_feature=True)
    text = json.dumps(recipe.to_dict())
    assert Recipe.from_dict(json.loads(text)) == recipe
    assert recipe.step("w").clip_quantiles == (0.05, 0.95)


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(InputError, match="unknown fields.*colour"):
        ColumnStep.from_dict({"column": "age", "colour": "red"})


def test_derived_ops_closed_form():
    df = pd.DataFrame({"a": [6.0, 1.0, -1.0, np.nan], "b": [3.0, 0.0, 2.0, 1.0]})

    def run(op, inputs, **kw):
        t = DerivedColumnTransformer(op=op, name="d", **kw)
        return t.fit_transform(df[list(inputs)])[:, 0]

    np.testing.assert_array_equal(run("ratio", "ab"), [2.0, np.nan, -0.5, np.nan])
    np.testing.assert_array_equal(run("difference", "ab"), [3.0, 1.0, -3.0, np.nan])
    np.testing.assert_array_equal(run("sum", "ab"), [9.0, 1.0, 1.0, np.nan])
    np.testing.assert_array_equal(run("product", "ab"), [18.0, 0.0, -2.0, np.nan])
    np.testing.assert_allclose(run("log1p", "a"), [np.log(7.0), np.log(2.0), np.nan, np.nan])
    np.testing.assert_array_equal(run("bin", "a", edges=[0.0, 5.0]), [2.0, 1.0, 0.0, np.nan])
    t = DerivedColumnTransformer(op="ratio", name="d").fit(df)
    assert list(t.get_feature_names_out()) == ["d"]


def test_date_parts_from_datetime_and_text():
    dates = pd.DataFrame({"d": pd.to_datetime(["2024-03-04", None])})  # a Monday
    text = pd.DataFrame({"d": pd.Series(["2024-03-04", "not a date"], dtype="str")})
    for frame in (dates, text):
        for op, expected in (("year", 2024.0), ("month", 3.0), ("dayofweek", 0.0)):
            out = DerivedColumnTransformer(op=op, name=op).fit_transform(frame)[:, 0]
            assert out[0] == expected and np.isnan(out[1])


def test_sensitive_columns_are_kept_out_unless_allowed(messy):
    steps = (num("age", imputation="median"), cat("sex", role="sensitive"),
             ColumnStep(column="y", role="target"))
    kept_out = compile_recipe(Recipe(steps=steps), messy).fit(messy)
    assert {source_column(n) for n in kept_out.get_feature_names_out()} == {"age"}
    allowed = compile_recipe(Recipe(steps=steps, sensitive_as_feature=True), messy).fit(messy)
    assert {source_column(n) for n in allowed.get_feature_names_out()} == {"age", "sex"}


# ----------------------------------------------------------------------------- filters

def test_filters_keep_matching_rows_and_drop_missing_on_comparisons(messy):
    def kept(*filters):
        return apply_filters(messy, filters).index.tolist()

    assert kept(RowFilter(column="hours", op=">=", value=40)) == [0, 4, 5, 7]
    assert kept(RowFilter(column="hours", op="<", value="20")) == [2, 3]
    assert kept(RowFilter(column="sex", op="!=", value="F")) == [1, 4, 7]
    assert kept(RowFilter(column="sex", op="is_null")) == [2, 6]
    assert kept(RowFilter(column="age", op="not_null")) == [0, 1, 2, 4, 5, 6, 7]
    assert kept(RowFilter(column="code", op="in", value=[2])) == [1, 3, 5, 7]
    assert kept(RowFilter(column="sex", op="not_in", value=["M"])) == [0, 3, 5]
    assert kept(RowFilter(column="flag", op="==", value=True)) == [0, 3, 4, 6]
    assert kept(RowFilter(column="hours", op=">", value=0),
                RowFilter(column="y", op="==", value=1)) == [1, 3, 5, 7]
    assert apply_filters(messy, ()).equals(messy)


def test_filter_on_dates():
    df = pd.DataFrame({"d": pd.to_datetime(["2024-01-01", "2024-06-01", None])})
    assert apply_filters(df, [RowFilter(column="d", op=">", value="2024-03-01")]).index.tolist() == [1]


def test_filter_unknown_column_names_it_and_lists_available(messy):
    with pytest.raises(InputError) as err:
        apply_filters(messy, [RowFilter(column="salary", op=">", value=1)])
    assert "'salary'" in str(err.value) and "'age'" in err.value.fix


@pytest.mark.parametrize("flt, words", [
    (RowFilter(column="sex", op=">", value="F"), "'sex'.*compares numbers"),
    (RowFilter(column="hours", op="==", value="forty"), "'hours'.*'forty'"),
])
def test_filter_type_mismatch_names_the_column(messy, flt, words):
    with pytest.raises(InputError, match=words):
        apply_filters(messy, [flt])


@pytest.mark.parametrize("kwargs, words", [
    (dict(column="age", op="~"), "'age'.*unknown operator"),
    (dict(column="age", op="in", value=[]), "'age'.*list of values"),
    (dict(column="age", op=">"), "'age'.*needs one value"),
    (dict(column="age", op="is_null", value=3), "'age'.*takes no value"),
])
def test_malformed_filters_name_the_column(kwargs, words):
    with pytest.raises(InputError, match=words):
        RowFilter(**kwargs)


# ----------------------------------------------------------------------------- validation

BAD_RECIPES = [
    (dict(steps=(num("salary"),)), "'salary'.*not in the data"),
    (dict(steps=(num("age"), num("y"))), "'y' is the target.*role 'feature'"),
    (dict(steps=(num("age"), num("sex", scaling="standard"))), "'sex' holds text"),
    (dict(steps=(num("age"), cat("sex", encoding="none"))), "'sex' is categorical but has no"),
    (dict(steps=(num("age"), ColumnStep(column="hours", role="target"))), "'hours' has role 'target'"),
    (dict(steps=(ColumnStep(column="age", role="ignore"),)), "feeds no column"),
    (dict(steps=(num("age"),), derived=(DerivedColumn(name="hours", op="sum",
                                                      inputs=("age", "code")),)),
     "'hours' has the name of an existing column"),
    (dict(steps=(num("age"),), derived=(DerivedColumn(name="r", op="ratio",
                                                      inputs=("age", "sex")),)),
     "'r'.*needs numbers.*'sex' holds text"),
    (dict(steps=(num("age"),), derived=(DerivedColumn(name="r", op="ratio",
                                                      inputs=("age", "nope")),)),
     "'r' names column 'nope'"),
    (dict(steps=(num("age"),), derived=(DerivedColumn(name="r", op="difference",
                                                      inputs=("y", "age")),)),
     "'r' uses the target column 'y'"),
    (dict(steps=(num("age"), cat("sex", role="sensitive")),
          derived=(DerivedColumn(name="m", op="month", inputs=("sex",)),)),
     "'m' uses sensitive column 'sex'"),
    (dict(steps=(num("age"),), filters=(RowFilter(column="nope", op="not_null"),)),
     "'nope'.*not in the data"),
]


@pytest.mark.parametrize("kwargs, words", BAD_RECIPES)
def test_validate_recipe_names_the_column(messy, kwargs, words):
    with pytest.raises(InputError, match=words):
        validate_recipe(Recipe(**kwargs), messy, "y")


@pytest.mark.parametrize("make, words", [
    (lambda: num("age", encoding="onehot"), "'age' is numeric but has encoding"),
    (lambda: cat("sex", scaling="standard"), "'sex' is categorical but has scaling"),
    (lambda: cat("sex", imputation="median"), "'sex' is categorical; median"),
    (lambda: num("age", role="label"), "'age' has unknown role 'label'"),
    (lambda: num("age", clip_quantiles=(0.9, 0.1)), "'age' has clipping quantiles"),
    (lambda: num("age", imputation="constant", fill_value="x"), "'age' is numeric but its fill"),
    (lambda: DerivedColumn(name="r", op="ratio", inputs=("a",)), "'r'.*exactly 2 input"),
    (lambda: DerivedColumn(name="r", op="bin", inputs=("a",), edges=[3, 1]), "'r': bin edges"),
    (lambda: DerivedColumn(name="r", op="eval", inputs=("a",)), "'r' has unknown operation"),
    (lambda: Recipe(steps=(num("age"), num("age"))), "column 'age' more than once"),
])
def test_bad_specs_fail_on_construction_naming_the_column(make, words):
    with pytest.raises(InputError, match=words):
        make()


def test_validate_accepts_dtype_mapping_and_plain_names():
    recipe = Recipe(steps=(num("age"), cat("city"), ColumnStep(column="y", role="target")))
    validate_recipe(recipe, ["age", "city", "y"], "y")
    validate_recipe(recipe, {"age": "BIGINT", "city": "VARCHAR", "y": "BOOLEAN"}, "y")
    with pytest.raises(InputError, match="'city' holds text"):
        validate_recipe(Recipe(steps=(num("city"),)), {"city": "VARCHAR"}, None)
    with pytest.raises(InputError, match="'when' holds dates"):
        validate_recipe(Recipe(steps=(num("when"),)), {"when": "TIMESTAMP"}, None)


# ----------------------------------------------------------------------------- defaults

def test_default_recipe_roles_and_reasons():
    n = 120
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "customer_id": np.arange(1000, 1000 + n),
        "email": [f"u{i}@x.org" for i in range(n)],
        "city": [f"city{i % 60}" for i in range(n)],
        "plan": rng.choice(["basic", "pro"], n),
        "weight": rng.integers(10_000, 900_000, n),
        "income": rng.normal(50, 10, n),
        "active": rng.choice([True, False], n),
        "country": ["NL"] * n,
        "signup": pd.date_range("2024-01-01", periods=n, freq="D"),
        "gender": rng.choice(["f", "m"], n),
        "churn": rng.choice([0, 1], n),
    })
    recipe = default_recipe(df, target="churn", sensitive=("gender",))
    role = {s.column: s.role for s in recipe.steps}
    assert role == {"customer_id": "id", "email": "id", "city": "ignore", "plan": "feature",
                    "weight": "feature", "income": "feature", "active": "feature",
                    "country": "ignore", "signup": "ignore", "gender": "sensitive",
                    "churn": "target"}
    assert "60 distinct" in recipe.step("city").note
    assert "Constant" in recipe.step("country").note
    income, plan = recipe.step("income"), recipe.step("plan")
    assert (income.imputation, income.scaling) == ("median", "standard")
    assert (plan.imputation, plan.encoding) == ("most_frequent", "onehot")
    assert recipe.step("active").kind == "categorical"
    out = compile_recipe(recipe, df).fit_transform(df)
    assert {source_column(c) for c in out.columns} == {"plan", "weight", "income", "active"}


def test_default_recipe_unknown_target_names_it():
    with pytest.raises(InputError, match="'label' is not in the data"):
        default_recipe(pd.DataFrame({"x": [1]}), target="label")


def test_recipe_warnings_for_missing_without_imputation(messy):
    recipe = Recipe(steps=(num("age"), cat("sex", imputation="most_frequent"),
                           ColumnStep(column="y", role="target")),
                    derived=(DerivedColumn(name="r", op="ratio", inputs=("hours", "code"),
                                           imputation="none"),
                             DerivedColumn(name="q", op="ratio", inputs=("code", "hours"),
                                           imputation="none")))
    warnings = recipe_warnings(recipe, messy)
    assert warnings[0] == ("Column 'age' is 38% empty and has no imputation; choose one in the "
                           "recipe or the model must accept missing values.")
    assert any("Derived column 'q' is 12% empty" in w for w in warnings)
    assert not any("'r'" in w for w in warnings)
    assert any("['flag', 'hours', 'code']" in w and "no step" in w for w in warnings)


def test_preview_counts_rows_and_dropped_columns(messy, messy_recipe):
    recipe = Recipe(steps=messy_recipe.steps[:2] + (ColumnStep(column="flag", role="ignore"),
                                                    ColumnStep(column="y", role="target")),
                    filters=(RowFilter(column="hours", op=">", value=10),),
                    derived=messy_recipe.derived)
    p = preview(recipe, messy, n=3)
    assert (p.rows_before_filters, p.rows_after_filters) == (8, 6)
    assert p.before.index.tolist() == p.after.index.tolist() == [0, 1, 4]
    assert p.dropped_columns == ("flag", "code", "y")
    assert list(p.after.columns) == ["num__age", "cat__sex=F", "cat__sex=M",
                                     "derived__age_per_hour"]


def test_preview_with_filters_that_keep_nothing(messy, messy_recipe):
    recipe = Recipe(steps=messy_recipe.steps,
                    filters=(RowFilter(column="hours", op=">", value=1000),))
    with pytest.raises(InputError, match="keep none of the 8 rows"):
        preview(recipe, messy)


@pytest.mark.skipif(not ADULT.exists(), reason="Adult data not present")
def test_default_recipe_on_adult():
    df = pd.read_csv(ADULT, na_values=["?"], nrows=2000)
    recipe = default_recipe(df, target="income", sensitive=("sex", "race"))
    role = {s.column: s.role for s in recipe.steps}
    assert role["income"] == "target"
    assert role["sex"] == role["race"] == "sensitive"
    assert role["fnlwgt"] == "feature"  # 97% distinct, but a census weight, not an id
    assert all(role[c] == "feature" for c in ("age", "workclass", "occupation", "hours_per_week"))
    assert recipe.step("native_country").max_categories == 20
    out = compile_recipe(recipe, df).fit_transform(df)
    assert len(out) == 2000 and not out.isna().any().any()
    assert {"age", "workclass", "native_country"} <= {source_column(c) for c in out.columns}
    assert recipe_warnings(recipe, df) == []


# -- nested and binary columns (issue 10, case 3) -----------------------------------------

@pytest.fixture
def nested():
    n = 40
    return pd.DataFrame({
        "x": np.linspace(0, 1, n),
        "tags": [np.arange(i % 4) if i % 5 else None for i in range(n)],   # list<int64> from Arrow
        "rec": [{"a": i, "b": "q"} for i in range(n)],                       # struct
        "kv": [[("k", i)] * (i % 3) for i in range(n)],                      # map
        "raw": [bytes([i]) for i in range(n)],                               # binary
        "y": ["yes", "no"] * (n // 2),
    })


def test_default_recipe_leaves_nested_and_binary_columns_out_and_offers_length(nested):
    recipe = default_recipe(nested, target="y")
    steps = {s.column: s for s in recipe.steps}
    assert [c for c, s in steps.items() if s.role == "ignore"] == ["tags", "rec", "kv", "raw"]
    assert "Holds lists" in steps["tags"].note and "'length' operation" in steps["tags"].note
    assert "Holds records" in steps["rec"].note and "length" not in steps["rec"].note
    assert "Holds raw bytes" in steps["raw"].note
    compile_recipe(recipe, nested).fit(nested)


@pytest.mark.parametrize("column, words", [("tags", "nested values (lists, records or maps)"),
                                           ("rec", "nested values"), ("raw", "raw bytes")])
def test_feeding_a_nested_column_is_refused_with_the_fix(nested, column, words):
    recipe = Recipe(steps=(num("x"), cat(column), ColumnStep(column="y", role="target", kind="categorical")))
    with pytest.raises(InputError) as caught:
        compile_recipe(recipe, nested)
    assert f"Column {column!r} holds {words}" in str(caught.value) and "role 'ignore'" in str(caught.value)


def test_schema_type_names_of_nested_columns_are_not_numbers():
    from lifecycle.data.recipe.checks import dtype_kind
    assert dtype_kind("list<element: int64>") == "nested" and dtype_kind("struct<a: int64>") == "nested"
    assert dtype_kind("map<string, int64>") == "nested" and dtype_kind("binary") == "binary"
    assert dtype_kind("time64[us]") == "text" and dtype_kind("timestamp[us, tz=UTC]") == "datetime"


def test_derived_length_counts_items_and_keeps_missing(nested):
    recipe = Recipe(steps=(num("x"), ColumnStep(column="tags", role="ignore", kind="categorical"),
                           ColumnStep(column="y", role="target", kind="categorical")),
                    derived=(DerivedColumn(name="n_tags", op="length", inputs=("tags",), imputation="none"),))
    out = compile_recipe(recipe, nested).fit_transform(nested)
    expected = [np.nan if i % 5 == 0 else i % 4 for i in range(len(nested))]
    np.testing.assert_array_equal(out["derived__n_tags"].to_numpy(), np.array(expected, dtype=float))
    with pytest.raises(InputError, match="'length' counts the items"):
        compile_recipe(Recipe(steps=recipe.steps, derived=(DerivedColumn(name="n", op="length",
                                                                         inputs=("x",)),)), nested)


# -- numbers stored as text (issue 10, case 2) --------------------------------------------

@pytest.fixture
def human():
    rng = np.random.default_rng(2)
    balance = rng.uniform(100, 20000, 60).round(2)
    return pd.DataFrame({"balance": [f"{v:,.2f}" for v in balance],
                         "rate": [f"{v:.1f}%" for v in rng.uniform(0, 50, 60)],
                         "city": rng.choice(["Oslo", "Rome"], 60), "y": ["yes", "no"] * 30}), balance


def test_numbers_stored_as_text_get_a_conversion_step_not_an_id_role(human):
    frame, balance = human
    steps = {s.column: s for s in default_recipe(frame, target="y").steps}
    assert steps["balance"].role == "feature" and steps["balance"].kind == "numeric"
    assert steps["balance"].number_format == "1,234.56" and "Numbers stored as text" in steps["balance"].note
    assert steps["rate"].number_format == "1,234.56" and steps["city"].number_format is None
    recipe = Recipe(steps=(num("balance", number_format="1,234.56"), ColumnStep(column="y", role="target",
                                                                                kind="categorical")))
    out = compile_recipe(recipe, frame).fit_transform(frame)
    np.testing.assert_allclose(out["num__balance"], balance)  # read as numbers, nothing scaled


def test_refusing_the_conversion_keeps_the_text_as_categories(human):
    from lifecycle.data.recipe import editing
    frame, _ = human
    base = default_recipe(frame, target="y")
    rows = editing.step_rows(base)
    for row in rows:
        if row["column"] == "balance":
            row.update(number_format="", kind="categorical")
    refused = editing.recipe_from_rows(rows, [], [], base=base)
    step = refused.step("balance")
    assert (step.kind, step.number_format, step.encoding, step.imputation) == (
        "categorical", None, "onehot", "most_frequent")
    compile_recipe(refused, frame)
    with pytest.raises(InputError, match="give it a number format"):
        compile_recipe(Recipe(steps=(num("balance"), ColumnStep(column="y", role="target",
                                                                kind="categorical"))), frame)
    with pytest.raises(InputError, match="Set kind 'numeric'"):
        ColumnStep(column="balance", kind="categorical", encoding="onehot", number_format="1,234.56")


def test_a_model_with_a_number_conversion_survives_skops(human, tmp_path):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from lifecycle.models.registry import TRUSTED_TYPES
    frame, _ = human
    recipe = default_recipe(frame, target="y")
    pipeline = Pipeline([("prep", compile_recipe(recipe, frame)), ("model", LogisticRegression())])
    pipeline.fit(frame.drop(columns="y"), frame["y"])
    sio.dump(pipeline, tmp_path / "m.skops")
    untrusted = set(sio.get_untrusted_types(file=tmp_path / "m.skops"))
    assert untrusted <= TRUSTED_TYPES, untrusted - TRUSTED_TYPES
