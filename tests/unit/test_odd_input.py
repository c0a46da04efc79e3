"""Property-based: generated frames with odd column names, types, encodings and values go through ingest,
profiling, the recipe (suggest, save, freeze), the split, training (a quick model), registering and batch
scoring. Every step ends in a result or a clear ``InputError`` (a problem and a fix), never another
exception; a refused step writes nothing (every table's row count and every file are compared before and
after), and the bytes of a text column come back exactly as written.

Hypothesis settings: the ``ci`` profile (with ``CI`` set, as ``.ci/run`` has it) is derandomized, so CI
runs the same examples every time; ``dev`` draws new ones. Both keep examples few and small so the file
runs in well under a minute. ``HYPOTHESIS_PROFILE=deep`` draws many more when hunting defects by hand.
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import os
import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.control import currently_in_test_context, event
from hypothesis import strategies as st

from lifecycle import auth
from lifecycle.data import datasets, preparation, profile
from lifecycle.deploy import batch
from lifecycle.develop import search
from lifecycle.errors import InputError
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace

_COMMON = dict(deadline=dt.timedelta(seconds=20), suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.data_too_large],
               database=None, print_blob=True)
settings.register_profile("ci", derandomize=True, max_examples=20, **_COMMON)
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile("deep", max_examples=300, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)
# The whole path trains and scores: fewer examples, each up to a few seconds.
PIPELINE_EXAMPLES = 60 if PROFILE == "deep" else 6

ROWS = 12
# Names people and exports really produce, and names that break naive code.
ODD_NAMES = ["select", "FROM", "order by", "group", "a b", " padded ", "'quoted'", '"double"', "it's", "1st",
             "2024", "x" * 300, "Größe", "名前", "émoji🙂", "a.b", "a-b", "a/b", "a;b", "a,b", "a|b", "a\tb",
             "__index_level_0__", "NULL", "null", "nan", "None", "true", "=cmd|' /C calc'!A0", "+1", "-1", "@x",
             "<b>x</b>", "**x**", "$x$", ":material/home:", "[l](http://x)", "y_", "Y ", "prediction",
             "not_scored_because", "probability_yes", "rowid", "ID", "id"]
SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=10)
NAMES = st.one_of(st.sampled_from(ODD_NAMES), SAFE_TEXT, SAFE_TEXT, st.text(max_size=6))


def _column(kind: str) -> st.SearchStrategy:
    cell = {
        "int": st.integers(-10, 10),
        "huge int": st.integers(-2 ** 70, 2 ** 70),
        "float": st.floats(allow_nan=True, allow_infinity=True, width=64),
        "bool": st.booleans(),
        "text": st.one_of(SAFE_TEXT, st.sampled_from(ODD_NAMES)),
        "any text": st.text(max_size=8),
        "mixed": st.one_of(st.integers(-5, 5), SAFE_TEXT, st.none(), st.floats(width=32), st.booleans()),
        "datetime": st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
        "datetime tz": st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1),
                                    timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=5))])),
        "bytes": st.binary(max_size=6),
        "null": st.none(),
    }[kind]
    return st.lists(st.one_of(cell, st.none()) if kind != "null" else cell, min_size=ROWS, max_size=ROWS)


KINDS = ["int", "huge int", "float", "bool", "text", "any text", "mixed", "datetime", "datetime tz", "bytes", "null"]
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "parquet"]


@st.composite
def odd_files(draw, *, tame: bool = False):
    """(file bytes, file name, encoding to read it with, the frame written, the columns' kinds).
    ``tame``: names and kinds most files of the pipeline test get past ingest with (still odd)."""
    n = draw(st.integers(1, 4))
    names = [draw(st.sampled_from(ODD_NAMES) if tame else NAMES) for _ in range(n)]
    if not tame and draw(st.integers(0, 4)) == 0:
        names.append(draw(st.sampled_from(names)))  # a duplicate, or one colliding after trimming/case
    kinds = [draw(st.sampled_from(["int", "float", "bool", "text", "mixed", "null"] if tame else KINDS))
             for _ in names]
    frame = pd.DataFrame({i: draw(_column(k)) for i, k in enumerate(kinds)})
    frame.columns = names
    with_target = tame or draw(st.booleans())
    if with_target:
        frame["y"] = draw(st.permutations(["yes", "no"] * (ROWS // 2)))
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding == "parquet":
        buffer = io.BytesIO()
        try:
            pq.write_table(pa.Table.from_pandas(frame.set_axis(range(len(frame.columns)), axis=1)
                                                .astype({i: object for i, k in enumerate(kinds) if k == "mixed"}),
                                                preserve_index=False)
                           .rename_columns([str(c) for c in frame.columns]), buffer)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            assume(False)  # pyarrow cannot write this frame at all: no file to test
        return buffer.getvalue(), "odd.parquet", "utf-8", frame, kinds
    text = frame.to_csv(index=False)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode(encoding, errors="replace")  # what a legacy export does with what it cannot write
    read_as = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    if draw(st.booleans()):
        read_as = "utf-8"  # the user forgot to say the encoding
    return data, "odd.csv", read_as, frame, kinds


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("odd") / "w.duckdb"
    workspace = open_workspace(path)
    admin = auth.init_admin(workspace, "admin")
    analyst = auth.add_user(workspace, admin, "ana", "analyst")
    yield workspace, analyst, itertools.count(1)
    close_database(path)


def fingerprint(workspace) -> tuple:
    """Every table's row count and every file beside the database, with its size."""
    db = workspace.db
    tables = [r["table_name"] for r in db.rows("SELECT table_name FROM duckdb_tables() ORDER BY 1")]
    counts = tuple((t, db.value(f'SELECT count(*) FROM "{t}"')) for t in tables)
    files = tuple(sorted((str(p), p.stat().st_size) for p in workspace.artifacts_dir.rglob("*") if p.is_file()))
    return counts, files


def _event(text: str) -> None:
    if currently_in_test_context():  # attempt() also serves the plain tests below
        event(text)


def attempt(workspace, step: str, call):
    """``call()``'s result, or None when it raised a clear InputError and wrote nothing; any other
    exception fails the test with the step named."""
    before = fingerprint(workspace)
    try:
        result = call()
    except InputError as refused:
        _event(f"{step}: refused")  # --hypothesis-show-statistics lists how far the examples got
        _event(f"{step}: " + re.sub(r"'.*?'|\d+", "_", refused.problem)[:50])
        assert refused.problem.strip() and refused.fix.strip(), (step, refused.problem, refused.fix)
        assert fingerprint(workspace) == before, f"{step} was refused but wrote: {refused.problem}"
        return None
    _event(f"{step}: done")
    return result


def _new_project(workspace, analyst, counter):
    return projects.create_project(workspace, analyst, name=f"odd {next(counter)}", task="binary", target="y",
                                   positive_class="yes")


def _text_round_trip(workspace, dataset, frame, kinds, encoding_ok: bool) -> None:
    """A column of plain text read in its own encoding comes back exactly as written."""
    if not encoding_ok:
        return
    loaded = datasets.load_frame(workspace, dataset)
    for (name, column), kind in zip(frame.items(), kinds):
        if kind != "text" or name not in loaded.columns or list(frame.columns).count(name) != 1:
            continue
        written = [None if v is None else str(v) for v in column]
        back = [None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v) for v in loaded[name]]
        wanted = [v if v is None or v.strip() else None for v in written]  # blank cells are empty
        if all(v is None or v == v.strip() for v in written):
            assert back == wanted or all(isinstance(x, str) for x in back if x is not None), (name, written, back)


