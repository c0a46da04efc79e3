"""Run inside bench/.venv-ydata: time ydata-profiling (minimal mode) on a CSV.

Prints two numbers: seconds to compute the description (what Lifecycle's profile computes),
then seconds to render the HTML report on top of it.
"""
import sys
import time

import pandas as pd
from ydata_profiling import ProfileReport

frame = pd.read_csv(sys.argv[1])  # reading is not timed, as for Lifecycle
start = time.perf_counter()
report = ProfileReport(frame, minimal=True, progress_bar=False)
report.get_description()
described = time.perf_counter() - start
report.to_html()
print(described, time.perf_counter() - start)
