"""Model versions ready for a sign-off, for tests of the stages that need an approved version.

A low-risk project blocks on the inventory entry, the intended purpose, performance with intervals,
the change log and the risks accepted (a reviewer's statement): ``make_signable`` fills the
project's framing and ``approve`` signs with that statement.
"""
from __future__ import annotations

from lifecycle.govern import signoff
from lifecycle.problem import projects

FRAMING = dict(statement="Predict churn to plan retention calls.", intended_use="Ranking customers for a call; "
               "an agent decides.", out_of_scope="Pricing or any automatic decision.")
METRICS = {"roc_auc": {"value": 0.91, "low": 0.88, "high": 0.94, "n": 40}}
RISKS = {"risks_accepted": signoff.ItemInput(judgement="accept", comment="Residual risks read and accepted.")}


def make_signable(workspace, analyst, project_id: int, *, risk_tier: str = "low") -> None:
    """Give the project its framing and ``risk_tier`` (what a sign-off at that tier reads)."""
    projects.update_project(workspace, analyst, project_id, risk_tier=risk_tier, **FRAMING)


def approve(workspace, reviewer, version_id: int, comment: str = "evidence reviewed", **items):
    """``reviewer`` signs the version off with the decision approve and the low tier's statement."""
    return signoff.sign_off(workspace, reviewer, version_id, decision="approve", comment=comment,
                            items={**RISKS, **items})
