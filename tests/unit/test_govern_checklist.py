"""The governance checklist: its items and sources, what blocks at each risk tier, the evidence each
item finds (or what to do), and the registry later stages plug their evidence into."""
from __future__ import annotations

import pytest

from lifecycle import auth
from lifecycle.govern import evidence_links, finders  # evidence_links registers every finder
from lifecycle.govern.checklist import BY_ID, ITEM_IDS, ITEMS, build, version_checklist
from lifecycle.govern.evidence_links import EvidenceLink, Found, finder
from lifecycle.govern.record import load_record
from lifecycle.errors import NotFound
from lifecycle.problem import projects
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit import deploy_model
from tests.unit.govern_fixtures import copy_workspace, signable_workspace

ISSUE_ITEMS = ("inventory", "intended_purpose", "regulations", "design_choices", "data_provenance",
               "training_data_bias", "validation_data", "performance_intervals", "group_accuracy",
               "robustness_calibration", "explanations_reviewed", "limitations", "benchmark_challenger",
               "monitoring_plan", "prediction_logging", "human_oversight", "risks_accepted", "privacy_security",
               "independent_validation", "change_log", "retirement_criteria")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("checklist") / "template.duckdb"
    return path, signable_workspace(path, risk_tier="medium")


@pytest.fixture
def trained(template, tmp_path):
    path = copy_workspace(template[0], tmp_path)
    workspace = open_workspace(path)
    yield workspace, template[1]
    close_database(path)


def test_every_item_the_issue_lists_with_its_sources():
    assert ITEM_IDS == ISSUE_ITEMS
    for item in ITEMS:
        assert item.title and item.asks.endswith("?") and item.sources, item.id
        assert any(s.startswith(("EU AI Act", "SR 11-7", "NIST AI RMF", "Model card")) for s in item.sources)
        assert finders.FINDERS[item.id], f"{item.id} has a source of evidence"
    assert {i.id for i in ITEMS if i.attestation} == {"regulations", "training_data_bias", "human_oversight",
                                                    "risks_accepted", "privacy_security", "retirement_criteria"}


def test_the_risk_tier_decides_which_items_block():
    blocking = {tier: {i.id for i in ITEMS if i.blocks(tier)} for tier in ("low", "medium", "high")}
    assert blocking["low"] == {"inventory", "intended_purpose", "performance_intervals", "risks_accepted",
                               "change_log"}
    assert blocking["low"] < blocking["medium"] < blocking["high"]
    assert blocking["medium"] - blocking["low"] == {"regulations", "design_choices", "data_provenance",
                                                    "validation_data", "group_accuracy", "explanations_reviewed",
                                                    "limitations", "human_oversight"}
    assert set(ISSUE_ITEMS) - blocking["high"] == {"monitoring_plan", "prediction_logging"}  # after deployment
    assert {i.id for i in ITEMS if i.blocks("unheard-of")} == blocking["high"]


def test_a_trained_version_finds_its_evidence_and_links_it(trained):
    workspace, version_id = trained
    found = version_checklist(workspace, version_id)
    status = {i.item.id: i.status for i in found.items}
    assert status["performance_intervals"] == status["explanations_reviewed"] == status["group_accuracy"] == "present"
    assert status["benchmark_challenger"] == "present" and status["design_choices"] == "present"
    assert status["regulations"] == status["human_oversight"] == "attestation"
    assert status["independent_validation"] == "attestation"  # validated by its builder: a reviewer must challenge
    assert status["monitoring_plan"] == status["prediction_logging"] == "missing"
    assert found.blocking_missing == ()
    performance = found.item("performance_intervals")
    assert performance.links[0].ref.startswith("validation:") and performance.links[0].page == "pages/validate.py"
    assert "95% interval" in performance.found.summary
    assert "naive baseline" in found.item("benchmark_challenger").found.summary
    monitoring = found.item("monitoring_plan")
    assert "stage 6 (Monitor)" in monitoring.found.todo and "roc_auc >= 0.6" in monitoring.found.todo
    assert found.counts() == {"present": 12, "missing": 2, "attestation": 7}


def test_missing_evidence_says_what_to_do_and_the_digest_follows_the_evidence(trained):
    workspace, version_id = trained
    before = version_checklist(workspace, version_id)
    record = load_record(workspace, version_id)
    analyst = auth.get_user(workspace, "analyst")
    projects.update_project(workspace, analyst, record.project.id, sensitive=[])
    after = version_checklist(workspace, version_id)
    group = after.item("group_accuracy")
    assert group.status == "missing" and group.blocking and "Declare the sensitive attributes" in group.found.todo
    assert [i.item.id for i in after.blocking_missing] == ["group_accuracy"]
    assert after.digest != before.digest


