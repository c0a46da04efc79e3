"""The model card (Markdown through skops.card, and HTML), the Annex IV documentation pack and the
Govern commands, on a trained version of a project with a hostile name: every user text stays literal."""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile

import pytest

from lifecycle import auth
from lifecycle.cli import main
from lifecycle.errors import InputError
from lifecycle.govern import annex_iv, signoff
from lifecycle.govern.card import model_card
from lifecycle.govern.document import md_literal
from lifecycle.store import audit_log
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit.govern_fixtures import copy_workspace, signable_workspace

HOSTILE = "<script>alert(1)</script> **bold** | [x](javascript:alert(1)) =cmd"
COMMENT = "<img src=x onerror=alert(2)> reviewed | all `code` ok"
STATEMENTS = {item: signoff.ItemInput(judgement="accept", comment=COMMENT) for item in (
    "regulations", "human_oversight", "risks_accepted")}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("documents") / "template.duckdb"
    return path, signable_workspace(path, risk_tier="medium", name=HOSTILE)


@pytest.fixture
def signed(template, tmp_path):
    """The version signed off (medium risk: one reviewer) with hostile comments."""
    path = copy_workspace(template[0], tmp_path)
    workspace = open_workspace(path)
    signoff.sign_off(workspace, auth.get_user(workspace, "reviewer"), template[1], decision="conditional",
                     comment=COMMENT, items={**STATEMENTS, "monitoring_plan": signoff.ItemInput(
                         judgement="condition", comment="drift | watched <b>weekly</b>")})
    yield workspace, template[1]
    close_database(path)


