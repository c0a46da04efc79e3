"""A page's warm rerun timed under AppTest (the script plus Streamlit's own work in the test harness,
so a slight overestimate): bench/pages_bench.py and bench/scale_bench.py."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

QUIET = "streamlit.runtime.scriptrunner_utils.script_run_context"  # AppTest's set-up warns outside a run

ROOT = Path(__file__).resolve().parents[1]


def warm_page_timings(page: str, *, user: str, section: str | None = None, project_id: int | None = None,
                      repeat: int = 5) -> list[float]:
    """Seconds of ``repeat`` reruns of ``page`` for ``user`` after two warm-up runs (caches filled,
    profiles computed and stored); ``section`` picks the Validate page's section, ``project_id`` the
    project in focus. Raises AssertionError with the page's exceptions when it shows one."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    logging.getLogger(QUIET).setLevel(logging.ERROR)  # after Streamlit has set its loggers' levels
    app.session_state["user"] = user
    if project_id is not None:
        app.session_state["project_id"] = project_id
    app.run()
    app.switch_page(page).run()
    if section:
        app.radio(key="validate_section").set_value(section).run()
    app.run()  # warm: caches filled, profile computed and stored
    timings = []
    for _ in range(repeat):
        begin = time.perf_counter()
        app.run()
        timings.append(time.perf_counter() - begin)
    assert not app.exception, (page, [e.value for e in app.exception])
    return timings
