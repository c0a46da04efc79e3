"""Retire page, on the demo workspace: an admin retires the production version (the confirmation it needs
without a replacement), checks the archive, runs a clean-up from its dry run, and reads the hand-over report;
a stakeholder sees the controls disabled with the reason."""
from __future__ import annotations

from lifecycle import retire
from lifecycle.deploy import promotion
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.records import ModelState
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in
from tests.unit import retire_fixtures as rf


def _retire_page(user: str, project_id: int, section: str | None = None):
    app = signed_in(user)
    app.session_state["project_id"] = project_id
    app.switch_page("pages/retire.py").run()
    no_exceptions(app)
    if section is not None:
        app.radio(key="retire_section").set_value(section).run()
        no_exceptions(app)
    return app


def _button(app, label):
    return next(b for b in [*app.button, *app.get("form_submit_button")] if b.label == label)


def test_the_demo_holds_a_retired_version_with_an_intact_archive(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    [record] = retire.retirements(workspace, income.id)
    assert registry.get_version(workspace, record.model_version_id).state == ModelState.RETIRED
    app = _retire_page("sam", income.id, "Archive")
    assert [m.value for m in app.metric][1] == "1 of 4"  # v1, v2, v3 retired, v4 (the drift retrain)
    assert app.dataframe[0].value["Reason"].iloc[0] == record.reason
    _button(app, "Check archive").click().run()
    no_exceptions(app)
    assert app.success and "Archive intact" in app.success[0].value


def test_an_admin_retires_production_only_with_the_confirmation(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    live = next(v for v in registry.list_versions(workspace, income.id) if v.state == ModelState.PRODUCTION)
    app = _retire_page("admin", income.id)
    app.selectbox(key="retire_version").set_value(live.id)
    app.text_input(key="retire_reason").input("The pre-screening programme ended")
    _button(app, "Retire version").click().run()
    no_exceptions(app)
    assert app.error and "confirm that nothing replaces it" in app.error[0].value
    assert registry.get_version(workspace, live.id).state == ModelState.PRODUCTION

    app.selectbox(key="retire_version").set_value(live.id)
    app.text_input(key="retire_reason").input("The pre-screening programme ended")
    app.checkbox(key="retire_confirm").check()
    _button(app, "Retire version").click().run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    assert registry.get_version(workspace, live.id).state == ModelState.RETIRED
    assert promotion.manifest_for(workspace, income.id).versions == ()
    assert any("is retired and archived" in s.value for s in app.success)
    assert [m.value for m in app.metric][:2] == ["nothing", "2 of 4"]


def test_an_admin_cleans_up_from_the_dry_run_and_reads_the_hand_over(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    live = next(v for v in registry.list_versions(workspace, income.id) if v.state == ModelState.PRODUCTION)
    old, mixed = rf.log_segments(workspace, income.id, live.id, [[100, 120], [100, 2]])
    app = _retire_page("admin", income.id, "Data clean-up")
    app.checkbox(key="retention_keep_logs").uncheck()
    app.number_input(key="retention_days").set_value(90)
    _button(app, "Save rule").click().run()
    no_exceptions(app)
    assert retire.rule_for(workspace, income.id).log_days == 90
    _button(app, "Dry run: list what would go").click().run()
    no_exceptions(app)
    table = app.dataframe[-1].value
    assert list(table["Name"]) == [old.name, table["Name"].iloc[1]] and list(table["Rows"]) == [2, 2]
    assert old.exists()  # a dry run deletes nothing
    _button(app, "Delete these 2 items").click().run()
    no_exceptions(app)
    assert not old.exists() and mixed.exists()
    assert any("Clean-up #1 deleted 2 items" in s.value for s in app.success)
    [done] = retire.cleanups(workspace, income.id)
    assert done.created_by == "admin" and all(len(i.sha256) == 64 for i in done.items)

    app = _retire_page("sam", income.id, "Hand-over report")
    assert [b.label for b in app.get("download_button")] == ["Download Markdown", "Download HTML"]
    text = " ".join(m.value for m in app.markdown)
    assert "Hand-over report: Income over 50K" in text and "Retirements" in text
    assert "A/B decisions" in text  # the demo's concluded A/B test is one
    assert app.get("plotly_chart")


def test_a_stakeholder_sees_the_controls_disabled_with_the_reason(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    app = _retire_page("sam", income.id)
    assert _button(app, "Retire version").disabled
    assert any("may not retire model versions" in c.value for c in app.caption)
    app = _retire_page("ana", income.id, "Data clean-up")
    assert _button(app, "Dry run: list what would go").disabled
    assert any("may not set retention rules and delete data" in c.value for c in app.caption)


def test_every_page_renders_with_the_retired_version_in_focus(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    [record] = retire.retirements(workspace, income.id)
    pages = {"pages/validate.py": ("validate_section", ("Verdict", "Explain", "Fairness")),
             "pages/deploy.py": ("deploy_section", ("Promotion", "Scoring service", "Batch scoring")),
             "pages/retire.py": ("retire_section", ("Decommission", "Archive", "Data clean-up", "Hand-over report")),
             "pages/retrain.py": (None, ()), "pages/home.py": (None, ())}
    for page, (key, sections) in pages.items():
        app = signed_in("ana")
        app.session_state["project_id"] = income.id
        app.session_state["model_version_id"] = record.model_version_id
        app.switch_page(page).run()
        no_exceptions(app)
        for section in sections:
            app.radio(key=key).set_value(section).run()
            no_exceptions(app)
            assert not app.error, (page, section, [e.value for e in app.error])
