"""Tracking overhead: Lifecycle's tracked random search vs a bare RandomizedSearchCV on Adult.

Both sides search the same 20 candidates of histogram gradient boosting (the catalogue's
default space, the same seed) inside the same pipeline (the demo-style default recipe), with
the same 5-fold stratified splitter, the same scorers and one job. Lifecycle's side is the
whole ``run_search`` call: it reloads the frozen dataset version, recomputes and checks the
split, and writes every trial as a run with an audit trail. The bare side is only
``RandomizedSearchCV(..., refit=False).fit`` on data already in memory. Repetitions are
interleaved (alternating which side goes first) and medians compared, since the machine is
shared and noisy. OpenMP (histogram gradient boosting's threads) is limited to ``--threads``
(default 1) on both sides: on a shared 2-core machine a second busy process makes multi-threaded
fits stall at every barrier, which swamps the overhead being measured. Goal: ratio <= 1.05.
Run from the repository root:

    .venv/bin/python bench/tracking_bench.py [--repeat 3] [--trials 20] [--folds 5] [--threads 1]
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

from sklearn.model_selection import RandomizedSearchCV  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from _adult import adult_project  # noqa: E402
from lifecycle.problem import metrics  # noqa: E402
from lifecycle.develop.catalogue import get_algorithm, parse_space  # noqa: E402
from lifecycle.develop.search import candidates, run_search  # noqa: E402
from lifecycle.store.db import close_database  # noqa: E402
from lifecycle.develop.training import build_pipeline, run_metrics, splitter, training_frames  # noqa: E402

ALGORITHM = "hist_gradient_boosting"


def prepare(folder: Path):
    return adult_project(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads per fit (both sides)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(limits=args.threads):
        workspace, analyst, project, frozen, split = prepare(Path(folder))
        data = training_frames(workspace, project, frozen.id, split.id)
        space = get_algorithm(ALGORITHM).default_space("binary", "random")
        parsed = parse_space(ALGORITHM, "binary", space)
        scoring = metrics.scorers_for(run_metrics(workspace, project))
        print(f"Adult: {len(data.y_train):,} training rows x {len(data.feature_columns)} input columns; "
              f"{args.trials} random candidates of {ALGORITHM} x {args.folds} folds; scorers {sorted(scoring)}; "
              f"{args.threads} OpenMP thread(s)")

        def tracked():
            result = run_search(workspace, analyst, project_id=project.id, dataset_id=frozen.id, split_id=split.id,
                                algorithm=ALGORITHM, method="random", trials=args.trials, seed=args.seed,
                                space=space, cv_folds=args.folds)
            assert len(result.runs) == args.trials and all(r.ok for r in result.runs)
            return [r.params for r in result.runs]

        def bare():
            pipeline = build_pipeline(data.recipe, data.schema, ALGORITHM, "binary", {}, args.seed)
            grid = RandomizedSearchCV(pipeline, {f"model__{k}": v for k, v in parsed.items()}, n_iter=args.trials,
                                      scoring=scoring, cv=splitter("binary", args.folds, args.seed), refit=False,
                                      n_jobs=1, random_state=args.seed, error_score="raise")
            grid.fit(data.X_train, data.y_train)
            return [{k.removeprefix("model__"): v for k, v in p.items()} for p in grid.cv_results_["params"]]

        expected = candidates("random", parsed, args.trials, args.seed)
        times: dict[str, list[float]] = {"lifecycle": [], "bare": []}
        sides = {"lifecycle": tracked, "bare": bare}
        for repetition in range(args.repeat):
            order = ["lifecycle", "bare"] if repetition % 2 == 0 else ["bare", "lifecycle"]
            for name in order:
                start = time.perf_counter()
                params = sides[name]()
                times[name].append(time.perf_counter() - start)
                same = [{k: float(v) for k, v in p.items() if v is not None} for p in params] == \
                       [{k: float(v) for k, v in p.items() if v is not None} for p in expected]
                assert same, f"{name} searched other candidates"
            print(f"  repetition {repetition + 1}: lifecycle {times['lifecycle'][-1]:7.1f} s   "
                  f"bare {times['bare'][-1]:7.1f} s", flush=True)
        tracked_s, bare_s = statistics.median(times["lifecycle"]), statistics.median(times["bare"])
        print(f"\n{'':28}{'median s':>10}")
        print(f"{'Lifecycle run_search':28}{tracked_s:10.1f}   ({args.trials} runs on record, audit, data reload)")
        print(f"{'bare RandomizedSearchCV':28}{bare_s:10.1f}")
        print(f"{'ratio (goal <= 1.05)':28}{tracked_s / bare_s:10.3f}")
        close_database(Path(folder) / "bench.duckdb")


if __name__ == "__main__":
    main()
