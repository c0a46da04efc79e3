"""The technical documentation pack of a model version, following the nine headings of Annex IV of
the EU AI Act (Regulation (EU) 2024/1689), generated from the record: a folder holding the
documentation (Markdown and HTML), the model card (both), the checklist, the sign-offs and the
version's audit excerpt (JSON), and a checksum manifest (``SHA256SUMS``, checkable with
``sha256sum -c SHA256SUMS``, and ``manifest.json``).

What the record does not hold is said so, never invented: a declaration of conformity (point 8)
is the provider's, and a reviewer's statements (regulations, oversight, risks, security) appear
as the sign-offs recorded them.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import lifecycle
from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.errors import InputError
from lifecycle.govern.card import card_document
from lifecycle.govern.checklist import Checklist, build
from lifecycle.govern.document import Document, Table, Text, to_html, to_markdown
from lifecycle.govern.record import VersionRecord, load_record
from lifecycle.hashing import sha256_file
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.workspace import Workspace

SUMS = "SHA256SUMS"


@dataclass(frozen=True, kw_only=True)
class DocsPack:
    """What ``write_docs`` wrote: the folder and each file's SHA-256."""

    folder: Path
    version_id: int
    files: dict[str, str]  # pack-relative path -> SHA-256


def _statements(record: VersionRecord, item_id: str) -> Text | Table:
    """What the reviewers said about an item at sign-off."""
    said = [(s.signer, f"{s.signed_at:%Y-%m-%d}", j.judgement, j.comment)
            for s in record.signoffs for j in s.items if j.item == item_id]
    if not said:
        return Text("No reviewer's statement is recorded for this item yet.")
    return Table(("Reviewer", "Date", "Judgement", "Statement"), tuple(said))


def _finding(checklist: Checklist, item_id: str) -> Text:
    entry = checklist.item(item_id)
    text = f"{entry.item.title} — {entry.status}: {entry.found.summary}"
    return Text(text + (f" To do: {entry.found.todo}" if entry.status == "missing" and entry.found.todo else ""))


def annex_iv_document(record: VersionRecord, checklist: Checklist) -> Document:
    """The technical documentation of ``record``'s version under the Annex IV headings."""
    project, version, run = record.project, record.version, record.run
    doc = Document(f"Technical documentation (EU AI Act Annex IV): {project.name} v{version.version}")
    libraries = ", ".join(f"{k} {v}" for k, v in sorted((run.library_versions if run else {}).items()))
    general = doc.section("1. General description of the AI system", Text(
        f"Intended purpose: {project.statement or 'not recorded'} Intended use and users: "
        f"{project.intended_use or 'not recorded'} Out of scope: {project.out_of_scope or 'not recorded'}"))
    general.add(Table(("Field", "Value"), (
        ("Provider (owner)", project.owner or "not named"),
        ("System and version", f"{project.name}, model v{version.version} (#{version.id}), state {version.state}"),
        ("Artifact", f"skops file, SHA-256 {version.artifact_hash}"),
        ("Software", f"Lifecycle {lifecycle.__version__}; trained with {libraries or 'versions not on record'}"),
        ("Forms made available", "an HTTP scoring service (MLflow's /invocations protocol and /predict), batch "
                                 "scoring of CSV or Parquet files, an exported serving bundle"),
        ("Risk tier (stage 1)", project.risk_tier),
    )))
    general.add(_finding(checklist, "inventory"), _finding(checklist, "intended_purpose"))

    development = doc.section("2. Elements of the AI system and its development process")
    development.sub("(a)–(c) Methods, design choices and architecture", _finding(checklist, "design_choices"),
                    Text(f"The model is one scikit-learn pipeline: the preprocessing recipe compiled to a "
                         f"ColumnTransformer, then the estimator; it takes {len(version.input_schema)} input columns."
                         + (f" One cross-validated fit took {run.fit_seconds:.1f} s." if run and run.fit_seconds else "")))
    development.sub("(d) Data requirements and provenance", _finding(checklist, "data_provenance"),
                    _finding(checklist, "training_data_bias"), _statements(record, "training_data_bias"))
    development.sub("(e) Human oversight measures", _finding(checklist, "human_oversight"),
                    _statements(record, "human_oversight"))
    development.sub("(f) Pre-determined changes", Text(
        "No pre-determined change is on record: a new model is a new version, validated and signed off again."))
    development.sub("(g) Validation and testing", _finding(checklist, "validation_data"),
                    _finding(checklist, "performance_intervals"), _finding(checklist, "group_accuracy"),
                    _finding(checklist, "robustness_calibration"), _finding(checklist, "independent_validation"),
                    Text("The test reports are dated and signed by the sign-offs in section 5 and the model card."))
    development.sub("(h) Cybersecurity", _finding(checklist, "privacy_security"), _statements(record, "privacy_security"))

    doc.section("3. Monitoring, functioning and control", _finding(checklist, "performance_intervals"),
                _finding(checklist, "group_accuracy"), _finding(checklist, "limitations"),
                _finding(checklist, "explanations_reviewed"),
                Text("Input data specification: see the model card, How to Get Started with the Model."))

    objectives = record.objectives.objectives if record.objectives else ()
    doc.section("4. Appropriateness of the performance metrics", Text(
        "The objectives set in stage 1 are the measures every judgement reads (validation verdict, promotion gate, "
        "monitoring thresholds)" + (f"; objective set v{record.objectives.version} by {record.objectives.created_by}."
                                    if record.objectives else "; none is set.")),
        Table(("Objective", "Blocking"), tuple((str(o), "yes" if o.blocking else "advisory") for o in objectives))
        if objectives else None)

    risk = doc.section("5. Risk management system", _finding(checklist, "risks_accepted"),
                       _statements(record, "risks_accepted"))
    risk.sub("Governance checklist", Table(("Item", "Status", "Blocks"), tuple(
        (i.item.title, i.status, "yes" if i.blocking else "no") for i in checklist.items)))
    risk.sub("Sign-offs", Table(("Signed", "Reviewer", "Decision", "Comment", "Audit event"), tuple(
        (f"{s.signed_at:%Y-%m-%d %H:%M} UTC", s.signer, s.decision, s.comment, f"#{s.audit_seq}")
        for s in record.signoffs)) if record.signoffs else Text("No sign-off yet."))

    doc.section("6. Changes through the lifecycle", _finding(checklist, "change_log"), Table(
        ("Event", "At (UTC)", "By", "Action"), tuple((f"#{e.seq}", e.at[:19], e.actor, e.action) for e in record.events)))

    doc.section("7. Standards and specifications applied", Text(
        "The checklist draws on the EU AI Act Annex IV, the Federal Reserve's SR 11-7 guidance on model risk "
        "management, the NIST AI Risk Management Framework 1.0 and model cards (Mitchell et al., 2019)."),
        _statements(record, "regulations"))
    doc.section("8. EU declaration of conformity", Text(
        "Not issued by Lifecycle: the provider draws up the declaration under Article 47 of the Act. This pack and "
        "its sign-offs are the technical documentation it refers to."))
    doc.section("9. Post-market monitoring", _finding(checklist, "monitoring_plan"),
                _finding(checklist, "prediction_logging"), _finding(checklist, "retirement_criteria"),
                _statements(record, "retirement_criteria"))
    return doc


