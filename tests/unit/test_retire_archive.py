"""The archive bundle: what it holds, its checksum manifest (the sha256sum format), and every kind of
tampering named by the check."""
from __future__ import annotations

import hashlib
import json

import pytest

from lifecycle import retire
from lifecycle.errors import InputError
from lifecycle.hashing import sha256_file
from lifecycle.retire.archive import CHECKSUMS, verify_archive, write_bundle
from lifecycle.models import registry
from tests.unit import retire_fixtures as rf


@pytest.fixture
def archived(workspace, actors, project):
    past = rf.history(workspace, actors, project)
    artifact = sha256_file(registry.artifact_path(workspace, past.v1))
    done = retire.decommission(workspace, actors["admin"], past.v1.id, reason="replaced by v2",
                               replacement_id=past.v2.id)
    return workspace.artifacts_dir / done.retirement.archive_path, past, artifact


def test_the_bundle_holds_the_artifact_evidence_card_and_audit_excerpt(archived):
    folder, past, artifact_hash = archived
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == sorted(["CHECKSUMS.sha256", "MODEL_CARD.md", "audit_excerpt.json",
                            "evidence/validation_report.json", f"model/{past.v1.artifact_hash}.skops",
                            "model/input_schema.json", "record/retirement.json", "record/version.json"])
    assert sha256_file(folder / f"model/{past.v1.artifact_hash}.skops") == artifact_hash == past.v1.artifact_hash
    retirement = json.loads((folder / "record/retirement.json").read_text())
    assert (retirement["reason"], retirement["previous_state"], retirement["replacement"]["model_version_id"]) == (
        "replaced by v2", "production", past.v2.id)
    excerpt = json.loads((folder / "audit_excerpt.json").read_text())
    assert [e["action"] for e in excerpt][-1] == "model.retired"
    assert all(e["entity"] == f"model:{past.v1.id}" for e in excerpt)
    assert "# Model card" in (folder / "MODEL_CARD.md").read_text()
    assert json.loads((folder / "evidence/validation_report.json").read_text())["report"] == rf.REPORT


def test_the_manifest_is_sha256sum_format_over_every_other_file(archived):
    folder, _, _ = archived
    lines = (folder / CHECKSUMS).read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {CHECKSUMS}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    check = verify_archive(folder)
    assert check.ok and check.files == len(files)


def test_tampering_is_named(workspace, archived):
    folder, past, _ = archived
    card = folder / "MODEL_CARD.md"
    card.write_text(card.read_text() + "\nApproved by nobody.\n")
    (folder / "model/input_schema.json").unlink()
    (folder / "evidence/extra.json").write_text("{}")
    check = retire.check_archive(workspace, past.v1.id)
    assert not check.ok
    assert check.problems == ("MODEL_CARD.md changed: its SHA-256 no longer matches the manifest.",
                              "model/input_schema.json is missing.",
                              "evidence/extra.json is not listed in CHECKSUMS.sha256 (added after archiving).")


def test_a_manifest_rewritten_to_match_is_caught_by_the_digest_on_record(workspace, archived):
    folder, past, _ = archived
    (folder / "record/retirement.json").write_text('{"reason": "nothing to see"}\n')
    lines = [f"{sha256_file(p)}  {p.relative_to(folder).as_posix()}"
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != CHECKSUMS]
    (folder / CHECKSUMS).write_text("\n".join(lines) + "\n")
    assert verify_archive(folder).ok  # consistent with itself...
    check = retire.check_archive(workspace, past.v1.id)  # ...but not with the retirement record
    assert check.problems == ("CHECKSUMS.sha256 itself changed: its SHA-256 differs from the one on the "
                              "retirement record.",)


def test_a_bundle_never_writes_outside_its_folder_and_never_twice(tmp_path):
    with pytest.raises(InputError, match="cannot be a file of an archive bundle"):
        write_bundle(tmp_path / "v1", {"../escape.txt": b"x"}, {})
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "v1").exists()
    bundle = write_bundle(tmp_path / "v1", {"a.txt": b"a"}, {})
    assert (bundle.files, bundle.bytes) == (1, 1) and bundle.sha256 == sha256_file(tmp_path / "v1" / CHECKSUMS)
    with pytest.raises(InputError, match="already exists"):
        write_bundle(tmp_path / "v1", {"a.txt": b"b"}, {})
    (tmp_path / "v1" / CHECKSUMS).write_text(f"{'0' * 64}  ../../etc/passwd\n")
    assert "names a path outside the bundle" in verify_archive(tmp_path / "v1").problems[0]
