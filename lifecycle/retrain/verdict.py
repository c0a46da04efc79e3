"""Where a running (or ended) A/B test stands: the labelled outcomes so far, progress toward the
planned size, and the always-valid verdict (``sequential.msprt``) that may be read at every refresh.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifecycle.clock import utc_now
from lifecycle.deploy.labels import class_labels
from lifecycle.monitor import labels as label_rules
from lifecycle.errors import NotFound
from lifecycle.models.registry import get_version
from lifecycle.problem.projects import get_project
from lifecycle.records import ABTest, ModelVersion
from lifecycle.retrain import outcomes as outcome_rules
from lifecycle.retrain.power import SamplePlan
from lifecycle.retrain.sequential import SequentialResult, msprt, paths
from lifecycle.store import abtests as abtest_store
from lifecycle.workspace import Workspace

CHALLENGER_BETTER, CHAMPION_BETTER = "challenger better", "champion better"
NO_DIFFERENCE, NO_OUTCOMES, TOO_FEW = "no detectable difference yet", "no labelled outcomes yet", "too few outcomes yet"
PATH_POINTS = 200  # points of the effect's path kept for the chart


@dataclass(frozen=True, kw_only=True)
class EffectPath:
    """The effect and its always-valid interval after each of ``outcomes`` labelled outcomes."""

    outcomes: tuple[int, ...]
    effect: tuple[float | None, ...]
    low: tuple[float | None, ...]
    high: tuple[float | None, ...]


@dataclass(frozen=True, kw_only=True)
class ABTestStatus:
    """An A/B test read from the logs: computed once, then only read (pages and the CLI show it)."""

    test: ABTest
    champion: ModelVersion
    challenger: ModelVersion
    plan: SamplePlan
    result: SequentialResult
    unusable: int  # labelled rows whose label or prediction could not be read as an outcome
    path: EffectPath

    @property
    def outcomes(self) -> int:
        return self.result.n_a + self.result.n_b

    @property
    def progress(self) -> float:
        """Labelled outcomes so far over the planned number, capped at 1."""
        return min(1.0, self.outcomes / max(self.plan.outcomes, 1))

    @property
    def higher_is_better(self) -> bool:
        return outcome_rules.higher_is_better(self.test.outcome)

    @property
    def winner(self) -> str | None:
        """"challenger" or "champion" once the test has decided, else None."""
        direction = self.result.direction * (1 if self.higher_is_better else -1)
        return {1: "challenger", -1: "champion"}.get(direction)

    @property
    def verdict(self) -> str:
        if self.outcomes == 0:
            return NO_OUTCOMES
        if not self.result.ready:
            return TOO_FEW
        return {"challenger": CHALLENGER_BETTER, "champion": CHAMPION_BETTER}.get(self.winner, NO_DIFFERENCE)

    @property
    def measure(self) -> str:
        return "accuracy" if self.test.outcome == outcome_rules.CORRECT else "mean absolute error"

    def sentence(self) -> str:
        """The verdict in plain words, with the effect and its interval."""
        champion, challenger = f"v{self.champion.version}", f"v{self.challenger.version}"
        if self.verdict == NO_OUTCOMES:
            return ("No labelled outcomes yet: the verdict needs feedback (the true label of answered requests, "
                    "POST /feedback).")
        if self.verdict == TOO_FEW:
            return (f"{self.outcomes:,} labelled outcomes ({champion}: {self.result.n_a:,}, {challenger}: "
                    f"{self.result.n_b:,}); evidence counts once each version has {self.result.min_per_arm}.")
        effect = _effect_text(self)
        if self.verdict == NO_DIFFERENCE:
            return (f"No detectable difference yet: {effect}. The test may go on; the verdict stays valid "
                    "whenever it is read.")
        winner = challenger if self.winner == "challenger" else champion
        return f"{winner} is better: {effect}."

    def to_dict(self) -> dict:
        """The numbers of the verdict, JSON-ready (what the CLI prints and a concluded test keeps)."""
        r = self.result
        return {"test_id": self.test.id, "verdict": self.verdict, "winner": self.winner, "test": r.test,
                "measure": self.measure, "outcomes": self.outcomes, "planned_outcomes": self.plan.outcomes,
                "champion": {"version_id": self.champion.id, "version": self.champion.version, "outcomes": r.n_a,
                             "mean": r.mean_a},
                "challenger": {"version_id": self.challenger.id, "version": self.challenger.version,
                               "outcomes": r.n_b, "mean": r.mean_b},
                "effect": r.effect, "low": r.low, "high": r.high, "p_value": r.p_value, "alpha": r.alpha,
                "tau2": r.tau2, "unusable": self.unusable, "sentence": self.sentence()}


def _effect_text(status: ABTestStatus) -> str:
    r = status.result
    scale, unit = (100, " points") if status.test.outcome == outcome_rules.CORRECT else (1, "")
    interval = ("" if r.low is None or r.high is None
                else f", always-valid {1 - r.alpha:.0%} interval {r.low * scale:+.3g} to {r.high * scale:+.3g}{unit}")
    return (f"challenger − champion {status.measure} = {r.effect * scale:+.3g}{unit}{interval}, "
            f"always-valid p = {r.p_value:.3g}")


def _path(arm: np.ndarray, values: np.ndarray, plan: SamplePlan, kind: str) -> EffectPath:
    if arm.size == 0:
        return EffectPath(outcomes=(), effect=(), low=(), high=())
    found = paths(arm, values, tau2=plan.tau2, alpha=plan.alpha, kind=kind)
    keep = np.unique(np.linspace(0, arm.size - 1, min(arm.size, PATH_POINTS)).astype(int))
    ready = np.isfinite(found["low"][keep])

    def clean(array: np.ndarray) -> tuple[float | None, ...]:
        return tuple(float(v) if ok else None for v, ok in zip(array[keep], ready))

    return EffectPath(outcomes=tuple(int(k) + 1 for k in keep), effect=clean(found["theta"]), low=clean(found["low"]),
                      high=clean(found["high"]))


def abtest_status(workspace: Workspace, test: ABTest) -> ABTestStatus:
    """Read ``test``'s labelled outcomes from the project's logs (from its start to its end, or now)
    and compute the mSPRT on them. Raises NotFound when a version of the test is gone."""
    project = get_project(workspace, test.project_id)
    champion, challenger = get_version(workspace, test.champion_id), get_version(workspace, test.challenger_id)
    found = label_rules.project_logs(workspace, project.id)
    frame = abtest_store.labelled_outcomes(found, label_rules.label_rule(project, found).sql_classes,
                                           version_ids=(champion.id, challenger.id), since=test.started_at,
                                           until=test.ended_at or utc_now())
    found = outcome_rules.outcomes(frame["prediction"], frame["label"], test.outcome,
                                   class_labels(workspace, project))
    arm = (frame["version_id"].to_numpy()[found.usable] == challenger.id) if len(frame) else np.zeros(0, bool)
    plan = SamplePlan(**test.plan)
    kind = "proportion" if test.outcome == outcome_rules.CORRECT else "mean"
    result = msprt(arm, found.values, tau2=plan.tau2, alpha=plan.alpha, kind=kind)
    return ABTestStatus(test=test, champion=champion, challenger=challenger, plan=plan, result=result,
                        unusable=found.unusable, path=_path(arm, found.values, plan, kind))


def running_status(workspace: Workspace, project_id: int) -> ABTestStatus | None:
    """The running A/B test of the project, read now; None when none runs."""
    test = abtest_store.running(workspace.db.cursor(), project_id)
    return None if test is None else abtest_status(workspace, test)


def get_test(workspace: Workspace, test_id: int) -> ABTest:
    """The A/B test with this id. Raises NotFound."""
    test = abtest_store.get(workspace.db.cursor(), test_id)
    if test is None:
        raise NotFound(f"No A/B test with id {test_id}.", "List them with `abtest status --project NAME`.")
    return test


def tests_for(workspace: Workspace, project_id: int) -> list[ABTest]:
    """Every A/B test of the project, newest first."""
    return abtest_store.for_project(workspace.db.cursor(), project_id)
