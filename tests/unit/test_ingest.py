"""Stage 2 ingest: every bad file is refused with a message naming the problem and the fix,
and a refusal writes nothing (no dataset row, no audit event, no file)."""
from __future__ import annotations

import gzip
import hashlib
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lifecycle import audit
from lifecycle.data import datasets
from lifecycle.problem import projects
from lifecycle.errors import InputError, NotFound
from lifecycle.store import datasets as dataset_store

GOOD = b"age,city,y\n31,Oslo,yes\n45,Rome,no\n27,Oslo,yes\n"
HOSTILE = 'x"; DROP TABLE audit_log; --'


def _state(workspace):
    folder = dataset_store.files_dir(workspace.path)
    return (workspace.db.value("SELECT count(*) FROM dataset_versions"),
            workspace.db.value("SELECT count(*) FROM audit_log"),
            sorted(p.name for p in folder.iterdir()) if folder.exists() else [])


def refused(workspace, actor, project_id, data, filename, *fragments, **options) -> str:
    """Assert the ingest is refused with every fragment in the message and leaves no trace."""
    before = _state(workspace)
    with pytest.raises(InputError) as caught:
        datasets.ingest_bytes(workspace, actor, project_id, data, filename, **options)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert _state(workspace) == before
    return message


@pytest.fixture
def analyst(actors):
    return actors["analyst"]


def _ingest(workspace, analyst, project, data=GOOD, filename="customers.csv", **options):
    return datasets.ingest_bytes(workspace, analyst, project.id, data, filename, **options)


# -- good files ----------------------------------------------------------------------------

def test_csv_ingest_records_schema_lineage_and_event(workspace, analyst, project):
    dataset = _ingest(workspace, analyst, project)
    assert (dataset.name, dataset.version, dataset.rows) == ("customers", 1, 3)
    assert [(c.name, c.dtype) for c in dataset.columns] == [("age", "integer"), ("city", "string"),
                                                             ("y", "string")]
    assert dataset.lineage.kind == "file" and dataset.lineage.name == "customers.csv"
    assert dataset.lineage.source_hash == hashlib.sha256(GOOD).hexdigest()
    event = audit.recent_events(workspace, limit=1)[0]
    assert event.action == "dataset.ingested" and event.entity == f"dataset:{dataset.id}"
    assert event.details["content_hash"] == dataset.content_hash and event.details["rows"] == 3
    frame = datasets.load_frame(workspace, dataset)
    assert frame["city"].tolist() == ["Oslo", "Rome", "Oslo"]


def test_content_hash_is_sha256_of_the_stored_arrow_file(workspace, analyst, project):
    dataset = _ingest(workspace, analyst, project)
    path = dataset_store.data_path(workspace.path, dataset)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == dataset.content_hash
    assert datasets.verify_dataset(workspace, dataset)
    path.write_bytes(path.read_bytes() + b"\0")
    assert not datasets.verify_dataset(workspace, dataset)


def test_same_file_twice_is_the_same_version(workspace, analyst, project):
    first = _ingest(workspace, analyst, project)
    events = audit.verify_chain(workspace).events
    again = _ingest(workspace, analyst, project)
    assert again == first
    assert len(datasets.list_datasets(workspace, project.id)) == 1
    assert audit.verify_chain(workspace).events == events
    changed = _ingest(workspace, analyst, project, GOOD + b"50,Oslo,no\n")
    assert (changed.version, changed.rows) == (2, 4)


def test_gzipped_csv_freezes_to_the_same_content(workspace, analyst, project):
    plain = _ingest(workspace, analyst, project)
    zipped = _ingest(workspace, analyst, project, gzip.compress(GOOD), "customers.csv.gz")
    assert zipped.content_hash == plain.content_hash
    assert zipped == plain  # same rows under the same name: the existing version


def test_gzipped_csv_alone(workspace, analyst, project):
    dataset = _ingest(workspace, analyst, project, gzip.compress(GOOD), "other.csv.gz")
    assert dataset.name == "other" and dataset.rows == 3
    assert datasets.load_frame(workspace, dataset)["age"].tolist() == [31, 45, 27]


