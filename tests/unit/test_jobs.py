"""The background job registry: jobs filed by workspace and project, and which watched jobs ended."""
from __future__ import annotations

import threading

from lifecycle import jobs


def test_jobs_are_filed_by_workspace_and_project_and_ended_says_which_finished(workspace, tmp_path):
    release = threading.Event()

    def waits(progress, cancel, **_):
        release.wait(10)

    job = jobs.start("waits", waits, workspace=workspace, project_id=1)
    assert jobs.active_for(workspace, 1) == [job]
    assert jobs.active_for(workspace, 2) == []

    class Elsewhere:  # another workspace in the same process sees none of this workspace's jobs
        path = tmp_path / "other.duckdb"

    assert jobs.recent_for(Elsewhere(), 1) == []
    assert jobs.ended({job.id}) == set()
    release.set()
    assert job.join(timeout=10)
    assert jobs.ended({job.id}) == {job.id}
    assert jobs.ended({10**9}) == {10**9}  # forgotten by the registry: ended