@given(case=odd_files())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, *_COMMON["suppress_health_check"]])
def test_ingest_and_profile_give_a_result_or_a_clear_error(world, case):
    workspace, analyst, counter = world
    data, filename, encoding, frame, kinds = case
    project = _new_project(workspace, analyst, counter)
    auxiliary = "y" not in frame.columns  # a table without the target comes in as an auxiliary one
    dataset = attempt(workspace, "ingest", lambda: datasets.ingest_bytes(workspace, analyst, project.id, data,
                                                                        filename, encoding=encoding,
                                                                        auxiliary=auxiliary))
    if dataset is None:
        return
    assert dataset.rows == ROWS and len(dataset.column_names) == len(frame.columns)
    report = attempt(workspace, "profile", lambda: profile.get_profile(
        workspace, dataset, target=None if auxiliary else "y", task=None if auxiliary else "binary"))
    if report is not None:
        assert report.rows == ROWS and [c.name for c in report.columns] == list(dataset.column_names)
    if not auxiliary:
        attempt(workspace, "suggested recipe", lambda: preparation.suggested_recipe(workspace, dataset, project))
    _text_round_trip(workspace, dataset, frame, kinds, encoding_ok=filename.endswith(".parquet"))


@given(case=odd_files(tame=True))
@settings(max_examples=PIPELINE_EXAMPLES,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much,
                                 *_COMMON["suppress_health_check"]])