def test_parquet_ingest_keeps_types(workspace, analyst, project):
    table = pa.table({"age": pa.array([31, 45, 27], pa.int32()), "score": [0.5, None, 1.5],
                      "y": ["yes", "no", "yes"]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    dataset = _ingest(workspace, analyst, project, buffer.getvalue(), "scores.parquet")
    assert [(c.name, c.dtype) for c in dataset.columns] == [("age", "integer"), ("score", "float"),
                                                             ("y", "string")]
    assert datasets.load_table(workspace, dataset).equals(table)


def test_ingest_path_and_a_missing_path(workspace, analyst, project, tmp_path):
    path = tmp_path / "from disk.csv"
    path.write_bytes(GOOD)
    dataset = datasets.ingest_path(workspace, analyst, project.id, path)
    assert dataset.name == "from disk" and dataset.rows == 3
    with pytest.raises(InputError, match="does not exist or is not a file. Check the path"):
        datasets.ingest_path(workspace, analyst, project.id, tmp_path / "nope.csv")


def test_auxiliary_tables_need_no_target(workspace, analyst, project):
    dataset = _ingest(workspace, analyst, project, b"city,country\nOslo,NO\nRome,IT\n", "cities.csv",
                      auxiliary=True)
    assert dataset.auxiliary and dataset.rows == 2


# -- bad files: refused, named, nothing written --------------------------------------------

def test_empty_file(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"", "empty.csv", "empty.csv is empty", "header row and data rows")
    refused(workspace, analyst, project.id, b"  \n\n", "blank.csv", "blank.csv is empty")
    refused(workspace, analyst, project.id, b"", "empty.csv.gz", "empty.csv.gz is empty")


def test_header_only_file(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"age,y\n", "header.csv",
            "header.csv has a header but no data rows", "Export it again with its rows")


def test_ragged_rows_give_the_line_number(workspace, analyst, project):
    data = b"age,y\n31,yes\n45,no\n27,yes,extra\n50,no\n"
    refused(workspace, analyst, project.id, data, "ragged.csv",
            "ragged.csv has 1 row(s) with the wrong number of fields", "on line 4",
            "3 fields where the header has 2", "'27,yes,extra'", "Fix or remove those rows")


def test_non_utf8_names_byte_line_and_encoding_then_latin1_works(workspace, analyst, project):
    data = "city,y\nOslo,yes\nS\u00e3o Paulo,no\n".encode("latin-1")
    refused(workspace, analyst, project.id, data, "latin.csv",
            "latin.csv is not utf-8 text", "byte 0xe3 on line 3", "Save it as UTF-8",
            "choose its encoding (for example latin-1)")
    dataset = _ingest(workspace, analyst, project, data, "latin.csv", encoding="latin-1")
    assert datasets.load_frame(workspace, dataset)["city"].tolist() == ["Oslo", "S\u00e3o Paulo"]


def test_non_utf8_in_the_header(workspace, analyst, project):
    refused(workspace, analyst, project.id, "\u00e2ge,y\n1,yes\n2,no\n".encode("latin-1"), "head.csv",
            "byte 0xe2 on line 1", "latin-1")


def test_duplicate_column_names(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"age,age,y\n1,2,yes\n3,4,no\n", "dup.csv",
            "Columns 1 and 2 of dup.csv are both named 'age'", "Rename one of them in the header row")


def test_empty_column_name(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"age,,y\n1,2,yes\n3,4,no\n", "noname.csv",
            "Column 2 of noname.csv has no name", "Give every column a name")


def test_target_missing_from_the_file(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"age,city\n1,Oslo\n2,Rome\n", "notarget.csv",
            "Column 'y' (the target of project 'Churn') is not in notarget.csv",
            "its columns are: age, city", "change the project's target in stage 1",
            "ingest the file as an auxiliary table")


def test_constant_target(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"age,y\n1,yes\n2,yes\n3,yes\n", "constant.csv",
            "The target column 'y' has the single value 'yes' in all 3 filled rows of constant.csv",
            "pick another target")


def test_empty_target(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"age,y\n1,?\n2,\n", "blank_target.csv",
            "The target column 'y' is empty in every row", "Pick a file where the target is filled in")


def test_positive_class_missing_from_the_target(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"age,y\n1,true\n2,false\n", "bool.csv",
            "The positive class 'yes' of project 'Churn' does not occur in its target 'y'",
            "values: False, True", "Fix the positive class in stage 1")


def test_regression_project_with_a_text_target(workspace, actors, analyst):
    project = projects.create_project(workspace, analyst, name="Price", task="regression", target="y")
    refused(workspace, analyst, project.id, b"age,y\n1,cheap\n2,dear\n", "text_target.csv",
            "The target 'y' holds text, but project 'Price' is a regression task",
            "Change the task to binary or multiclass in stage 1, or pick a numeric target")
    assert _ingest(workspace, analyst, project, b"age,y\n1,10.5\n2,20\n", "prices.csv").rows == 2


def test_file_over_the_size_limit(workspace, analyst, project, monkeypatch, tmp_path):
    monkeypatch.setenv("LIFECYCLE_MAX_UPLOAD_MB", "0.001")  # 1,048 bytes
    data = b"age,y\n" + b"31,yes\n45,no\n" * 100
    refused(workspace, analyst, project.id, data, "big.csv",
            f"big.csv is {len(data):,} bytes, over the upload limit of 1,048 bytes",
            "Upload a smaller extract", "raise LIFECYCLE_MAX_UPLOAD_MB")
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match="over the upload limit.*LIFECYCLE_MAX_UPLOAD_MB"):
        datasets.ingest_path(workspace, analyst, project.id, path)


def test_gzip_that_expands_past_the_limit(workspace, analyst, project, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_MAX_UPLOAD_MB", "0.01")  # 10,485 bytes
    bomb = gzip.compress(b"age,y\n" + b"0" * 5_000_000)
    assert len(bomb) < 10_000
    refused(workspace, analyst, project.id, bomb, "bomb.csv.gz",
            "bomb.csv.gz expands to more than the upload limit of 10,485 bytes",
            "raise LIFECYCLE_MAX_UPLOAD_MB")


def test_broken_gzip(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"not gzip at all", "broken.csv.gz",
            "broken.csv.gz is not a valid gzip file", "upload the plain CSV")


def test_unknown_file_type(workspace, analyst, project):
    refused(workspace, analyst, project.id, GOOD, "sheet.xlsx",
            "sheet.xlsx is neither CSV nor Parquet", ".csv, .tsv, .csv.gz or .parquet")


def test_broken_parquet(workspace, analyst, project):
    refused(workspace, analyst, project.id, b"PAR1 not really", "broken.parquet",
            "broken.parquet is not a readable Parquet file", "upload it as CSV")


def _wide(columns: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns)) + ",y\n"
    rows = ",".join("1" for _ in range(columns)) + ",yes\n" + ",".join("2" for _ in range(columns)) + ",no\n"
    return (header + rows).encode()


def test_ten_thousand_columns_are_refused_then_accepted_with_a_raised_limit(workspace, analyst, project,
                                                                            monkeypatch):
    data = _wide(10_000)
    refused(workspace, analyst, project.id, data, "wide.csv",
            "wide.csv has 10,001 columns; Lifecycle takes at most 2,000", "raise LIFECYCLE_MAX_COLUMNS")
    monkeypatch.setenv("LIFECYCLE_MAX_COLUMNS", "20000")
    dataset = _ingest(workspace, analyst, project, data, "wide.csv")
    assert (dataset.rows, len(dataset.columns)) == (2, 10_001)
    assert datasets.verify_dataset(workspace, dataset)


# -- awkward but valid files ---------------------------------------------------------------

def test_nan_and_infinite_values_ingest_with_a_note(workspace, analyst, project):
    data = b"score,other,y\n1.5,NaN,yes\ninf,2,no\n-inf,3,yes\nnan,4,no\n"
    dataset = _ingest(workspace, analyst, project, data, "inf.csv")
    assert dataset.lineage.notes == ("Column 'score' holds 2 infinite value(s); recipes treat them as missing.",)
    frame = datasets.load_frame(workspace, dataset)
    assert frame["score"].tolist()[:3] == [1.5, float("inf"), float("-inf")]
    assert frame["score"].isna().tolist() == [False, False, False, True]
    assert frame["other"].isna().tolist() == [True, False, False, False]


def test_html_in_a_column_name_is_stored_verbatim(workspace, analyst, project):
    dataset = _ingest(workspace, analyst, project, b"<b>age</b>,y\n31,yes\n45,no\n", "html.csv")
    assert dataset.column_names == ["<b>age</b>", "y"]
    assert list(datasets.load_frame(workspace, dataset).columns) == ["<b>age</b>", "y"]


def test_sql_in_a_column_name_is_just_a_name(workspace, analyst, project):
    data = ('"x""; DROP TABLE audit_log; --",y\n1,yes\n2,no\n').encode()
    dataset = _ingest(workspace, analyst, project, data, "hostile.csv")
    assert dataset.column_names == [HOSTILE, "y"]
    assert workspace.db.value("SELECT count(*) FROM information_schema.tables "
                              "WHERE table_name = 'audit_log'") == 1
    verdict = audit.verify_chain(workspace)
    assert verdict.ok and verdict.events >= 6


def test_quoted_delimiters_in_names_do_not_confuse_the_sniffer(workspace, analyst, project):
    dataset = _ingest(workspace, analyst, project, b'"a;b;c",y\n1,yes\n2,no\n', "semi.csv")
    assert dataset.column_names == ["a;b;c", "y"]
    semi = _ingest(workspace, analyst, project, b"a;y\n1;yes\n2;no\n", "semi2.csv")
    assert semi.column_names == ["a", "y"]


def test_question_marks_become_missing(workspace, analyst, project):
    dataset = _ingest(workspace, analyst, project, b"age,job,y\n31,?,yes\n?,clerk,no\n40,nurse,yes\n",
                      "uci.csv")
    assert [(c.name, c.dtype) for c in dataset.columns] == [("age", "integer"), ("job", "string"),
                                                             ("y", "string")]
    frame = datasets.load_frame(workspace, dataset)
    assert frame["age"].isna().tolist() == [False, True, False]
    assert frame["job"].isna().tolist() == [True, False, False]


def test_mixed_type_column_is_read_as_text_with_a_note(workspace, analyst, project):
    dataset = _ingest(workspace, analyst, project, b"code,y\n1,yes\n2,no\nA7,yes\n", "mixed.csv")
    assert dataset.columns[0].dtype == "string"
    assert datasets.load_frame(workspace, dataset)["code"].tolist() == ["1", "2", "A7"]


def test_mixed_type_past_the_first_block_is_read_as_text(workspace, analyst, project):
    # Type inference starts on the first 4 MB block; a later text value must not fail the file.
    rows = b"".join(b"%d,yes\n%d,no\n" % (i, i) for i in range(300_000))
    data = b"code,y\n" + rows + b"A7,yes\n"
    assert len(data) > 4 << 20
    dataset = _ingest(workspace, analyst, project, data, "late_mixed.csv")
    assert dataset.columns[0].dtype == "string" and dataset.rows == 600_001
    assert datasets.load_table(workspace, dataset).column("code")[-1].as_py() == "A7"


def test_unknown_dataset(workspace):
    with pytest.raises(NotFound, match="No dataset version with id 42.*data list"):
        datasets.get_dataset(workspace, 42)


# -- a byte-order mark before the header (issue 10, case 1) -------------------------------

@pytest.mark.parametrize("header", ['"age","city","y"', 'age,"city",y', '" age ",city,y', "age;city;y"])
def test_utf8_byte_order_mark_is_consumed_before_quoted_names(workspace, analyst, project, header):
    delimiter = ";" if ";" in header else ","
    rows = "\r\n".join(delimiter.join(r) for r in (("31", '"Oslo"', '"yes"'), ("45", "Rome", "no")))
    data = ("\ufeff" + header + "\r\n" + rows + "\r\n").encode()
    dataset = _ingest(workspace, analyst, project, data)
    assert [c.name for c in dataset.columns] == ["age", "city", "y"]
    assert [c.dtype for c in dataset.columns] == ["integer", "string", "string"]
    assert any("byte-order mark" in n for n in dataset.lineage.notes), dataset.lineage.notes
    trimmed = any("spaces were trimmed" in n for n in dataset.lineage.notes)
    assert trimmed == ("' age '".replace("'", '"') in header)


def test_bom_file_whose_first_column_is_the_target(workspace, analyst):
    project = projects.create_project(workspace, analyst, name="BOM target", task="binary",
                                      target="churned", positive_class="yes")
    data = '\ufeff"churned","age"\r\n"yes",31\r\n"no",45\r\n'.encode()
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, data, "export.csv")
    assert list(dataset.column_names)[0] == "churned"


