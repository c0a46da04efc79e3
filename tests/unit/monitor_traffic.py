"""Simulated traffic for the Monitor tests: a prediction log written by the service's own writer, with
labels drawn from the calibrated probabilities (Bernoulli of the logged positive probability)."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from lifecycle.deploy.paths import log_dir
from lifecycle.deploy.prediction_log import ANSWER, PredictionLog
from lifecycle.problem import projects

START = datetime(2026, 3, 2, 0, 0)  # a Monday, on an hour boundary
CLASSES = ("no", "yes")  # as the answers name them; "yes" is the positive class


def make_project(workspace, analyst, *, objectives=("recall>=0.5",), sensitive=("sex",), task="binary",
                 name="churn"):
    """A project whose answers name the classes "no" and "yes" (positive) for binary tasks."""
    return projects.create_project(workspace, analyst, name=name, task=task, target="churned",
                                   positive_class="yes" if task == "binary" else None, sensitive=sensitive,
                                   objectives=list(objectives))


def simulate(workspace, project, *, hours=3, per_hour=400, seed=0, version_id=7, label_share=1.0,
             probability=lambda rng, n, hour: rng.beta(2, 3, n), flip_labels_after=None, start=START,
             request_prefix="r"):
    """Log ``per_hour`` single-row requests per hour for ``hours`` hours (sex alternating F/M),
    predicted positive at p >= 0.5, and feedback for ``label_share`` of them: the label drawn from
    Bernoulli(p), so the probabilities are calibrated (``flip_labels_after`` hours: labels inverted
    from that hour on, a planted performance drop). Returns the rows as (request id, p, label)."""
    rng = np.random.default_rng(seed)
    log = PredictionLog(log_dir(workspace.path, project.id), flush_rows=10**6, flush_seconds=3600)
    out = []
    try:
        for hour in range(hours):
            p = probability(rng, per_hour, hour)
            truth = rng.binomial(1, p)
            if flip_labels_after is not None and hour >= flip_labels_after:
                truth = 1 - truth
            labelled = rng.random(per_hour) < label_share
            for i in range(per_hour):
                request_id = f"{request_prefix}{hour:03d}-{i:05d}"
                at = start + timedelta(hours=hour, seconds=i * 3600 // per_hour)
                log.log(request_id=request_id, version_id=version_id, version=1, role=ANSWER, route="predict",
                        status=200, latency_ms=2.0, inputs=[{"age": 30 + i % 40, "sex": "F" if i % 2 else "M"}],
                        predictions=[CLASSES[int(p[i] >= 0.5)]],
                        outputs=[{"no": float(1 - p[i]), "yes": float(p[i])}], time=at)
                label = CLASSES[int(truth[i])]
                if labelled[i]:
                    log.feedback(request_id, label, time=at + timedelta(minutes=5))
                out.append((request_id, float(p[i]), label))
        log.flush()
    finally:
        log.close()
    return out
