"""The evidence charts the HTML model card draws: the same figures the Validate page shows, built
from the stored evidence (``lifecycle.charts``), never recomputed."""
from __future__ import annotations

import plotly.graph_objects as go

from lifecycle.errors import InputError
from lifecycle.govern.record import VersionRecord
from lifecycle.problem.objectives import CATALOGUE


def card_figures(record: VersionRecord) -> dict[str, go.Figure]:
    """Figures by chart name: ``metrics`` (test metrics with intervals), ``fairness`` (differences and
    ratios between groups) and ``importance`` (SHAP importance), each when its evidence is stored in
    a format this version of the app reads (an older one is left out; its tables stay in the card)."""
    from lifecycle.charts import explain_charts, fairness_charts, validation_charts
    from lifecycle.review.explain import Explanation
    from lifecycle.validate.fairness_review import FairnessReport
    from lifecycle.validate.report import ValidationReport

    figures: dict[str, go.Figure] = {}
    try:
        if record.validation is not None:
            report = ValidationReport.from_dict(record.validation.report)
            figures["metrics"] = validation_charts.metrics_figure(report.metrics, report.verdicts)
    except InputError:
        pass
    fairness = record.latest("fairness")
    try:
        if fairness is not None:
            objectives = tuple(o for o in (record.objectives.objectives if record.objectives else ())
                               if o.metric in CATALOGUE and CATALOGUE[o.metric].kind == "fairness")
            figures["fairness"] = fairness_charts.disparities_figure(FairnessReport.from_dict(fairness.payload),
                                                                     objectives)
    except InputError:
        pass
    explanation = record.latest("explanation")
    if explanation is not None:
        figures["importance"] = explain_charts.importance_figure(Explanation.from_payload(explanation.payload))
    return figures