def _unescaped_bars(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_the_markdown_card_has_the_model_card_sections_and_literal_text(signed):
    workspace, version_id = signed
    card = model_card(workspace, version_id, "md")
    assert card.startswith("# Model card\\: " + md_literal(HOSTILE).replace("\\/", "/"))
    headings = [line for line in card.splitlines() if line.startswith("## ")]
    assert headings == ["## Model Details", "## Uses", "## Bias\\, Risks\\, and Limitations", "## Training Details",
                        "## Evaluation", "## Model Examination", "## How to Get Started with the Model",
                        "## Governance", "## Model Card Authors"]
    for raw in ("<script>", "<img", "**bold**", "](javascript", "<b>"):  # never markup: each character escaped
        assert not re.search(r"(?<!\\)" + re.escape(raw), card), raw
    assert md_literal(COMMENT) in card and "drift \\| watched \\<b\\>weekly\\<\\/b\\>" in card
    signoff_rows = [line for line in card.splitlines() if line.startswith("| ") and "reviewer \\(reviewer\\)" in line]
    assert signoff_rows and all(_unescaped_bars(line) == 6 for line in signoff_rows)  # five cells, whatever the comment
    assert "Signed off\\: 1 of 1 reviewer approved \\(reviewer\\)" in card
    assert "| monitoring\\_plan | drift \\| watched" in card  # the condition, under Recommendations
    # skops' metrics table: each metric with its interval
    assert re.search(r"\| *roc\\_auc *\| *0\\\.\d{4} \\\[0\\\.\d{4}\\, 0\\\.\d{4}\\\] *\|", card)
    assert '```json\n{"dataframe_split"' in card  # the example request, a code block (literal as it is)


def test_the_html_card_escapes_everything_and_draws_the_evidence_charts(signed):
    workspace, version_id = signed
    page = model_card(workspace, version_id, "html")
    for raw in ("<script>alert(1)", "<img src=x", "<b>weekly"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold**" in page
    assert page.count("class='chart'") == 3 and page.count("plotly.js v") == 1  # plotly.js inlined once
    with pytest.raises(InputError, match="not one of md, html"):
        model_card(workspace, version_id, "pdf")


def test_the_documentation_pack_follows_annex_iv_with_a_checksum_manifest(signed, tmp_path):
    workspace, version_id = signed
    reviewer = auth.get_user(workspace, "reviewer")
    pack = annex_iv.write_docs(workspace, reviewer, version_id, tmp_path / "docs")
    folder = pack.folder
    assert sorted(p.name for p in folder.iterdir()) == sorted([*pack.files, "SHA256SUMS"])
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["version_id"] == version_id and manifest["workspace_id"] == workspace.setting("workspace_id")
    assert set(manifest["files"]) == set(pack.files) - {"manifest.json"}
    text = (folder / "technical_documentation.md").read_text()
    for number in range(1, 10):
        assert re.search(rf"^## {number}\\\. ", text, flags=re.M), number
    assert "Not issued by Lifecycle" in text and md_literal(COMMENT) in text
    assert not re.search(r"(?<!\\)<script>", text)
    assert "<script>alert" not in (folder / "technical_documentation.html").read_text()
    checklist = json.loads((folder / "checklist.json").read_text())
    assert [i["id"] for i in checklist][:2] == ["inventory", "intended_purpose"]
    excerpt = json.loads((folder / "audit_excerpt.json").read_text())
    assert excerpt[0]["action"] == "model.registered"
    assert [e["action"] for e in excerpt[-2:]] == ["govern.signoff", "model.approved"]
    assert audit_log.filtered(workspace.db.cursor(), version_id=version_id)[-1].action == "govern.docs_written"
    with pytest.raises(InputError, match="not an empty folder"):
        annex_iv.write_docs(workspace, reviewer, version_id, folder)
    archive = zipfile.ZipFile(io.BytesIO(annex_iv.docs_zip(workspace, reviewer, version_id)))
    assert sorted(archive.namelist()) == sorted([*pack.files, "SHA256SUMS"])


def test_the_govern_commands(template, tmp_path, capsys):
    path = copy_workspace(template[0], tmp_path)
    version = str(template[1])
    base = ["--workspace", str(path)]
    assert main([*base, "checklist", version]) == 0
    out = capsys.readouterr().out
    assert "medium risk: sign-off 0 of 1 reviewer approved" in out
    assert "attestation\tblocks\tregulations\t" in out and "missing\t-\tmonitoring_plan\tSet up monitoring" in out
    assert main([*base, "--user", "stakeholder", "signoff", version, "--decision", "approve", "--comment", "x"]) == 2
    assert "may not sign off" in capsys.readouterr().err
    assert main([*base, "--user", "reviewer", "signoff", version, "--decision", "approve", "--comment", "x"]) == 1
    assert "Applicable regulations (regulations)" in capsys.readouterr().out
    assert main([*base, "--user", "reviewer", "signoff", version, "--decision", "approve", "--comment", "x",
                 "--item", "regulations"]) == 2
    assert "is not ID=JUDGEMENT" in capsys.readouterr().err
    items = [f"--item={item}=accept:stated" for item in STATEMENTS]
    assert main([*base, "--user", "reviewer", "--json", "signoff", version, "--decision", "approve",
                 "--comment", "evidence read", *items]) == 0
    signed = json.loads(capsys.readouterr().out)
    assert signed["moved_to"] == "approved" and signed["signoff"]["items"][0]["item"] == "regulations"
    assert main([*base, "--user", "stakeholder", "card", version, "--format", "html", "--out",
                 str(tmp_path / "card.html")]) == 0
    assert (tmp_path / "card.html").read_text().startswith("<!DOCTYPE html>")
    assert main([*base, "--user", "stakeholder", "card", version, "--out", str(tmp_path / "card.html")]) == 2
    assert main([*base, "--user", "reviewer", "docs", version, "--out", str(tmp_path / "pack")]) == 0
    assert (tmp_path / "pack" / "SHA256SUMS").is_file()
    assert main([*base, "--user", "reviewer", "audit", "export", "--format", "csv", "--out",
                 str(tmp_path / "trail.csv"), "--version", version]) == 0
    assert "govern.signoff" in (tmp_path / "trail.csv").read_text()
    close_database(path)
