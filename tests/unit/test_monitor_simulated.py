"""The simulator against the drift engine: a shift injected into simulated history is confirmed in
the windows where it must be, and clean traffic, over 20 seeds, never confirms a drift."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest

from lifecycle.deploy.paths import log_dir
from lifecycle.monitor import history
from lifecycle.monitor.drift import refresh_drift
from lifecycle.monitor.drift_config import configure_drift, drift_rules
from lifecycle.monitor.drift_views import confirmed_drifts
from lifecycle.monitor.refresh import refresh
from lifecycle.monitor.replay_rows import simulation_dir
from lifecycle.monitor.windows import window_of
from lifecycle.store.db import close_database
from tests.unit.simulate_world import new_workspace, production_project, users

END = datetime(2026, 1, 10)  # a midnight: six-hour windows line up with the simulated days
WINDOW = 6 * 3600
DAYS, ROWS_PER_DAY = 2, 2400  # 600 rows per window, above the minimum window size


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("monitor-simulated") / "w.duckdb"
    workspace = new_workspace(path)
    # Replay draws from the held-out rows: 1,200 of them, so the pool itself is no drift (a pool of
    # 150 rows differs from the training rows by more than the minimum effect by chance alone).
    project = production_project(workspace, rows=4000)
    configure_drift(workspace, users(workspace)["analyst"], project.id, window_seconds=WINDOW)
    yield workspace, project
    close_database(path)


def _fresh_log(workspace, project) -> None:
    shutil.rmtree(log_dir(workspace.path, project.id), ignore_errors=True)
    (simulation_dir(workspace.path, project.id) / history.HISTORY_FILE).unlink(missing_ok=True)


def test_an_injected_shift_is_confirmed_in_the_expected_windows_and_raises_one_alert(world):
    workspace, project = world
    _fresh_log(workspace, project)
    end = END
    summary = history.write_history(workspace, project.id, days=DAYS, rows_per_day=ROWS_PER_DAY,
                                    drift="shift:age=+15", start_drift_day=1, label_share=0.0, seed=3, end=end)
    shift_from = window_of(summary.drift_from, WINDOW).start  # the last day is drifted: four windows
    assert shift_from == end - timedelta(days=1)
    done = refresh(workspace, project.id, now=end)
    k = drift_rules(workspace, project.id).consecutive
    inputs = [c for c in confirmed_drifts(workspace, project.id) if c.source == "input"]
    assert [c.feature for c in inputs] == ["age"], "only the shifted feature is confirmed"
    [age] = inputs
    # Confirmed from the first drifted window, over every drifted window, never before the shift.
    assert age.first_window == shift_from and k <= age.windows <= 4
    raised = [a for a in done.raised if a.kind == "drift"]
    assert len(raised) == 1 and "age" in raised[0].title
    assert refresh(workspace, project.id, now=end).raised == [], "a second refresh raises nothing new"


@pytest.mark.slow
def test_clean_traffic_confirms_no_drift_over_twenty_seeds(world):
    workspace, project = world
    confirmed = {}
    for seed in range(20):
        _fresh_log(workspace, project)
        end = END + timedelta(days=10 * (seed + 1))  # fresh windows for each run
        history.write_history(workspace, project.id, days=DAYS, rows_per_day=ROWS_PER_DAY, label_share=0.0,
                              seed=100 + seed, end=end)
        refresh_drift(workspace, project.id, now=end)
        found = confirmed_drifts(workspace, project.id, since=end - timedelta(days=DAYS))
        if found:
            confirmed[seed] = [(c.source, c.feature) for c in found]
    assert confirmed == {}, f"clean traffic confirmed drift: {confirmed}"
