"""User SQL, route by route: the Data page's preview and save, ``run_query``, ``freeze_query`` and the
CLI's ``data query`` (with and without ``--freeze``) never read a file, reach the network, load an
extension, attach a database, copy or export, change a setting or write, and each refusal says why.

The workspace is compared before and after every refused statement: every table's row count, the
newest audit hash and every file beside the database (and in the folder a statement aims at).
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lifecycle.cli import main
from lifecycle.data import datasets, query
from lifecycle.errors import InputError
from lifecycle.store.db import close_database

SECRET = "s3cr3t-value"
# (label, SQL with {dir} for a folder holding readable files, what the refusal must say)
FILES = "file system operations are disabled"
HOSTILE = [
    ("read_csv", "SELECT * FROM read_csv('{dir}/secret.csv')", FILES),
    ("read_parquet", "SELECT * FROM read_parquet('{dir}/secret.parquet')", FILES),
    ("parquet glob", "SELECT * FROM read_parquet('{dir}/*.parquet')", FILES),
    ("glob", "SELECT * FROM glob('{dir}/*')", FILES),
    ("bare file", "SELECT * FROM '{dir}/secret.csv'", FILES),
    ("file in a subquery", "SELECT * FROM customers WHERE id IN (SELECT 1 FROM '{dir}/secret.csv')", FILES),
    ("read_text", "SELECT * FROM read_text('{dir}/secret.csv')", FILES),
    ("https", "SELECT * FROM read_csv('https://example.com/data.csv')", FILES),
    ("s3", "SELECT * FROM read_parquet('s3://bucket/data.parquet')", FILES),
    ("install", "INSTALL httpfs", "this one would load or install an extension"),
    ("load", "LOAD httpfs", "this one would load or install an extension"),
    ("force install", "FORCE INSTALL httpfs FROM 'http://example.com'", "would load or install an extension"),
    ("extension function", "SELECT * FROM read_xlsx('{dir}/book.xlsx')", "exists in the excel extension"),
    ("attach", "ATTACH '{dir}/other.duckdb' AS other", "this one would attach another database"),
    ("copy to", "COPY customers TO '{dir}/leak.csv'", "this one would read or write a file"),
    ("copy from", "COPY customers FROM '{dir}/secret.csv'", "this one would read or write a file"),
    ("export", "EXPORT DATABASE '{dir}/export'", "this one would write files"),
    ("set", "SET enable_external_access = true", "this one would change a setting"),
    ("reset", "RESET lock_configuration", "this one would change a setting"),
    ("pragma", "PRAGMA database_list", "Only SELECT queries are allowed"),
    ("create", "CREATE TABLE stolen AS SELECT * FROM customers", "this one would change data"),
    ("insert", "INSERT INTO customers VALUES (9, 'Oslo', 'yes')", "this one would change data"),
    ("drop", "DROP TABLE customers", "this one would change data"),
    ("drop a workspace table", "DROP TABLE audit_log", "this one would change data"),
    ("a second statement", "SELECT 1; DROP TABLE customers", "this one would change data"),
    ("two selects", "SELECT 1; SELECT * FROM customers", "Write one SELECT statement"),
    ("query() of a copy", "SELECT * FROM query('COPY customers TO ''{dir}/leak.csv''')", "single SELECT"),
    ("a workspace table", "SELECT * FROM audit_log", "audit_log does not exist"),
]
CSV = b"id,city,y\n1,Oslo,yes\n2,Rome,no\n3,Oslo,no\n4,Oslo,yes\n"


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder of files a statement might try to read or write (apart from the workspace)."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.csv").write_text(f"secret\n{SECRET}\n")
    pq.write_table(pa.table({"secret": [SECRET]}), folder / "secret.parquet")
    return folder


def fingerprint(workspace, *folders: Path) -> dict:
    """Every table's row count, the newest audit hash, and every file (with its size) in the folders."""
    db = workspace.db
    tables = [r["table_name"] for r in db.rows("SELECT table_name FROM duckdb_tables() ORDER BY 1")]
    counts = {t: db.value(f'SELECT count(*) FROM "{t}"') for t in tables}
    head = db.value("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    files = {str(p): p.stat().st_size for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}
    return {"counts": counts, "audit_head": head, "files": files}


@pytest.fixture
def loaded(workspace, actors, project):
    return datasets.ingest_bytes(workspace, actors["analyst"], project.id, CSV, "customers.csv")


def _refuses_each(call, workspace, outside):
    for label, sql, said in HOSTILE:
        before = fingerprint(workspace, workspace.artifacts_dir, outside)
        with pytest.raises(InputError) as caught:
            call(sql.format(dir=outside))
        message = str(caught.value)
        assert said in message, (label, message)
        assert "Query only these tables: customers, customers_v1" in message  # the fix names what may be read
        assert SECRET not in message
        assert fingerprint(workspace, workspace.artifacts_dir, outside) == before, label


def test_run_query_refuses_each(workspace, project, loaded, outside):
    _refuses_each(lambda s: query.run_query(workspace, project.id, s), workspace, outside)


def test_freeze_query_refuses_each(workspace, actors, project, loaded, outside):
    _refuses_each(lambda s: query.freeze_query(workspace, actors["analyst"], project.id, s, name="leak"),
                  workspace, outside)


def test_a_plain_select_still_runs_on_every_lifecycle_route(workspace, actors, project, loaded):
    """The refusals above are not a sandbox that refuses everything."""
    sql = "SELECT city, count(*) AS n FROM customers GROUP BY city ORDER BY city"
    assert query.run_query(workspace, project.id, sql).table.to_pylist() == [{"city": "Oslo", "n": 3},
                                                                           {"city": "Rome", "n": 1}]
    frozen = query.freeze_query(workspace, actors["analyst"], project.id, "SELECT * FROM customers", name="copy")
    assert frozen.rows == 4


# -- the command line ------------------------------------------------------------------------------
@pytest.fixture
def cli_workspace(tmp_path, monkeypatch):
    """A workspace made by the CLI: admin root, analyst ana, project Churn with customers.csv."""
    monkeypatch.delenv("LIFECYCLE_USER", raising=False)
    monkeypatch.delenv("LIFECYCLE_WORKSPACE", raising=False)
    path = tmp_path / "cli" / "w.duckdb"
    csv = tmp_path / "customers.csv"
    csv.write_bytes(CSV)
    for argv in (["workspace", "init", "--admin", "root"],
                 ["--user", "root", "user", "add", "ana", "--role", "analyst"],
                 ["--user", "ana", "project", "create", "Churn", "--task", "binary", "--target", "y",
                  "--positive-class", "yes"],
                 ["--user", "ana", "data", "ingest", str(csv), "--project", "Churn"]):
        assert main(["--workspace", str(path), *argv]) == 0, argv
    yield path
    close_database(path)


@pytest.mark.parametrize("freeze", [False, True], ids=["query", "query --freeze"])
def test_the_cli_refuses_each_with_exit_2_and_one_line(capsys, cli_workspace, outside, freeze):
    from lifecycle.workspace import open_workspace

    workspace = open_workspace(cli_workspace)
    capsys.readouterr()
    for label, sql, said in HOSTILE:
        before = fingerprint(workspace, workspace.artifacts_dir, outside)
        argv = ["--workspace", str(cli_workspace), "--user", "ana", "data", "query", "--project", "Churn",
                sql.format(dir=outside)] + (["--freeze", "leak"] if freeze else [])
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2 and out == "", (label, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and said in lines[0], (label, err)
        assert SECRET not in err
        assert fingerprint(workspace, workspace.artifacts_dir, outside) == before, label
    assert main(["--workspace", str(cli_workspace), "--user", "ana", "data", "query", "--project", "Churn",
                 "SELECT count(*) AS n FROM customers"]) == 0
    assert "4" in capsys.readouterr().out
