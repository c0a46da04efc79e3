"""The shadow against production on live traffic: both scored the same requests (the shadow without
answering), so their predictions pair up by request id and row. Reported: how often they agree
(classification; Wilson interval from statsmodels) or how far apart they are (regression), and,
for the pairs whose true label came back, each one's outcome and McNemar's test on the paired
right/wrong answers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifecycle.deploy.labels import class_labels
from lifecycle.monitor import labels as label_rules
from lifecycle.deploy.promotion import manifest_for
from lifecycle.problem.projects import get_project
from lifecycle.retrain import outcomes as outcome_rules
from lifecycle.retrain.stats_tests import McNemar, mcnemar_test
from lifecycle.store import abtests as abtest_store
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class ShadowComparison:
    """Production (``answer_id``) against the shadow (``shadow_id``) on the requests both scored."""

    answer_id: int
    shadow_id: int
    kind: str  # outcomes.CORRECT or outcomes.ABSOLUTE_ERROR
    pairs: int
    agreement: float | None  # classification: share of pairs with the same prediction
    agreement_low: float | None
    agreement_high: float | None
    mean_gap: float | None  # regression: mean |answered − shadowed|
    labelled: int
    answer_outcome: float | None  # accuracy or mean absolute error on the labelled pairs
    shadow_outcome: float | None
    mcnemar: McNemar | None

    def sentence(self) -> str:
        if self.pairs == 0:
            return "The shadow has not scored any request beside production yet."
        if self.kind == outcome_rules.CORRECT:
            head = (f"On {self.pairs:,} rows both scored, they agree on {self.agreement:.1%} "
                    f"(95% interval {self.agreement_low:.1%} to {self.agreement_high:.1%}).")
        else:
            head = f"On {self.pairs:,} rows both scored, their predictions differ by {self.mean_gap:.4g} on average."
        if self.labelled == 0:
            return head + " No true label has come back for them yet."
        measure = "accuracy" if self.kind == outcome_rules.CORRECT else "mean absolute error"
        tail = f" On the {self.labelled:,} labelled: {measure} {self.answer_outcome:.4g} (production) against " \
               f"{self.shadow_outcome:.4g} (shadow)"
        if self.mcnemar is not None:
            tail += f", McNemar p = {self.mcnemar.p_value:.3g}"
        return head + tail + "."


def shadow_comparison(workspace: Workspace, project_id: int) -> ShadowComparison | None:
    """Production against the current shadow, from the project's logs; None when no shadow is set."""
    from statsmodels.stats.proportion import proportion_confint

    manifest = manifest_for(workspace, project_id)
    if manifest is None or manifest.shadow is None or manifest.production is None:
        return None
    project = get_project(workspace, project_id)
    labels = class_labels(workspace, project)
    kind = outcome_rules.outcome_kind(project.task)
    found = label_rules.project_logs(workspace, project_id)
    answer_id, shadow_id = manifest.production.version_id, manifest.shadow.version_id
    frame = abtest_store.shadow_pairs(found, label_rules.label_rule(project, found).sql_classes, answer_id=answer_id,
                                      shadow_id=shadow_id)
    agreement = low = high = gap = None
    if len(frame) and kind == outcome_rules.CORRECT:
        same = outcome_rules.outcomes(frame["answered"], frame["shadowed"], kind, labels)
        agreement = float(same.values.mean()) if same.values.size else None
        if same.values.size:
            low, high = (float(v) for v in proportion_confint(int(same.values.sum()), same.values.size,
                                                              method="wilson"))
    elif len(frame):
        gaps = outcome_rules.outcomes(frame["answered"], frame["shadowed"], kind, labels)
        gap = float(gaps.values.mean()) if gaps.values.size else None
    labelled = frame[frame["label"].notna()] if len(frame) else frame
    answer = outcome_rules.outcomes(labelled["answered"], labelled["label"], kind, labels) if len(labelled) else None
    shadow = outcome_rules.outcomes(labelled["shadowed"], labelled["label"], kind, labels) if len(labelled) else None
    both = answer is not None and answer.values.size and np.array_equal(answer.usable, shadow.usable)
    mcnemar = (mcnemar_test(answer.values.astype(bool), shadow.values.astype(bool))
               if both and kind == outcome_rules.CORRECT else None)
    return ShadowComparison(answer_id=answer_id, shadow_id=shadow_id, kind=kind, pairs=len(frame),
                            agreement=agreement, agreement_low=low, agreement_high=high, mean_gap=gap,
                            labelled=int(answer.values.size) if answer is not None else 0,
                            answer_outcome=float(answer.values.mean()) if answer is not None and answer.values.size
                            else None,
                            shadow_outcome=float(shadow.values.mean()) if shadow is not None and shadow.values.size
                            else None,
                            mcnemar=mcnemar)
