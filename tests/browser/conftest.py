"""Browser tests: `streamlit run app.py` on a fresh demo workspace, driven by the system Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser_workspace(tmp_path_factory) -> Path:
    """The demo workspace the app serves (the app holds the database; tests may write only its log files)."""
    workspace = tmp_path_factory.mktemp("browser") / "workspace.duckdb"
    # Seed here, so the app starts on a ready demo (the seeding progress itself is an AppTest's job).
    from lifecycle import demo
    from lifecycle.store.db import close_database
    from lifecycle.workspace import open_workspace

    demo.seed_demo(open_workspace(workspace))
    close_database(workspace)
    return workspace


@contextmanager
def streamlit_app(workspace: Path, **env_extra: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` on ``workspace`` (a free local port): yields its URL and the process once
    it answers its health check; stops it afterwards (the workspace file is free again then)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `apt-get install -y chromium` (.ci/run does this).")
    port = _free_port()
    env = {**os.environ, "LIFECYCLE_WORKSPACE": str(workspace), "LIFECYCLE_DEMO": "1", **env_extra}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("streamlit did not become healthy in 60 s:\n" + process.stdout.read().decode()[-3000:])
    try:
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def app_url(browser_workspace):
    with streamlit_app(browser_workspace) as (url, _process):
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]}
