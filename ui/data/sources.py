"""Data page: bringing data in (upload, bundled datasets, read-only SQL)."""
from __future__ import annotations

import streamlit as st

from lifecycle import auth, config
from lifecycle.data import datasets
from lifecycle.data import query
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import disabled_reason, last_action, reported_errors, text

def _done(message: str, dataset) -> None:
    notes = "".join(f"\n- {n}" for n in dataset.lineage.notes)
    state.remember(state.INGEST_MESSAGE, f"{message}{notes}", project_id=dataset.project_id)
    state.remember(state.DATASET_IN_FOCUS, dataset.id, project_id=dataset.project_id)


def render(workspace: Workspace, project: Project, user: User) -> None:
    cannot = auth.why_not(user, auth.Permission.EDIT_DATA)
    if message := state.recall(state.INGEST_MESSAGE, project_id=project.id):
        last_action(state.INGEST_MESSAGE, text(message), project_id=project.id)
    upload, bundled, sql = st.columns(3)
    with upload:
        st.markdown("**Upload a file**")
        limit_mb = config.limits().max_upload_bytes // (1024 * 1024)
        with st.form("ingest_upload", clear_on_submit=True):
            uploaded = st.file_uploader(f"CSV, TSV or Parquet (optionally .gz), up to {limit_mb} MB",
                                        type=["csv", "tsv", "txt", "gz", "parquet", "pq"], key="data_upload")
            name = st.text_input("Dataset name (default: the file name)", key="data_upload_name")
            encoding = st.selectbox("Text encoding", ["utf-8", "latin-1", "cp1252", "utf-16"], key="data_encoding")
            auxiliary = st.checkbox("Auxiliary table (no target; to join in SQL)", key="data_auxiliary")
            submitted = st.form_submit_button("Ingest", type="primary", disabled=cannot is not None)
        if submitted:
            if uploaded is None:
                st.error("No file chosen. Pick a CSV or Parquet file above, then press Ingest.", icon=":material/error:")
            else:
                with reported_errors(), st.status(f"Ingesting {uploaded.name}…") as status:
                    bar = st.progress(0.0)
                    dataset = datasets.ingest_bytes(
                        workspace, user, project.id, uploaded.getvalue(), uploaded.name, name=name or None,
                        auxiliary=auxiliary, encoding=encoding,
                        progress=lambda f, m: bar.progress(f, text=m))
                    status.update(label=f"Ingested {dataset.label}", state="complete")
                    _done(f"Ingested {dataset.label}: {dataset.rows:,} rows × {len(dataset.columns)} columns.", dataset)
                    st.rerun()
    with bundled:
        st.markdown("**Bundled public datasets**")
        key = st.selectbox("Dataset", list(datasets.BUNDLED), key="data_bundled",
                           format_func=lambda k: f"{k} — {datasets.BUNDLED[k][1]}")
        if st.button("Ingest bundled dataset", key="data_bundled_go", disabled=cannot is not None):
            with reported_errors(), st.spinner("Ingesting…"):
                dataset = datasets.ingest_bundled(workspace, user, project.id, key)
                _done(f"Ingested {dataset.label}: {dataset.rows:,} rows × {len(dataset.columns)} columns.", dataset)
                st.rerun()
    with sql:
        st.markdown("**Read-only SQL over this project's datasets**")
        views = query.available_views(workspace, project.id)
        st.caption("Tables: " + (", ".join(f"`{v}`" for v in sorted(views)) or "none yet"))
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
                    _done(f"Saved the query result as {dataset.label}: {dataset.rows:,} rows.", dataset)
                    st.rerun()
                result = query.run_query(workspace, project.id, statement)
                st.dataframe(result.table.to_pandas(), hide_index=True, width="stretch")
                if result.truncated:
                    st.caption(f"Showing the first {query.PREVIEW_ROWS:,} rows.")
    disabled_reason(cannot)
