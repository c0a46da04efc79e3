"""SHAP speed: Lifecycle's explanation of a registered tree pipeline on 10,000 Adult rows vs
``shap.Explainer(model, background)`` with default settings on the same transformed rows.

Lifecycle's side is ``explain.explain_rows`` (recipe transform, path-dependent TreeExplainer,
values summed onto source columns, importance, interactions and drivers); SHAP's tree kernel
holds the GIL, so Lifecycle spreads the rows over one forked worker per core
(``lifecycle/row_parallel.py``). The default side is
``shap.Explainer(model, background)(rows)`` on the recipe's output, which for a tree model picks
the interventional TreeExplainer against the 100-row background. Both explain the same
histogram gradient boosting pipeline (the demo recipe, fitted on the training split). Repetitions
alternate which side goes first and medians are compared, since the machine is shared and noisy.
Goal: Lifecycle under 10 s. Run from the repository root:

    .venv/bin/python bench/shap_bench.py [--rows 10000] [--repeat 3] [--threads 1]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shap  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from _adult import adult_project  # noqa: E402
from lifecycle.review import explain  # noqa: E402
from lifecycle.develop.training import build_pipeline, training_frames  # noqa: E402

ALGORITHM = "hist_gradient_boosting"


def prepare(folder: Path):
    workspace, _, project, frozen, split = adult_project(folder, objectives=())
    return training_frames(workspace, project, frozen.id, split.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads (both sides)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(limits=args.threads):
        data = prepare(Path(folder))
        pipeline = build_pipeline(data.recipe, data.schema, ALGORITHM, "binary", {"max_iter": 100}, seed=0)
        pipeline.fit(data.X_train, data.y_train)
        # Adult's test split alone is 6,513 rows: explain test and validation rows, then training rows.
        pool = pd.concat([data.X_test, data.X_validation, data.X_train])
        rows = pool.iloc[: args.rows]
        background = explain.background_sample(data.X_train, seed=0)
        transformed = pipeline[:-1].transform(rows).to_numpy(dtype=float)
        background_t = pipeline[:-1].transform(background).to_numpy(dtype=float)
        print(f"Adult: {len(rows):,} rows x {len(data.feature_columns)} input columns "
              f"({transformed.shape[1]} after the recipe); {ALGORITHM} (100 iterations); "
              f"background {len(background)} rows; {args.threads} OpenMP thread(s)")

        def lifecycle_side() -> float:
            start = time.perf_counter()
            explainer = explain.PipelineExplainer(pipeline, background, task="binary", positive_label=">50K")
            result = explain.explain_rows(explainer, pipeline, rows, positive_label=">50K")
            seconds = time.perf_counter() - start
            assert np.allclose(result.base_value + result.values.sum(axis=1),
                               pipeline.decision_function(rows), atol=1e-5)
            return seconds

        def default_side() -> float:
            start = time.perf_counter()
            values = shap.Explainer(pipeline[-1], background_t)(transformed)
            seconds = time.perf_counter() - start
            assert values.values.shape == transformed.shape
            return seconds

        timings: dict[str, list[float]] = {"lifecycle": [], "default": []}
        for repeat in range(args.repeat):
            order = [("lifecycle", lifecycle_side), ("default", default_side)]
            for name, side in (order if repeat % 2 == 0 else order[::-1]):
                timings[name].append(side())
            print(f"  repeat {repeat + 1}: lifecycle {timings['lifecycle'][-1]:.2f} s, "
                  f"shap.Explainer default {timings['default'][-1]:.2f} s")
        ours, theirs = statistics.median(timings["lifecycle"]), statistics.median(timings["default"])
        print(f"median: Lifecycle (TreeExplainer, path-dependent, summed onto source columns) {ours:.2f} s; "
              f"shap.Explainer(model, background) default {theirs:.2f} s; ratio {ours / theirs:.2f}; "
              f"goal < 10 s: {'met' if ours < 10 else 'missed'}")


if __name__ == "__main__":
    main()
