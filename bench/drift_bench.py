"""Benchmark: the drift summary of 1,000,000 logged predictions × 14 features against a 30,000-row
reference, side by side with Evidently's ``DataDriftPreset`` on the same data.

    .venv/bin/python bench/drift_bench.py [--current-rows N] [--reference-rows N] [--repeat 3]
                                          [--skip-evidently]

The data are the bundled Adult census rows (``data/``): the reference is 30,000 rows drawn from
the train file; the current traffic is drawn with replacement from the train and test files,
with two planted shifts (``age`` + 5 years; ``workclass`` set to ``Self-emp-not-inc`` on 30% of
rows). The current rows are written as real prediction-log segments by the service's own segment
builder (``deploy.prediction_log.prediction_table``: each input a typed column, 10,000 rows a
segment, spread over one day), again in the log's first format (every input as JSON text, as
segments written before the log was typed hold them), and, for Evidently, as one plain Parquet
file. All are generated once with a fixed seed under ``bench/out/drift/``.

Each tool runs in its own process (Evidently in ``bench/.venv-evidently``, ``make bench-env``),
so peak memory is each process's ``ru_maxrss``. Lifecycle's time is cold: from the reference
rows (a DataFrame in memory, as Evidently's) through the reference profile to the per-feature
decisions, reading the typed Parquet log with nothing stored (the first read of the log). For
the old JSON log, cold (JSON parsed) and with each segment's values already parsed into its
typed columns file (``store.log_columns``). Evidently's is ``Report.run`` on
DataFrames already in memory (reading them is not counted). Printed: wall time (median of
``--repeat`` runs for Lifecycle), CPU time (every thread of the process, ``time.process_time``:
on a shared machine the wall time follows the load, the CPU time much less), peak memory, the
columns each flags, and false alarms (flagged columns that were not shifted).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out" / "drift"
EVIDENTLY = ROOT / "bench" / ".venv-evidently" / "bin" / "python"
NUMERIC = ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week")
SHIFTED = ("age", "workclass")
START = datetime(2026, 3, 2)
SEGMENT_ROWS = 10_000
SEED = 20260302


def _frames(reference_rows: int, current_rows: int):
    import numpy as np
    import pandas as pd

    train = pd.read_csv(ROOT / "data" / "adult_train.csv").drop(columns="income")
    test = pd.read_csv(ROOT / "data" / "adult_test.csv").drop(columns="income")
    rng = np.random.default_rng(SEED)
    reference = train.iloc[rng.choice(len(train), reference_rows, replace=False)].reset_index(drop=True)
    pool = pd.concat([train, test], ignore_index=True)
    current = pool.iloc[rng.integers(0, len(pool), current_rows)].reset_index(drop=True)
    current["age"] = current["age"] + 5
    moved = rng.random(current_rows) < 0.3
    current.loc[moved, "workclass"] = "Self-emp-not-inc"
    return reference, current


def _schema(columns):
    from lifecycle.records import InputColumn

    return tuple(InputColumn(name=c, dtype="integer" if c in NUMERIC else "string",
                             kind="numeric" if c in NUMERIC else "categorical") for c in columns)


def prepare(reference_rows: int, current_rows: int) -> Path:
    """Write the reference, the current frame and the current log (typed, and in the first, all-JSON
    format) once; returns their folder."""
    import pyarrow.parquet as pq

    from lifecycle.deploy.log_inputs import InputSpec
    from lifecycle.deploy.prediction_log import SPEC, prediction_table

    folder = OUT / f"ref{reference_rows}-cur{current_rows}-seed{SEED}-typed"
    if (folder / "done").exists():
        return folder
    reference, current = _frames(reference_rows, current_rows)
    folder.mkdir(parents=True, exist_ok=True)
    reference.to_parquet(folder / "reference.parquet")
    current.to_parquet(folder / "current.parquet")
    spec = InputSpec.of(_schema(current.columns))
    step = 86_400 / current_rows
    for log, row_spec in (("log", spec), ("json-log", None)):
        (folder / log).mkdir(exist_ok=True)
        for first in range(0, current_rows, SEGMENT_ROWS):
            n = min(SEGMENT_ROWS, current_rows - first)
            times = [START + timedelta(seconds=(first + i) * step) for i in range(n)]
            records = current.iloc[first:first + n].to_dict("records")
            table = prediction_table({
                "request_id": [f"r{first + i}" for i in range(n)], "row": [0] * n, "time": times,
                "version_id": [1] * n, "version": [1] * n, "role": ["answer"] * n, "route": ["predict"] * n,
                "status": [200] * n, "latency_ms": [1.0] * n, "inputs": records, "prediction": ['"<=50K"'] * n,
                "outputs": ['{"<=50K": 0.8, ">50K": 0.2}'] * n, "error": [None] * n, SPEC: [row_spec] * n})
            name = f"{times[0]:%Y%m%dT%H%M%S%f}-bench-{first // SEGMENT_ROWS:06d}.parquet"
            pq.write_table(table, folder / log / name, compression="zstd")
    (folder / "done").write_text("ok")
    return folder


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(folder: Path, size_seconds: int, cache: Path | None = None, log: str = "log") -> dict:
    """Lifecycle's drift summary, timed in this process (imports excluded), over the log in
    ``folder / log``; with ``cache``, the values of segments without typed columns are read from
    (or first parsed into) their typed columns files there."""
    import pandas as pd

    from lifecycle.monitor import drift_config, reference
    from lifecycle.monitor.drift import compute_windows
    from lifecycle.monitor.drift_decisions import decide_window
    from lifecycle.store import drift_log
    import lifecycle.data.recipe.transformers  # noqa: F401 - imported before the clock starts, as in the app

    frame = pd.read_parquet(folder / "reference.parquet")  # in memory, as Evidently's frames (not timed)
    started, cpu = time.perf_counter(), time.process_time()
    columns, values = reference.describe(frame, _schema(frame.columns))
    monitored = reference.monitored_columns(columns, values, None)
    profiled = time.perf_counter()
    counts, found = drift_log.window_counts(folder / log, version_id=1, size_seconds=size_seconds)
    counted = time.perf_counter()  # all a refresh costs when no window changed
    stats = compute_windows(folder / log, monitored, project_id=1, version_id=1, size_seconds=size_seconds,
                            windows=counts, now=START + timedelta(days=2), files=found.files, cache=cache)
    by_window: dict = {}
    for item in stats:
        by_window.setdefault(item.window_start, []).append(item)
    decided = {start: decide_window(items, drift_config.DEFAULT) for start, items in by_window.items()}
    finished, cpu_seconds = time.perf_counter(), time.process_time() - cpu
    flagged: dict[str, int] = {}
    for start, items in by_window.items():
        for item, decision in zip(items, decided[start]):
            if decision["drift"]:
                flagged[item.feature] = flagged.get(item.feature, 0) + 1
    first = sorted(by_window)[0]
    detail = {item.feature: {"test": d["statistic"], "p": d["p_value"], "p_bh": d["adjusted_p_value"],
                             "effect": d["effect_name"], "value": d["effect"], "drift": d["drift"],
                             "exact": item.exact}
              for item, d in zip(by_window[first], decided[first])}
    return {"seconds": finished - started, "cpu_seconds": cpu_seconds, "profile_seconds": profiled - started, "count_seconds": counted - profiled,
            "windows": len(by_window),
            "rows": sum(rows for _, rows in counts), "flagged": flagged, "detail": detail, "peak_mb": _peak_mb()}


def _run_ours(folder: Path, size_seconds: int, repeat: int, cache: Path | None = None, log: str = "log") -> dict:
    runs = []
    extra = (["--cache", str(cache)] if cache is not None else []) + ["--log", log]
    for _ in range(repeat):
        done = subprocess.run([sys.executable, __file__, "--worker", str(folder), "--size", str(size_seconds), *extra],
                              capture_output=True, text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        runs.append(json.loads(done.stdout))
    result = runs[-1]
    result["seconds"] = statistics.median(r["seconds"] for r in runs)
    result["cpu_seconds"] = statistics.median(r["cpu_seconds"] for r in runs)
    result["profile_seconds"] = statistics.median(r["profile_seconds"] for r in runs)
    result["count_seconds"] = statistics.median(r["count_seconds"] for r in runs)
    result["peak_mb"] = max(r["peak_mb"] for r in runs)
    return result


def _run_evidently(folder: Path) -> dict | None:
    if not EVIDENTLY.exists():
        print(f"(Evidently skipped: {EVIDENTLY} is missing; `make bench-env` creates it)")
        return None
    done = subprocess.run([str(EVIDENTLY), str(ROOT / "bench" / "_evidently_drift.py"), str(folder), *NUMERIC],
                          capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0:
        print("Evidently failed:", done.stderr.strip().splitlines()[-1:] or done.returncode)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _flag_words(flagged) -> str:
    names = sorted(flagged)
    false = [n for n in names if n not in SHIFTED]
    return f"{', '.join(names) or 'none'}  (false alarms: {', '.join(false) or 'none'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--current-rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=86_400, help=argparse.SUPPRESS)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--log", default="log", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.size, args.cache, args.log), default=str))
        return
    if args.prepare_only:
        print(prepare(args.reference_rows, args.current_rows))
        return
    print(f"Preparing {args.current_rows:,} logged rows × 14 features and a {args.reference_rows:,}-row reference ...")
    # in a process of its own: a child inherits its parent's peak memory (ru_maxrss) at fork
    folder = Path(subprocess.run([sys.executable, __file__, "--prepare-only", "--current-rows", str(args.current_rows),
                                  "--reference-rows", str(args.reference_rows)], capture_output=True, text=True,
                                 check=True).stdout.strip().splitlines()[-1])
    ours = _run_ours(folder, 86_400, args.repeat)
    hourly = _run_ours(folder, 3_600, 1)
    old = _run_ours(folder, 86_400, 1, log="json-log")
    cache = folder / "columns"
    shutil.rmtree(cache, ignore_errors=True)
    _run_ours(folder, 86_400, 1, cache, log="json-log")  # parses every segment once, as refreshes do as they arrive
    seen = _run_ours(folder, 86_400, args.repeat, cache, log="json-log")
    theirs = None if args.skip_evidently else _run_evidently(folder)
    print(f"\nDrift summary, {ours['rows']:,} logged rows × 14 features vs {args.reference_rows:,} reference rows "
          f"(planted: {', '.join(SHIFTED)})")
    print(f"{'':<34}{'time':>10}{'CPU time':>10}{'peak memory':>14}   flagged")
    print(f"{'Lifecycle (cold, typed log)':<34}{ours['seconds']:>9.2f}s{ours['cpu_seconds']:>9.2f}s"
          f"{ours['peak_mb']:>11.0f} MB   {_flag_words(ours['flagged'])}")
    print(f"{'  of which the reference profile':<34}{ours['profile_seconds']:>9.2f}s")
    print(f"{'  a refresh with nothing new':<34}{ours['count_seconds']:>9.2f}s   (counting the windows' rows)")
    print(f"{'Lifecycle, 24 hourly windows':<34}{hourly['seconds']:>9.2f}s{hourly['peak_mb']:>11.0f} MB   "
          f"{', '.join(f'{k} in {v}' for k, v in sorted(hourly['flagged'].items())) or 'none'}")
    print(f"{'Old all-JSON log, cold':<34}{old['seconds']:>9.2f}s{old['peak_mb']:>11.0f} MB   "
          f"{_flag_words(old['flagged'])}")
    print(f"{'Old all-JSON log, segments seen':<34}{seen['seconds']:>9.2f}s{seen['peak_mb']:>11.0f} MB   "
          f"{_flag_words(seen['flagged'])}  (each segment's JSON parsed once, store.log_columns)")
    if theirs is not None:
        print(f"{'Evidently DataDriftPreset (in RAM)':<34}{theirs['seconds']:>9.2f}s{theirs['cpu_seconds']:>9.2f}s"
              f"{theirs['peak_mb']:>11.0f} MB   {_flag_words(theirs['flagged'])}")
        print(f"Lifecycle is {theirs['seconds'] / ours['seconds']:.0f}× faster cold on the typed log "
              f"({theirs['seconds'] / old['seconds']:.0f}× on an old all-JSON log, "
              f"{theirs['seconds'] / seen['seconds']:.0f}× once its segments were seen), "
              f"{theirs['cpu_seconds'] / ours['cpu_seconds']:.0f}× less CPU time cold, and uses "
              f"{theirs['peak_mb'] / ours['peak_mb']:.1f}× less memory.")
    print("\nPer feature (Lifecycle: test, BH-adjusted p, effect; Evidently: method, score):")
    for name, d in ours["detail"].items():
        line = (f"  {name:<16} {d['test']:<5} p_bh={d['p_bh']:<9.2g} {d['effect']:<15}{d['value']:>7.3f} "
                f"{'DRIFT' if d['drift'] else '     '}{'' if d['exact'] else ' (grid)'}")
        if theirs is not None and name in theirs["columns"]:
            e = theirs["columns"][name]
            line += f"   | {e['method']:<32}{e['score']:>9.3g} {'DRIFT' if e['drift'] else ''}"
        print(line)


if __name__ == "__main__":
    main()
