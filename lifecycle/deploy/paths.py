"""Where the Deploy stage keeps its files, beside the workspace (``<workspace>.files/``).

``deploy/<project id>/`` holds the manifest and the service's PID file; ``logs/<project id>/``
the prediction log (``predictions/``) and feedback (``feedback/``) as Parquet segments. The
scoring service is given these folders, never the database.
"""
from __future__ import annotations

from pathlib import Path


def files_dir(workspace_path: Path) -> Path:
    return Path(workspace_path).with_suffix(".files")


def deploy_dir(workspace_path: Path, project_id: int) -> Path:
    return files_dir(workspace_path) / "deploy" / str(int(project_id))


def log_dir(workspace_path: Path, project_id: int) -> Path:
    return files_dir(workspace_path) / "logs" / str(int(project_id))


def predictions_dir(log_folder: Path) -> Path:
    return Path(log_folder) / "predictions"


def feedback_dir(log_folder: Path) -> Path:
    return Path(log_folder) / "feedback"
