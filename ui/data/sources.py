"""Data page: bringing data in (upload, bundled datasets, read-only SQL)."""
from __future__ import annotations

import streamlit as st

from lifecycle import auth, config, exports
from lifecycle.data import datasets
from lifecycle.data import query
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import disabled_reason, last_action, reported_errors, text

# The ingest form's choices: label -> decimal mark and thousands separator.
NUMBER_CONVENTIONS = {
    "detect (the profile offers conversions)": {},
    "1,234.56 (decimal '.', thousands ',')": {"decimal": ".", "thousands": ","},
    "1.234,56 (decimal ',', thousands '.')": {"decimal": ",", "thousands": "."},
    "1 234,56 (decimal ',', thousands space)": {"decimal": ",", "thousands": " "},
    "1'234.56 (decimal '.', thousands ')": {"decimal": ".", "thousands": "'"},
    "1234,56 (decimal ',', no thousands)": {"decimal": ","},
}


def _done(message: str, dataset) -> None:
    """Remember what the last ingest did, as Markdown with every name in it written literally."""
    notes = "".join(f"\n- {text(n)}" for n in dataset.lineage.notes)
    state.remember(state.INGEST_MESSAGE, f"{message}{notes}", project_id=dataset.project_id)
    state.remember(state.DATASET_IN_FOCUS, dataset.id, project_id=dataset.project_id)


def render(workspace: Workspace, project: Project, user: User) -> None:
    cannot = auth.why_not(user, auth.Permission.EDIT_DATA)
    if message := state.recall(state.INGEST_MESSAGE, project_id=project.id):
        last_action(state.INGEST_MESSAGE, message, project_id=project.id)  # Markdown made by _done
    upload, bundled, sql = st.columns(3)
    with upload:
        st.markdown("**Upload a file**")
        limit_mb = config.limits().max_upload_bytes // (1024 * 1024)
        with st.form("ingest_upload", clear_on_submit=True):
            # No `type=`: Streamlit then checks the name before the page runs and fails outside it on a
            # NUL byte; ingest checks the suffix itself and cleans the name (lifecycle.names).
            uploaded = st.file_uploader(f"CSV, TSV or Parquet (optionally .gz), up to {limit_mb} MB",
                                        key="data_upload")
            name = st.text_input("Dataset name (default: the file name)", key="data_upload_name")
            encoding = st.selectbox("Text encoding", ["utf-8", "latin-1", "cp1252", "utf-16"], key="data_encoding")
            numbers = st.selectbox("Numbers written like", list(NUMBER_CONVENTIONS), key="data_numbers",
                                   help="How the file writes numbers; text columns written this way are read "
                                        "as numbers. Left on 'detect', the profile finds them and the recipe "
                                        "offers to convert them.")
            auxiliary = st.checkbox("Auxiliary table (no target; to join in SQL)", key="data_auxiliary")
            submitted = st.form_submit_button("Ingest", type="primary", disabled=cannot is not None)
        if submitted:
            if uploaded is None:
                st.error("No file chosen. Pick a CSV or Parquet file above, then press Ingest.", icon=":material/error:")
            else:
                with reported_errors(), st.status(f"Ingesting {text(uploaded.name)}…") as status:
                    bar = st.progress(0.0)
                    dataset = datasets.ingest_bytes(
                        workspace, user, project.id, uploaded.getvalue(), uploaded.name, name=name or None,
                        auxiliary=auxiliary, encoding=encoding, **NUMBER_CONVENTIONS[numbers],
                        progress=lambda f, m: bar.progress(f, text=m))
                    status.update(label=f"Ingested {text(dataset.label)}", state="complete")
                    _done(f"Ingested {text(dataset.label)}: {dataset.rows:,} rows × {len(dataset.columns)} columns.", dataset)
                    st.rerun()
    with bundled:
        st.markdown("**Bundled public datasets**")
        key = st.selectbox("Dataset", list(datasets.BUNDLED), key="data_bundled",
                           format_func=lambda k: f"{k} — {datasets.BUNDLED[k][1]}")
        if st.button("Ingest bundled dataset", key="data_bundled_go", disabled=cannot is not None):
            with reported_errors(), st.spinner("Ingesting…"):
                dataset = datasets.ingest_bundled(workspace, user, project.id, key)
                _done(f"Ingested {text(dataset.label)}: {dataset.rows:,} rows × {len(dataset.columns)} columns.", dataset)
                st.rerun()
    with sql:
        st.markdown("**Read-only SQL over this project's datasets**")
        views = query.available_views(workspace, project.id)
        st.caption("Tables: " + (", ".join(f"`{v}`" for v in sorted(views)) or "none yet"))
        for note in query.case_twin_notes(views):
            st.caption(text(note))
        with st.form("data_sql"):
            statement = st.text_area("SELECT …", key="data_sql_text", height=120)
            freeze_name = st.text_input("Save the result as dataset (name)", key="data_sql_name")
            run = st.form_submit_button("Run query")
            freeze = st.form_submit_button("Run and save as dataset", disabled=cannot is not None)
        if run or freeze:
            with reported_errors():
                if freeze:
                    dataset = query.freeze_query(workspace, user, project.id, statement,
                                                 name=freeze_name or "query_result", auxiliary=False)
                    _done(f"Saved the query result as {text(dataset.label)}: {dataset.rows:,} rows.", dataset)
                    st.rerun()
                result = query.run_query(workspace, project.id, statement)
                st.dataframe(result.table.to_pandas(), hide_index=True, width="stretch")
                st.download_button("Download these rows (CSV)", exports.csv_bytes(result.table), "query_result.csv",
                                   mime="text/csv", key="data_sql_download",
                                   help="Cells that a spreadsheet would run as a formula start with an apostrophe.")
                if result.truncated:
                    st.caption(f"Showing the first {result.table.num_rows:,} rows (a preview is bounded in rows "
                               "and size; save the result as a dataset to keep all of it).")
    disabled_reason(cannot)
