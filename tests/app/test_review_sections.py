"""The Validate page's sections as a reviewer reads them: one section at a time, the demo model's
explanation and fairness review read from the store, mitigation offered only to analysts."""
from __future__ import annotations

import html

from lifecycle import evidence
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in


def _validate_page(demo_app, user: str):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    version = registry.list_versions(workspace, income.id)[0]  # v1, in production: the version in focus
    app = signed_in(user)
    app.session_state["project_id"] = income.id
    app.switch_page("pages/validate.py").run()
    no_exceptions(app)
    return app, workspace, version


def _titles(app) -> list[str]:
    import json
    return [html.unescape(json.loads(c.proto.spec).get("layout", {}).get("title", {}).get("text", ""))
            for c in app.get("plotly_chart")]


def test_sections_render_one_at_a_time(demo_app):
    app, _, _ = _validate_page(demo_app, "rey")
    section = app.radio(key="validate_section")
    assert section.value == "Verdict" and "Explain" in section.options and "Fairness" in section.options
    assert not app.get("plotly_chart")  # the verdict is text: no chart is built for it
    section.set_value("Metrics & curves").run()
    no_exceptions(app)
    assert len(app.get("plotly_chart")) == 5  # metrics, confusion, ROC, precision-recall, calibration
    app.radio(key="validate_section").set_value("Robustness").run()
    assert len(app.get("plotly_chart")) == 1


def test_reviewer_reads_the_demo_explanation_and_fairness_review_without_waiting(demo_app):
    app, workspace, version = _validate_page(demo_app, "rey")
    before = len(evidence.for_version(workspace, version.id))
    app.radio(key="validate_section").set_value("Explain").run()
    no_exceptions(app)
    assert len(app.get("plotly_chart")) == 1  # importance; the other views render when chosen
    assert any(m.value.startswith("**What drives the model most**") for m in app.markdown)
    assert not any(b.label == "Compute explanation" for b in app.button)

    app.radio(key="validate_section").set_value("Fairness").run()
    no_exceptions(app)
    # The verdict's fairness objective, judged on the same review, with its interval and grouping.
    judged = next(html.unescape(m.value) for m in app.markdown
                  if "demographic_parity_difference" in html.unescape(m.value))
    assert "advisory" in judged and "worst grouping" in judged and "95% interval" in judged
    titles = _titles(app)
    assert any(t.startswith("Differences and ratios") for t in titles)
    assert any(t.startswith("Metrics by group") for t in titles)
    assert len(evidence.for_version(workspace, version.id)) == before  # nothing recomputed
    create = next(b for b in app.button if b.label == "Create mitigated candidate")
    assert create.disabled  # reviewers read; analysts mitigate
