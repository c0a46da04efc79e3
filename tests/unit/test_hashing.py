"""Content hashes are stored in workspaces: these digests are pinned and must never change."""
from __future__ import annotations

import pandas as pd
import pytest

from lifecycle import evidence, hashing
from lifecycle.config import limits
from lifecycle.data.ingest import read_upload
from lifecycle.data.splits import assignment_hash

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
CSV = b"age,y\n1,yes\n"
CSV_DIGEST = "c2adc3efc7a73e1eb98244a5e9f3e4ead27fb6d8ee7389c10c405934f7545511"


def test_bytes_and_text():
    assert hashing.sha256_bytes(b"") == EMPTY
    assert hashing.sha256_bytes(CSV) == CSV_DIGEST
    assert hashing.sha256_text("é") == "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"


@pytest.mark.parametrize("chunk", [1, 5, 1 << 24])
def test_a_file_hashes_like_its_bytes_whatever_the_chunk(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(hashing, "_FILE_CHUNK", chunk)
    path = tmp_path / "data.csv"
    path.write_bytes(CSV)
    assert hashing.sha256_file(path) == CSV_DIGEST
    (tmp_path / "empty").write_bytes(b"")
    assert hashing.sha256_file(tmp_path / "empty") == EMPTY


def test_background_hash_equals_the_plain_one():
    hasher = hashing.BackgroundSha256()
    for piece in (CSV[:4], memoryview(CSV)[4:9], bytearray(CSV[9:])):
        hasher.update(piece)
    assert hasher.hexdigest() == CSV_DIGEST
    assert hashing.BackgroundSha256().hexdigest() == EMPTY


def test_an_uploads_source_hash_is_the_sha256_of_its_bytes():
    assert read_upload(CSV, "tiny.csv", limits()).source_hash == CSV_DIGEST


def test_canonical_json_ignores_key_order_and_spacing():
    assert hashing.sha256_json({"b": 1, "a": [1.5, None]}) == hashing.sha256_json({"a": [1.5, None], "b": 1})
    assert hashing.sha256_json({"a": 1}) == hashing.sha256_text('{"a":1}')


def test_audit_event_hash_is_pinned():
    digest = hashing.audit_event_hash(seq=1, at="2024-01-01T00:00:00.000000+00:00", actor="ana",
                                      action="project.created", entity="project:1",
                                      details={"b": 1, "a": [1.5, None], "c": "é"}, prev_hash=hashing.GENESIS)
    assert digest == "2c37daa3ee6d4094e5119db7652e9ef12f4f6863ec4b3063b111cf33710e406a"


def test_evidence_cache_key_is_pinned():
    assert evidence.cache_key(model="abc", data="def", rows=100) == "0cfd09eb728b3e184053bd0d010784c2"


def test_split_assignment_hash_is_pinned():
    labels = pd.Series(["train", "test", "validation"])
    assert assignment_hash(labels) == "f12cdb835f540008898136578cc983c6fb18812ae33962b08a5d05e3d38273c0"
