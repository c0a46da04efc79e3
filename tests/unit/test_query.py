"""The read-only SQL sandbox over a project's frozen datasets."""
from __future__ import annotations

import pytest

from lifecycle import audit
from lifecycle.data import datasets
from lifecycle.data import query
from lifecycle.errors import InputError

TABLES = "cities, cities_v1, customers, customers_v1"


@pytest.fixture
def loaded(workspace, actors, project):
    analyst = actors["analyst"]
    customers = datasets.ingest_bytes(workspace, analyst, project.id,
                                      b"id,city,y\n1,Oslo,yes\n2,Rome,no\n3,Oslo,no\n4,Oslo,yes\n",
                                      "customers.csv")
    cities = datasets.ingest_bytes(workspace, analyst, project.id, b"city,country\nOslo,NO\nRome,IT\n",
                                   "cities.csv", auxiliary=True)
    return customers, cities


def test_views_name_latest_and_each_version(workspace, project, loaded):
    customers, cities = loaded
    views = query.available_views(workspace, project.id)
    assert views == {"customers": customers, "customers_v1": customers, "cities": cities, "cities_v1": cities}


def test_join_and_aggregate_over_two_datasets(workspace, project, loaded):
    result = query.run_query(workspace, project.id, """
        SELECT cities.country, count(*) AS n, sum(CASE WHEN y = 'yes' THEN 1 ELSE 0 END) AS positives
        FROM customers JOIN cities USING (city) GROUP BY 1 ORDER BY 1""")
    assert result.table.to_pylist() == [{"country": "IT", "n": 1, "positives": 0},
                                        {"country": "NO", "n": 3, "positives": 2}]
    assert not result.truncated


def test_preview_is_truncated(workspace, project, loaded):
    result = query.run_query(workspace, project.id, "SELECT * FROM range(50)", limit=10)
    assert result.table.num_rows == 10 and result.truncated


@pytest.mark.parametrize("sql", [
    "DROP TABLE customers",
    "INSERT INTO customers VALUES (5, 'Oslo', 'yes')",
    "COPY customers TO '/tmp/leak.csv'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "CREATE TABLE t AS SELECT 1",
    "SET enable_external_access = true",
    "INSTALL httpfs",
])
def test_writes_are_refused(workspace, project, loaded, sql):
    with pytest.raises(InputError) as caught:
        query.run_query(workspace, project.id, sql)
    assert "Only SELECT queries are allowed; this one would" in str(caught.value)  # what it would do: test_sql_routes
    assert f"Query only these tables: {TABLES}" in str(caught.value)


@pytest.mark.parametrize("sql", ["SELECT * FROM read_csv('/etc/passwd')",
                                 "SELECT * FROM read_text('/etc/passwd')",
                                 "SELECT * FROM '/etc/passwd.csv'"])
def test_the_file_system_is_out_of_reach(workspace, project, loaded, sql):
    with pytest.raises(InputError) as caught:
        query.run_query(workspace, project.id, sql)
    assert "The query was refused" in str(caught.value)
    assert "file system operations are disabled" in str(caught.value)


def test_two_statements_are_refused(workspace, project, loaded):
    with pytest.raises(InputError, match="Write one SELECT statement; this text holds 2"):
        query.run_query(workspace, project.id, "SELECT 1; SELECT 2")


@pytest.mark.parametrize("table", ["nope", "audit_log", "users"])
def test_unknown_table_lists_the_available_ones(workspace, project, loaded, table):
    with pytest.raises(InputError) as caught:
        query.run_query(workspace, project.id, f"SELECT * FROM {table}")
    assert f"Table with name {table} does not exist" in str(caught.value)
    assert f"Query only these tables: {TABLES}" in str(caught.value)


def test_empty_query_and_empty_project(workspace, project):
    with pytest.raises(InputError, match="The query is empty. Write a SELECT"):
        query.run_query(workspace, project.id, "  ")
    with pytest.raises(InputError, match="no datasets to query yet. Ingest a file"):
        query.run_query(workspace, project.id, "SELECT 1")