def test_utf16_file_read_as_utf8_names_the_encoding_to_choose(workspace, analyst, project):
    data = "age\tcity\ty\n31\tOslo\tyes\n45\tRome\tno\n".encode("utf-16")
    refused(workspace, analyst, project.id, data, "unicode.txt", "UTF-16 byte-order mark",
            "Choose the encoding utf-16")
    dataset = _ingest(workspace, analyst, project, data, "unicode.txt", encoding="utf-16")
    assert list(dataset.column_names) == ["age", "city", "y"]


def test_parquet_binary_column_is_data_not_an_encoding_error(workspace, analyst, project):
    table = pa.table({"raw": pa.array([b"\x80\x81", b"\x00"], pa.binary()), "y": ["yes", "no"]})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    dataset = _ingest(workspace, analyst, project, sink.getvalue(), "blobs.parquet")
    assert [c.dtype for c in dataset.columns] == ["binary", "string"]


# -- numbers in a convention the user names (issue 10, case 2) ----------------------------

EUROPEAN = 'id;balance;amount;note;y\n1;"1.234,56";1,5;a;yes\n2;"12.000,00";2;b;no\n3;"7,5";3,25;c;no\n'.encode()


def test_named_convention_reads_numbers_written_for_people(workspace, analyst, project):
    dataset = _ingest(workspace, analyst, project, EUROPEAN, decimal=",", thousands=".")
    assert [c.dtype for c in dataset.columns] == ["integer", "float", "float", "string", "string"]
    frame = datasets.load_frame(workspace, dataset)
    assert frame["balance"].tolist() == [1234.56, 12000.0, 7.5] and frame["amount"].tolist() == [1.5, 2.0, 3.25]
    assert any("'balance' was read as numbers written 1.234,56" in n for n in dataset.lineage.notes)
    plain = _ingest(workspace, analyst, project, EUROPEAN, "plain.csv")
    assert [c.dtype for c in plain.columns][1:3] == ["string", "string"]  # unnamed: left for the profile


def test_a_column_that_does_not_fit_the_named_convention_stays_text_and_says_why(workspace, analyst, project):
    rows = "".join(f'{i};"{i},5";yes\n' for i in range(40)) + '40;"unknown";no\n'
    dataset = _ingest(workspace, analyst, project, ("id;v;y\n" + rows).encode(), decimal=",")
    assert dataset.columns[1].dtype == "string"
    assert any("'v' stays text: 1 of its values, such as 'unknown'" in n for n in dataset.lineage.notes)


def test_contradictory_convention_is_refused(workspace, analyst, project):
    refused(workspace, analyst, project.id, GOOD, "c.csv", "both ','", decimal=",", thousands=",")
