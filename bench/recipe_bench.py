"""Compiled default recipe vs a hand-written scikit-learn ColumnTransformer on Adult.

Prints the median (of 5) ``fit_transform`` time of ``compile_recipe(default_recipe(...))``
and of a plain ``ColumnTransformer`` doing the same preparation (median imputation +
standard scaling of the numeric columns, most-frequent imputation + one-hot encoding of the
categorical ones), on 3,333 and 32,561 rows, and their ratio. Run from the repository root:

    .venv/bin/python bench/recipe_bench.py [--repeat 5] [--cv]

``--cv`` also times a 3-fold cross-validation of a HistGradientBoosting pipeline on the
3,333-row sample (the feasibility check's workload). The machine may be shared and noisy,
so every number is a median.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_validate  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from lifecycle.data.recipe.compiler import compile_recipe, default_recipe  # noqa: E402

ADULT = ROOT / "data" / "adult_train.csv"
TARGET, SENSITIVE = "income", ("sex", "race")
SIZES = (3_333, 32_561)


def plain_transformer(recipe, dense: bool = False) -> ColumnTransformer:
    """The hand-written reference; ``dense`` one-hot output for models that need it."""
    steps = recipe.model_steps
    numeric = [s.column for s in steps if s.kind == "numeric"]
    categorical = [s.column for s in steps if s.kind == "categorical"]
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(handle_unknown="ignore",
                                            sparse_output=not dense)), categorical),
    ])


def median_seconds(functions: dict, repeat: int) -> dict[str, float]:
    """Median wall time of each function; runs are interleaved so noise hits all alike."""
    timings: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            timings[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cv", action="store_true", help="also time a 3-fold HGB CV")
    args = parser.parse_args()
    adult = pd.read_csv(ADULT, na_values=["?"])
    print(f"fit_transform seconds, median of {args.repeat} interleaved runs. plain: sparse "
          "one-hot, numpy out; plain+pd: dense one-hot, pandas out (as the recipe).")
    print(f"{'rows':>7} {'recipe s':>9} {'plain s':>9} {'plain+pd s':>10} {'ratio':>6} "
          f"{'ratio pd':>8}")
    for rows in SIZES:
        df = adult if rows >= len(adult) else adult.sample(n=rows, random_state=0)
        recipe = default_recipe(df, target=TARGET, sensitive=SENSITIVE)
        X = df.drop(columns=[TARGET])
        compiled, plain, plain_pd = median_seconds({
            "recipe": lambda: compile_recipe(recipe, df).fit_transform(X),
            "plain": lambda: plain_transformer(recipe).fit_transform(X),
            "plain_pd": lambda: plain_transformer(recipe, dense=True).set_output(
                transform="pandas").fit_transform(X),
        }, args.repeat).values()
        print(f"{len(df):>7,} {compiled:>9.4f} {plain:>9.4f} {plain_pd:>10.4f} "
              f"{compiled / plain:>5.2f}x {compiled / plain_pd:>7.2f}x")
    if args.cv:
        df = adult.sample(n=SIZES[0], random_state=0)
        recipe = default_recipe(df, target=TARGET, sensitive=SENSITIVE)
        X, y = df.drop(columns=[TARGET]), (df[TARGET] == ">50K").astype(int)
        folds = StratifiedKFold(3, shuffle=True, random_state=0)

        def cv(prep):
            model = HistGradientBoostingClassifier(random_state=0)
            return lambda: cross_validate(Pipeline([("prep", prep()), ("model", model)]),
                                          X, y, cv=folds)

        seconds = median_seconds({"recipe": cv(lambda: compile_recipe(recipe, df)),
                                  "plain": cv(lambda: plain_transformer(recipe, dense=True))},
                                 max(1, args.repeat // 2))
        for label, value in seconds.items():
            print(f"3-fold HGB CV on {len(df):,} rows, {label} preprocessing: {value:.3f} s")


if __name__ == "__main__":
    main()