def test_freezing_a_result_makes_a_dataset_with_query_lineage(workspace, actors, project, loaded):
    sql = "SELECT customers.*, cities.country FROM customers JOIN cities USING (city) ORDER BY id"
    dataset = query.freeze_query(workspace, actors["analyst"], project.id, sql, name="joined")
    assert (dataset.name, dataset.rows) == ("joined", 4)
    assert dataset.column_names == ["id", "city", "y", "country"]
    assert dataset.lineage.kind == "query" and dataset.lineage.query == sql
    assert datasets.verify_dataset(workspace, dataset)
    assert audit.recent_events(workspace, limit=1)[0].details["source"] == "query"
    assert "joined" in query.available_views(workspace, project.id)


def test_freezing_an_empty_result_is_refused(workspace, actors, project, loaded):
    before = workspace.db.value("SELECT count(*) FROM dataset_versions")
    with pytest.raises(InputError, match="The query returned no rows. Loosen its WHERE clause"):
        query.freeze_query(workspace, actors["analyst"], project.id,
                           "SELECT * FROM customers WHERE id > 100", name="none")
    assert workspace.db.value("SELECT count(*) FROM dataset_versions") == before


def test_freezing_needs_the_target_unless_auxiliary(workspace, actors, project, loaded):
    with pytest.raises(InputError, match="Column 'y' \\(the target of project 'Churn'\\) is not in joined"):
        query.freeze_query(workspace, actors["analyst"], project.id, "SELECT city FROM customers", name="joined")
    aux = query.freeze_query(workspace, actors["analyst"], project.id, "SELECT city FROM customers",
                             name="just_cities", auxiliary=True)
    assert aux.auxiliary and aux.rows == 4


def test_a_reader_cannot_freeze(workspace, actors, project, loaded):
    from lifecycle.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="stakeholder \\(stakeholder\\) may not ingest data"):
        query.freeze_query(workspace, actors["stakeholder"], project.id, "SELECT * FROM customers", name="x")


# --- resource bounds: a result is bounded while it is produced (issue 11, case 1) ------------

def test_a_preview_fetches_a_bounded_number_of_rows_and_bytes(workspace, project, loaded):
    rows = query.run_query(workspace, project.id, "SELECT * FROM range(100000)")
    assert rows.table.num_rows == query.PREVIEW_ROWS and rows.truncated
    wide = query.run_query(workspace, project.id, "SELECT repeat('x', 1000000) AS s FROM range(100)")
    assert wide.truncated and 0 < wide.table.num_rows < 100
    assert wide.table.nbytes <= query.PREVIEW_BYTES


@pytest.mark.parametrize(("setting", "value", "sql", "message"), [
    ("LIFECYCLE_MAX_ROWS", "1000", "SELECT 1 AS y FROM range(300000000)",
     "The query result has more than 1,000 rows"),
    ("LIFECYCLE_MAX_UPLOAD_MB", "0.05", "SELECT repeat('x', 100) AS y FROM range(10000)",
     "The query result is larger than the upload limit of 52,428 bytes"),
    ("LIFECYCLE_MAX_COLUMNS", "3", "SELECT 1 AS a, 2 AS b, 3 AS c, 4 AS y",
     "The query result has 4 columns; a dataset may have at most 3"),
    ("LIFECYCLE_QUERY_MEMORY_MB", "64", "SELECT repeat('x', 5000000) AS y FROM range(300)",
     "The query needed more than its memory limit of 64 MB"),
])
def test_a_saved_result_obeys_the_upload_limits_and_names_the_setting(workspace, actors, project, loaded,
                                                                       monkeypatch, setting, value, sql, message):
    monkeypatch.setenv(setting, value)
    before = workspace.db.value("SELECT count(*) FROM dataset_versions")
    with pytest.raises(InputError) as caught:
        query.freeze_query(workspace, actors["analyst"], project.id, sql, name="big", auxiliary=True)
    assert message in str(caught.value)
    assert f"raise {setting}" in str(caught.value)
    assert workspace.db.value("SELECT count(*) FROM dataset_versions") == before


