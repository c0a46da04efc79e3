"""The Home page's portfolio is computed again only when the workspace's state has moved: a rerun
with nothing changed reuses it; an audited change (any state change) is seen at once."""
from __future__ import annotations

from lifecycle import portfolio
from lifecycle.problem import projects


def _counting(monkeypatch):
    calls = []
    original = portfolio.summarise
    monkeypatch.setattr(portfolio, "summarise", lambda workspace, project: calls.append(project.id) or original(
        workspace, project))
    return calls


def test_a_rerun_with_nothing_changed_reuses_the_portfolio(workspace, project, monkeypatch):
    calls = _counting(monkeypatch)
    first = portfolio.portfolio(workspace)
    assert [s.project.name for s in first] == ["Churn"] and calls == [project.id]
    again = portfolio.portfolio(workspace)
    assert again == first and calls == [project.id]  # not summarised again


def test_every_audited_change_is_seen_at_once(workspace, actors, project, monkeypatch):
    calls = _counting(monkeypatch)
    portfolio.portfolio(workspace)
    before = portfolio.state_stamp(workspace)
    projects.update_project(workspace, actors["analyst"], project.id, statement="Who leaves next month")
    assert portfolio.state_stamp(workspace) != before
    [changed] = portfolio.portfolio(workspace)
    assert changed.project.statement == "Who leaves next month" and len(calls) == 2
    projects.create_project(workspace, actors["analyst"], name="Upsell", task="binary", target="y",
                            positive_class="yes")
    assert [s.project.name for s in portfolio.portfolio(workspace)] == ["Churn", "Upsell"] and len(calls) == 4
