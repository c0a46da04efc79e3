"""Evidently's side of bench/drift_bench.py; runs in bench/.venv-evidently (Evidently needs pandas < 3).

    bench/.venv-evidently/bin/python bench/_evidently_drift.py DATA_FOLDER NUMERIC_COLUMN...

Reads the reference and current frames (not timed), runs ``Report([DataDriftPreset()])`` with the
column types declared, and prints one JSON line: seconds, CPU seconds (every thread of the
process, ``time.process_time``), peak memory (ru_maxrss), and each
column's method, score and whether Evidently calls it drifted.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def main() -> None:
    folder, numeric = Path(sys.argv[1]), sys.argv[2:]
    reference = pd.read_parquet(folder / "reference.parquet")
    current = pd.read_parquet(folder / "current.parquet")
    definition = DataDefinition(numerical_columns=numeric,
                                categorical_columns=[c for c in reference.columns if c not in numeric])
    started, cpu = time.perf_counter(), time.process_time()
    snapshot = Report([DataDriftPreset()]).run(Dataset.from_pandas(current, data_definition=definition),
                                              Dataset.from_pandas(reference, data_definition=definition))
    result = snapshot.dict()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    columns = {}
    for metric in result["metrics"]:
        config = metric.get("config", {})
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        method, threshold, score = str(config["method"]), float(config["threshold"]), float(metric["value"])
        is_test = "p_value" in method or "test" in method.lower()  # tests: drift when p <= threshold
        columns[config["column"]] = {"method": method, "score": score, "threshold": threshold,
                                     "drift": score <= threshold if is_test else score >= threshold}
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "columns": columns, "flagged": [c for c, v in columns.items() if v["drift"]]}))


if __name__ == "__main__":
    main()
