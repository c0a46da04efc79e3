"""A tiny Streamlit script for ``test_kill_nine.py``: run by a real ``streamlit run`` server, it takes the
workspace through the app's own process-wide handle (``ui.state.workspace``, a ``st.cache_resource``) and
ingests a file through the Data stage, stopped after the frozen file is written and before its record:
it writes the marker file the test polls for, and waits there to be killed with SIGKILL."""
from __future__ import annotations

import os
import time
from pathlib import Path

from lifecycle import auth
from lifecycle.data import datasets
from lifecycle.store import datasets as dataset_store
from ui import state


def stop(*_args, **_kwargs):
    Path(os.environ["KILL_MARKER"]).write_text("READY")
    time.sleep(600)


workspace = state.workspace()
dataset_store.insert = stop
source = Path(os.environ["KILL_UPLOAD"])
datasets.ingest_bytes(workspace, auth.get_user(workspace, "analyst"), int(os.environ["KILL_PROJECT"]),
                      source.read_bytes(), source.name)