def test_the_sandbox_memory_limit_covers_the_result(tmp_path):
    """Peak memory of a process previewing 1.5 GB of strings stays near the sandbox's limit."""
    import subprocess
    import sys
    script = """
import resource
from lifecycle.store.sandbox import Bounds, ResultTooLarge, run_select
bounds = Bounds(max_rows=1000, max_bytes=16 << 20, max_columns=10, memory_bytes=128 << 20, truncate=True)
try:
    run_select("SELECT repeat('x', 5000000) FROM range(300)", {}, bounds)
    print("ran")
except ResultTooLarge as error:
    print(error.bound)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    bound, peak_mb = done.stdout.split()
    assert bound == "memory"
    # The result is 1.5 GB: unbounded, materialising it took 3.7 GB. Bounded, the process peaked at
    # 0.3 GB alone and 1.1 GB once on a busy machine (strings in flight on both threads).
    # 1.5 GB was seen once under heavy load (CI beside other work): the bound is there to tell a bounded
    # run from the unbounded 3.7 GB, not to time DuckDB's threads.
    assert int(peak_mb) < 2200


# --- the sandbox reaches no file, not even its own temp folder (issue 11, case 2) -----------

@pytest.mark.parametrize("sql", ["SELECT * FROM read_csv('.tmp/secret.csv')", "SELECT * FROM glob('.tmp/*')",
                                 "SELECT * FROM glob('*')"])
def test_the_sandbox_temp_folder_is_out_of_reach(workspace, project, loaded, tmp_path, monkeypatch, sql):
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "secret.csv").write_text("secret\n42\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="file system operations are disabled"):
        query.run_query(workspace, project.id, sql)


# -- column names that differ only in case (issue 10, case 4) -----------------------------

@pytest.fixture
def twins(workspace, actors, project):
    return datasets.ingest_bytes(workspace, actors["analyst"], project.id,
                                 b"score,SCORE,Age,age,y\n1,10,30,31,yes\n2,20,40,41,no\n", "twins.csv")


def test_case_twins_are_addressed_each_by_its_own_sql_name(workspace, project, twins):
    result = query.run_query(workspace, project.id, "SELECT score, SCORE_2, Age, age_2 FROM twins")
    assert result.table.to_pylist() == [{"score": 1, "SCORE_2": 10, "Age": 30, "age_2": 31},
                                        {"score": 2, "SCORE_2": 20, "Age": 40, "age_2": 41}]
    star = query.run_query(workspace, project.id, "SELECT * FROM twins")
    assert star.table.column_names == ["score", "SCORE_2", "Age", "age_2", "y"]
    assert query.case_twin_notes(query.available_views(workspace, project.id)) == [
        "In twins, columns whose names differ only in case are 'score' as score, 'SCORE' as SCORE_2, "
        "'Age' as Age, 'age' as age_2 (SQL names ignore case)."]


@pytest.mark.parametrize("sql, written", [("SELECT SCORE FROM twins", "SCORE"),
                                          ("SELECT t.Score FROM twins t WHERE age > 35", "Score")])
def test_an_ambiguous_case_twin_is_refused_with_the_names_to_write(workspace, project, twins, sql, written):
    with pytest.raises(InputError) as caught:
        query.run_query(workspace, project.id, sql)
    message = str(caught.value)
    assert message.startswith(f"{written} is ambiguous: table twins has columns 'score' and 'SCORE'"), message
    assert "Write score for 'score', SCORE_2 for 'SCORE'" in message and "rename one" in message


def test_sql_names_never_collide():
    assert query.sql_column_names(["a", "A", "A_2", "a_3"]) == {"a": "a", "A": "A_4", "A_2": "A_2", "a_3": "a_3"}
