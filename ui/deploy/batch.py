"""The Deploy page's batch-scoring panel: upload a CSV or Parquet file, score it with a model version,
see the summary and every refused value (row, column, problem), and download the scored file."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from lifecycle import auth, config
from lifecycle.deploy import batch
from lifecycle.records import ModelVersion, Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import disabled_reason, reported_errors, text

FORMATS = {"CSV": "csv", "Parquet": "parquet"}
ENCODINGS = ["utf-8", "latin-1", "cp1252", "utf-16"]  # as the Data page offers at ingest
MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def render(workspace: Workspace, user: User, project: Project, version: ModelVersion) -> None:
    st.caption(f"Score a file with {text(project.name)} {text(version.label)}. Every row is checked against the "
               "model's input schema first; a row that does not fit is not scored and is listed below with its "
               "row (0 = the first data row) and column, and kept in the download with the reason.")
    cannot = auth.why_not(user, auth.Permission.SCORE_BATCH)
    limit_mb = config.limits().max_upload_bytes // (1024 * 1024)
    with st.form(f"batch_form_{version.id}"):
        # no type= filter: Streamlit raises on an odd file name (a NUL) before the page could say why;
        # batch scoring refuses other kinds of file with its own message
        uploaded = st.file_uploader(f"CSV, TSV or Parquet (optionally .gz), up to {limit_mb} MB",
                                    key=f"batch_upload_{version.id}")
        encoding = st.selectbox("Text encoding", ENCODINGS, key=f"batch_encoding_{version.id}",
                                help="How a CSV or TSV file writes its characters (Parquet says so itself).")
        submitted = st.form_submit_button("Score file", type="primary", disabled=cannot is not None)
    disabled_reason(cannot)
    chosen = st.radio("Download as", list(FORMATS), horizontal=True, key=f"batch_format_{version.id}",
                      help="CSV cells that a spreadsheet would run as formulas are written as text.")
    if submitted:
        if uploaded is None:
            st.error("No file chosen. Pick a CSV or Parquet file above, then press Score file.", icon=":material/error:")
        else:
            state.forget(state.BATCH_RESULT, project_id=project.id, item=version.id)  # never show an older file's result
            with reported_errors(), st.status(f"Scoring {text(uploaded.name)}…", expanded=True) as status:
                bar = st.progress(0.0)
                result = batch.score_bytes(workspace, user, version.id, uploaded.getvalue(), uploaded.name,
                                           encoding=encoding,
                                           progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
                status.update(label=f"Scored {result.summary.scored:,} of {result.summary.rows:,} rows",
                              state="complete", expanded=False)
                state.remember(state.BATCH_RESULT, result, project_id=project.id, item=version.id)
    result = state.recall(state.BATCH_RESULT, project_id=project.id, item=version.id)
    if result is not None:
        show(result, FORMATS[chosen], version=version)


def show(result: batch.BatchResult, fmt: str, *, version: ModelVersion) -> None:
    """The summary, the prediction distribution, the refused values, and the download."""
    summary = result.summary
    rows, scored, refused = st.columns(3)
    rows.metric("Rows", f"{summary.rows:,}")
    scored.metric("Scored", f"{summary.scored:,}")
    refused.metric("Not scored", f"{summary.refused:,}")
    st.caption(f"{text(summary.file_name)} · {text(summary.project)} {text(summary.version_label)} · "
               f"file SHA-256 {summary.source_hash[:12]}")
    for note in summary.notes:
        st.caption(f"ℹ️ {text(note)}")
    if summary.distribution:
        st.dataframe(pd.DataFrame({"Prediction": list(summary.distribution),
                                   "Rows": list(summary.distribution.values()),
                                   "Share": [n / max(summary.scored, 1) for n in summary.distribution.values()]}),
                     hide_index=True, column_config={"Share": st.column_config.NumberColumn(format="percent")},
                     key=f"batch_distribution_{version.id}")
    if summary.statistics:
        st.dataframe(pd.DataFrame([summary.statistics]), hide_index=True, key=f"batch_statistics_{version.id}")
    if result.problems:
        shown = "" if summary.problems <= len(result.problems) else (
            f" The first {len(result.problems):,} are listed; the download has every row's reason.")
        st.warning(f"{summary.refused:,} row(s) were not scored: {summary.problems:,} value(s) do not fit the "
                   f"model's input schema.{shown}", icon=":material/warning:")
        # A dataframe shows cells as literal text: no markdown, no HTML, whatever the file held.
        st.dataframe(batch.table_of_problems(result.problems), hide_index=True, width="stretch",
                     key=f"batch_problems_{version.id}")
    stem = Path(summary.file_name).name.split(".")[0] or "scored"
    st.download_button(f"Download the scored file ({fmt})", data=result.to_bytes(fmt),
                       file_name=f"{stem}-scored-v{version.version}.{fmt}", mime=MIME[fmt],
                       key=f"batch_download_{version.id}", on_click="ignore", type="primary")