def test_recipe_training_and_scoring_give_a_result_or_a_clear_error(world, case):
    workspace, analyst, counter = world
    data, filename, encoding, frame, kinds = case
    project = _new_project(workspace, analyst, counter)
    dataset = attempt(workspace, "ingest", lambda: datasets.ingest_bytes(workspace, analyst, project.id, data,
                                                                        filename, encoding=encoding))
    if dataset is None:
        return
    frozen = attempt(workspace, "freeze", lambda: preparation.freeze_with_suggested_recipe(workspace, analyst,
                                                                                           dataset.id))
    if frozen is None:
        return
    split = attempt(workspace, "split", lambda: preparation.create_split(workspace, analyst, frozen.id,
                                                                        test_size=0.25))
    if split is None:
        return
    result = attempt(workspace, "train", lambda: search.run_search(
        workspace, analyst, project_id=project.id, dataset_id=frozen.id, split_id=split.id, algorithm="linear",
        method="none", cv_folds=2))
    if result is None or result.best_run_id is None:
        return
    version = attempt(workspace, "register", lambda: registry.register_run(workspace, analyst, result.best_run_id))
    if version is None:
        return
    scored = attempt(workspace, "batch score", lambda: batch.score_bytes(workspace, analyst, version.id, data,
                                                                         filename, encoding=encoding))
    if scored is not None:
        assert scored.summary.rows == ROWS and scored.summary.scored + scored.summary.refused == ROWS
        assert len(scored.frame) == ROWS
        assert scored.to_bytes("csv") and scored.to_bytes("parquet")


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16", "utf-8-sig", "utf-16-le", "utf-16-be",
                                      "utf-32"])
def test_each_encoding_reads_back_exactly_or_is_refused_clearly(world, encoding):
    workspace, analyst, counter = world
    frame = pd.DataFrame({"Größe": ["Müller", "Ærø", "café", "naïve"], "prix €" if encoding != "latin-1" else "prix":
                          ["1,5", "2", "3", "4"], "y": ["yes", "no", "yes", "no"]})
    data = frame.to_csv(index=False).encode(encoding)
    project = _new_project(workspace, analyst, counter)
    read_as = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, data, "enc.csv", encoding=read_as)
    loaded = datasets.load_frame(workspace, dataset)
    assert list(loaded.columns) == list(frame.columns)
    assert loaded["Größe"].tolist() == frame["Größe"].tolist()
    if encoding not in ("utf-8-sig",):  # read as UTF-8 by mistake: refused with the fix, or read losslessly
        before = fingerprint(workspace)
        try:
            wrong = datasets.ingest_bytes(workspace, analyst, project.id, data, "enc.csv", encoding="utf-8")
        except InputError as refused:
            assert "encoding" in (refused.problem + refused.fix).lower(), refused.problem
            assert fingerprint(workspace) == before
        else:
            assert datasets.load_frame(workspace, wrong)["Größe"].tolist() == frame["Größe"].tolist()


