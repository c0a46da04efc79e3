"""Every page's script, warm, on the demo workspace: goal under 0.5 s each.

Times a full AppTest rerun of each page (the script plus Streamlit's own work in the test
harness, so a slight overestimate), median of 5 after two warm-up runs.
Run: .venv/bin/python bench/pages_bench.py
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["LIFECYCLE_WORKSPACE"] = str(Path(tempfile.mkdtemp(prefix="lifecycle-pages-")) / "demo.duckdb")

from streamlit.testing.v1 import AppTest  # noqa: E402

from lifecycle import demo  # noqa: E402
from lifecycle.workspace import open_workspace  # noqa: E402

PAGES = ["pages/home.py", "pages/problem.py", "pages/data.py", "pages/develop.py", "pages/validate.py"]
GOAL = 0.5


def main() -> None:
    start = time.perf_counter()
    demo.seed_demo(open_workspace(os.environ["LIFECYCLE_WORKSPACE"]))
    print(f"demo seeded in {time.perf_counter() - start:.2f} s")
    print(f"{'page':<22}{'median s':>10}{'max s':>10}  goal < {GOAL} s")
    for page in PAGES:
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        app.session_state["user"] = "ana"
        app.run()
        app.switch_page(page).run()
        app.run()  # warm: caches filled, profile computed and stored
        timings = []
        for _ in range(5):
            begin = time.perf_counter()
            app.run()
            timings.append(time.perf_counter() - begin)
        assert not app.exception, [e.value for e in app.exception]
        median = sorted(timings)[2]
        print(f"{page:<22}{median:>10.3f}{max(timings):>10.3f}  {'met' if median < GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