def test_a_registered_model_without_a_run_or_validation(tmp_path):
    path = tmp_path / "w.duckdb"
    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin")
    analyst = auth.add_user(workspace, admin, "analyst", "analyst")
    project = projects.create_project(workspace, analyst, name="Bare", task="binary", target="y", positive_class="yes")
    version, _, _ = deploy_model.register(workspace, analyst, project.id, run_id=99)
    found = version_checklist(workspace, version.id)
    assert found.item("design_choices").status == "missing" and "not on record" in found.item("design_choices").found.summary
    assert found.item("performance_intervals").found.todo.startswith("Validate the version")
    assert found.item("intended_purpose").status == "missing"
    assert found.item("change_log").status == "present"  # registering it is on the trail
    with pytest.raises(NotFound, match="No model version with id 404"):
        version_checklist(workspace, 404)
    close_database(path)


def test_a_later_stage_plugs_its_evidence_in_with_one_function(trained, monkeypatch):
    workspace, version_id = trained
    monkeypatch.setattr(finders, "FINDERS", {k: list(v) for k, v in finders.FINDERS.items()})

    @finder("monitoring_plan")
    def monitor_plan(record):
        return Found(status="present", summary=f"Drift and performance windows for v{record.version.version}.",
                     links=(EvidenceLink(label="Monitoring plan #1", ref="monitor:1", page="pages/monitor.py"),))

    found = build(load_record(workspace, version_id)).item("monitoring_plan")
    assert found.status == "present" and found.links[-1].ref == "monitor:1"
    assert "Drift and performance windows for v1." in found.found.summary
    assert BY_ID["monitoring_plan"].blocks_from is None


def test_monitoring_windows_and_ab_tests_are_evidence(workspace, actors, project):
    """Stage 6's stored performance windows and stage 7's A/B tests fill their items (the hook in use)."""
    from lifecycle.monitor.performance import refresh_performance
    from lifecycle.retrain import abtest
    from tests.unit.retrain_fixtures import champion_and_challenger, labelled_traffic

    champion, challenger = champion_and_challenger(workspace, actors)
    assert version_checklist(workspace, champion.id).item("monitoring_plan").status == "missing"
    abtest.start_abtest(workspace, actors["analyst"], project.id, champion_id=champion.id,
                        challenger_id=challenger.id, share=0.5)
    labelled_traffic(workspace, project.id, (champion.id, challenger.id), (0.8, 0.9), 200)
    refresh_performance(workspace, project.id, size_seconds=3600)

    monitored = version_checklist(workspace, champion.id).item("monitoring_plan")
    assert monitored.status == "present" and "1h windows: 1 stored, 100 of 100 predictions labelled" in \
        monitored.found.summary
    benchmark = version_checklist(workspace, challenger.id).item("benchmark_challenger")
    assert benchmark.status == "present" and "A/B test #1 as challenger: running" in benchmark.found.summary
    assert benchmark.links[-1].ref == "abtest:1" and benchmark.links[-1].page == "pages/retrain.py"


def test_governance_events_read_as_sentences_in_the_activity_feed(trained):
    from lifecycle.access import activity
    from lifecycle.govern import signoff

    workspace, version_id = trained
    statements = {item: signoff.ItemInput(judgement="accept", comment="stated")
                  for item in ("regulations", "human_oversight", "risks_accepted")}
    signoff.sign_off(workspace, auth.get_user(workspace, "reviewer"), version_id, decision="approve", comment="ok",
                     items=statements)
    sentences = [a.sentence for a in activity.recent(workspace, limit=2)]
    assert sentences == ["reviewer approved model v1 of Churn", "reviewer signed off model v1 of Churn: approved"]


def test_a_statement_signed_off_shows_as_attested_and_the_rules_and_digest_stay(trained):
    """A reviewer's accepted statement makes the item read ``attested``; its status (which the sign-off
    rules and the digest read) stays ``attestation``, so a second approver still states it."""
    from lifecycle.govern import signoff

    workspace, version_id = trained
    before = version_checklist(workspace, version_id)
    assert before.item("regulations").shown == "attestation" and before.shown_counts()["attested"] == 0
    signoff.sign_off(workspace, auth.get_user(workspace, "reviewer"), version_id, decision="reject",
                     comment="Not yet.", items={"regulations": signoff.ItemInput(judgement="accept", comment="GDPR"),
                                                "human_oversight": signoff.ItemInput(judgement="reject",
                                                                                     comment="nobody named")})
    after = version_checklist(workspace, version_id)
    regulations = after.item("regulations")
    assert regulations.status == "attestation" and regulations.shown == "attested"
    assert [(s.signer, s.comment) for s in regulations.statements] == [("reviewer", "GDPR")]
    assert after.item("human_oversight").shown == "attestation"  # rejected: no statement holds it
    assert after.item("performance_intervals").statements == ()  # evidence present: statements are for attestations
    assert after.shown_counts() == {"present": 12, "missing": 2, "attested": 1, "attestation": 6}
    assert after.counts() == before.counts() and after.digest == before.digest
    assert regulations in after.blocking_attestations  # each approver still states it