def test_odd_values_reach_the_scorer_as_results_or_reasons(world):
    """Values a JSON client or a file may send (inf, nan, huge ints, bools, text in a number column, bytes):
    each row is scored or refused with its reason, never an exception."""
    workspace, analyst, counter = world
    project = _new_project(workspace, analyst, counter)
    rng = np.random.default_rng(0)
    rows = 40
    csv = pd.DataFrame({"amount": rng.normal(size=rows).round(3), "city": rng.choice(["a", "b"], rows),
                        "y": ["yes", "no"] * (rows // 2)}).to_csv(index=False).encode()
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, csv, "base.csv")
    frozen = preparation.freeze_with_suggested_recipe(workspace, analyst, dataset.id)
    split = preparation.create_split(workspace, analyst, frozen.id, test_size=0.25)
    result = search.run_search(workspace, analyst, project_id=project.id, dataset_id=frozen.id, split_id=split.id,
                               algorithm="linear", method="none", cv_folds=2)
    version = registry.register_run(workspace, analyst, result.best_run_id)
    odd = pd.DataFrame({"amount": [math.inf, -math.inf, math.nan, 2 ** 70, True, "12", "x", None, b"\x00", 1e308],
                        "city": ["a", "<b>", "", None, "b", 3, math.nan, "a" * 500, "a", "=1+1"]})
    buffer = io.BytesIO()
    odd.astype(str).to_parquet(buffer)
    for data, name in ((odd.to_csv(index=False).encode(), "odd.csv"), (buffer.getvalue(), "odd.parquet")):
        scored = attempt(workspace, f"score {name}", lambda: batch.score_bytes(workspace, analyst, version.id, data,
                                                                               name))
        assert scored is not None, name
        assert scored.summary.rows == len(odd) and scored.summary.scored + scored.summary.refused == len(odd)
        assert scored.summary.refused >= 1  # inf, text and the rest are named, not scored
        assert b"=1+1" not in scored.to_bytes("csv").replace(b"'=1+1", b"")  # the formula is neutralised


# -- what Hypothesis found (each was an uncaught exception or a silent loss before the fix) ---------------
@pytest.mark.parametrize(("data", "said"), [
    (b"\r0\n0\n0\n", "The header row of odd.csv could not be read"),  # csv.Error escaped from the header reader
    (b"\r\n0\n1\n2\n", "The first line of odd.csv is empty"),  # the first data row became the header: a row lost
    (b"\n\na,y\n1,yes\n", "The first line of odd.csv is empty"),
])
def test_a_header_line_that_is_empty_or_holds_a_carriage_return_is_refused(world, data, said):
    workspace, analyst, counter = world
    project = _new_project(workspace, analyst, counter)
    before = fingerprint(workspace)
    with pytest.raises(InputError, match=said):
        datasets.ingest_bytes(workspace, analyst, project.id, data, "odd.csv", auxiliary=True)
    assert fingerprint(workspace) == before


def test_utf16_is_split_into_columns_by_characters_not_bytes(world):
    """'Ļ' (U+013B) is the bytes 3B 01 in UTF-16-LE, and 3B is ';': the delimiter was sniffed from the bytes,
    so 'Ļ,Ļ' was read as one column named 'Ļ,Ļ' (the duplicate went unnoticed) and every row as one text."""
    workspace, analyst, counter = world
    project = _new_project(workspace, analyst, counter)
    data = pd.DataFrame({"Ļa": ["x", "Ļ;y"], "b": [1, 2]}).to_csv(index=False).encode("utf-16")
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, data, "odd.csv", encoding="utf-16", auxiliary=True)
    assert datasets.load_frame(workspace, dataset).to_dict("list") == {"Ļa": ["x", "Ļ;y"], "b": [1, 2]}
    twins = pd.DataFrame([[0, 0]], columns=["Ļ", "Ļ"]).to_csv(index=False).encode("utf-16")
    with pytest.raises(InputError, match="are both named 'Ļ'"):
        datasets.ingest_bytes(workspace, analyst, project.id, twins, "odd.csv", encoding="utf-16", auxiliary=True)


def test_a_run_that_cannot_be_fitted_on_the_whole_split_is_refused_at_registering(world):
    """Every fold fitted, the whole split did not (a value near 1e190 overflows the scaler's variance): a
    ValueError escaped from ``register_run``."""
    workspace, analyst, counter = world
    project = _new_project(workspace, analyst, counter)
    data = (b"select,y\n0.0,yes\n,no\n0.0,yes\n,no\n0.0,yes\n0.0,no\n0.0,yes\n0.0,no\n,yes\n,no\n"
            b"4.720176452268037e+190,yes\n0.0,no\n")
    dataset = datasets.ingest_bytes(workspace, analyst, project.id, data, "odd.csv")
    frozen = preparation.freeze_with_suggested_recipe(workspace, analyst, dataset.id)
    split = preparation.create_split(workspace, analyst, frozen.id, test_size=0.25)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow and convergence warnings: the point of the example
        result = search.run_search(workspace, analyst, project_id=project.id, dataset_id=frozen.id, split_id=split.id,
                                   algorithm="linear", method="none", cv_folds=2)
        before = fingerprint(workspace)
        with pytest.raises(InputError, match=r"could not be fitted on all 9 training rows"):
            registry.register_run(workspace, analyst, result.best_run_id)
    assert fingerprint(workspace) == before
