"""Stage 6's own status for the lifecycle strip: whether the production version is monitored, and
what needs someone now (open alerts, drifting features), in words.

Cheap on purpose (every page draws the strip): it reads the open alerts and whether any drift is
on record, never the log. Done: the production version has monitoring on record and no open
alert. To do: open alerts to acknowledge and resolve, or no monitoring on record yet (refresh).
Blocked: nothing serves production.
"""
from __future__ import annotations

from lifecycle.monitor.alerts import open_alerts
from lifecycle.monitor.drift import production_version
from lifecycle.monitor.drift_config import drift_rules
from lifecycle.monitor.summary import drift_words
from lifecycle.records import Project
from lifecycle.records.drift import INPUT
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.store import monitor_drift as drift_store
from lifecycle.workspace import Workspace


def stage_status(workspace: Workspace, project: Project) -> StageState:
    version = production_version(workspace, project.id)
    if version is None:
        return StageState(stage="Monitor", state=StageProgress.BLOCKED,
                          reason="Needs a version in production (Deploy) whose traffic can be watched.")
    alerts = open_alerts(workspace, project.id)
    mine = [a for a in alerts if a.model_version_id in (None, version.id)]
    drifting = [str(a.evidence.get("feature")) for a in mine if a.kind == "drift"
                and a.evidence.get("source", INPUT) == INPUT and a.evidence.get("feature")]
    head = f"Monitoring model v{version.version}: {drift_words(drifting)}"
    if alerts:
        return StageState(stage="Monitor", state=StageProgress.READY,
                          reason=f"{head}; {len(alerts)} open alert{'s' if len(alerts) != 1 else ''}: acknowledge or "
                                 "resolve with a comment.")
    size = drift_rules(workspace, project.id).window_seconds
    if version.id not in drift_store.versions_with_statistics(workspace.db.cursor(), project.id, size):
        return StageState(stage="Monitor", state=StageProgress.READY,
                          reason=f"Model v{version.version} serves production but no monitoring is on record yet: "
                                 "refresh once traffic arrives.")
    return StageState(stage="Monitor", state=StageProgress.DONE, reason=f"{head}; no open alert.")


STAGE = Stage(number=6, name="Monitor", status=stage_status,
              purpose="Watches traffic, latency, drift and live performance against the objectives, and raises "
                      "alerts.")