def _checklist_json(checklist: Checklist) -> list[dict]:
    return [{"id": i.item.id, "title": i.item.title, "sources": list(i.item.sources), "status": i.status,
             "blocking": i.blocking, "summary": i.found.summary, "todo": i.found.todo,
             "evidence": [asdict(link) for link in i.links]} for i in checklist.items]


def _write(folder: Path, workspace: Workspace, actor: User, record: VersionRecord) -> dict[str, str]:
    from lifecycle.govern.card_charts import card_figures

    checklist = build(record)
    figures = card_figures(record)
    card = card_document(record, checklist, generated_by=actor.name)
    annex = annex_iv_document(record, checklist)
    texts = {
        "technical_documentation.md": to_markdown(annex),
        "technical_documentation.html": to_html(annex, figures),
        "model_card.md": to_markdown(card),
        "model_card.html": to_html(card, figures),
        "checklist.json": json.dumps(_checklist_json(checklist), indent=1, default=str) + "\n",
        "signoffs.json": json.dumps([asdict(s) for s in record.signoffs], indent=1, default=str) + "\n",
        "audit_excerpt.json": json.dumps([asdict(e) for e in record.events], indent=1, default=str) + "\n",
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    files = {name: sha256_file(folder / name) for name in sorted(texts)}
    (folder / "manifest.json").write_text(json.dumps({
        "project": record.project.name, "project_id": record.project.id, "version": record.version.version,
        "version_id": record.version.id, "state": record.version.state, "artifact_hash": record.version.artifact_hash,
        "workspace_id": workspace.setting("workspace_id"), "checklist": checklist.digest,
        "generated_at": utc_now().isoformat(timespec="seconds") + "Z", "generated_by": actor.name,
        "lifecycle": lifecycle.__version__, "files": files}, indent=1) + "\n", encoding="utf-8")
    files["manifest.json"] = sha256_file(folder / "manifest.json")
    (folder / SUMS).write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(files.items())),
                               encoding="utf-8")
    return files


def write_docs(workspace: Workspace, actor: User, version_id: int, folder: Path) -> DocsPack:
    """Write the documentation pack of version ``version_id`` into ``folder`` (created; it must not
    exist or be empty), all at once: it is written beside and renamed into place. Raises
    PermissionDenied, NotFound, or InputError for a non-empty folder."""
    require(actor, Permission.READ)
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder} already exists and is not an empty folder.",
                         "Pick a new folder; the pack never overwrites files.")
    record = load_record(workspace, version_id)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-", suffix=".partial"))
    try:
        files = _write(staging, workspace, actor, record)
        if folder.exists():
            folder.rmdir()
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _audit(workspace, actor, record, files, str(folder.resolve()))
    return DocsPack(folder=folder, version_id=version_id, files=files)


def docs_zip(workspace: Workspace, actor: User, version_id: int) -> bytes:
    """The documentation pack of version ``version_id`` as the bytes of a zip file (for a download)."""
    require(actor, Permission.READ)
    record = load_record(workspace, version_id)
    with tempfile.TemporaryDirectory() as temporary:
        files = _write(Path(temporary), workspace, actor, record)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in [*files, SUMS]:
                archive.write(Path(temporary) / name, arcname=name)
    _audit(workspace, actor, record, files, "download")
    return buffer.getvalue()


def _audit(workspace: Workspace, actor: User, record: VersionRecord, files: dict[str, str], where: str) -> None:
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor.name, action="govern.docs_written", entity=f"model:{record.version.id}",
                         details={"project_id": record.project.id, "where": where, "manifest": files["manifest.json"]})
