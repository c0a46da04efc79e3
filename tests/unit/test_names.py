"""Control characters in names are cleaned (a file's name) or refused (a typed name) at the
boundary: uploads, dataset names, project fields, column names and the CLI (issue 11, case 7)."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import io

import pytest

from lifecycle import names
from lifecycle.cli import main
from lifecycle.data import datasets, query
from lifecycle.errors import InputError
from lifecycle.problem import projects
from lifecycle.store.db import close_database

CSV = b"age,y\n31,yes\n45,no\n"


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("a\r\nb.csv", "a b.csv"), ("a\x00b.csv", "a b.csv"), ("\x1b[31mred.csv", "[31mred.csv"),
    ("evil\u202ecsv.exe.csv", "evil csv.exe.csv"), ("plain name.csv", "plain name.csv"),
    ("tab\there", "tab here"), ("line\u2028sep", "line sep"),
])
def test_clean(raw, cleaned):
    assert names.clean(raw) == cleaned


def test_an_uploaded_file_name_is_cleaned(workspace, actors, project):
    dataset = datasets.ingest_bytes(workspace, actors["analyst"], project.id, CSV, "spl\r\nit\x00.csv")
    assert dataset.name == "spl it"
    assert dataset.lineage.name == "spl it .csv"


@pytest.mark.parametrize("name", ["two\nlines", "cr\rname", "nul\x00", "bidi\u202eevil"])
def test_a_typed_dataset_name_with_a_control_character_is_refused(workspace, actors, project, name):
    with pytest.raises(InputError, match="Dataset name .* holds a control character"):
        datasets.ingest_bytes(workspace, actors["analyst"], project.id, CSV, "ok.csv", name=name)
    datasets.ingest_bytes(workspace, actors["analyst"], project.id, CSV, "ok.csv")  # the file itself is fine
    with pytest.raises(InputError, match="holds a control character"):
        query.freeze_query(workspace, actors["analyst"], project.id, "SELECT * FROM ok", name=name)


def test_a_column_name_with_a_control_character_is_refused(workspace, actors, project):
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a\nb": [1, 2], "y": ["yes", "no"]}), buffer)
    with pytest.raises(InputError, match="Column 1 of t.parquet, 'a b' holds a control character \\(line feed"):
        datasets.ingest_bytes(workspace, actors["analyst"], project.id, buffer.getvalue(), "t.parquet")
    with pytest.raises(InputError, match="holds a control character \\(nul"):
        datasets.ingest_bytes(workspace, actors["analyst"], project.id, b"a\x00b,y\n1,yes\n2,no\n", "n.csv")


@pytest.mark.parametrize("field", ["name", "target"])
def test_project_names_are_checked(workspace, actors, field):
    fields = dict(name="Churn", task="binary", target="y")
    fields[field] = "bad\r\nvalue"
    with pytest.raises(InputError, match="holds a control character \\(carriage return"):
        projects.create_project(workspace, actors["analyst"], **fields)
    with pytest.raises(InputError, match="The sensitive attribute"):
        projects.create_project(workspace, actors["analyst"], name="P", task="binary", target="y",
                                sensitive=["sex\n"])


def test_the_cli_lists_one_line_per_dataset_and_refuses_a_bad_name(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("LIFECYCLE_USER", raising=False)
    path = tmp_path / "cli.duckdb"
    odd = tmp_path / "odd\r\nname.csv"
    odd.write_bytes(CSV)
    try:
        for argv in (["workspace", "init", "--admin", "root"],
                     ["--user", "root", "project", "create", "P", "--task", "binary", "--target", "y",
                      "--positive-class", "yes"],
                     ["--user", "root", "data", "ingest", str(odd), "--project", "P"]):
            assert main(["--workspace", str(path), *argv]) == 0
        capsys.readouterr()
        assert main(["--workspace", str(path), "data", "list", "--project", "P"]) == 0
        listing = capsys.readouterr().out
        assert "odd name" in listing and "\r" not in listing
        code = main(["--workspace", str(path), "--user", "root", "data", "ingest", str(odd), "--project", "P",
                     "--name", "x\ny"])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1 and "control character" in err
    finally:
        close_database(path)
