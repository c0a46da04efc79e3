"""Data page: freezing a prepared dataset version and splitting it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.data import datasets, preparation
from lifecycle.records import DatasetVersion, Project, User
from lifecycle.data.splits import METHODS, default_method
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import disabled_reason, reported_errors, text


@st.cache_data(show_spinner="Writing Parquet…", max_entries=4)
def _parquet(workspace_path: str, dataset_id: int, content_hash: str, _workspace: Workspace,
             _dataset: DatasetVersion) -> bytes:
    """Keyed by the content hash: a dataset version never changes, so its file is written once."""
    return datasets.parquet_bytes(_workspace, _dataset)


def render(workspace: Workspace, project: Project, dataset: DatasetVersion, user: User) -> None:
    cannot = auth.why_not(user, auth.Permission.EDIT_DATA)
    lineage = dataset.lineage
    st.markdown(f"**{text(dataset.label)}** · content hash `{dataset.content_hash[:16]}…` · "
                f"source: {lineage.kind} {text(lineage.name)}"
                + (f" · recipe #{lineage.recipe_id}" if lineage.recipe_id else ""))
    st.download_button("Download this version (Parquet)", icon=":material/download:", key=f"parquet_{dataset.id}",
                       data=_parquet(str(workspace.path), dataset.id, dataset.content_hash, workspace, dataset),
                       file_name=f"{dataset.name}-v{dataset.version}.parquet", mime="application/vnd.apache.parquet",
                       help="The rows exactly as frozen, with their column types.")
    recipes = preparation.list_recipes(workspace, project.id)
    st.markdown("**1. Freeze a prepared version** — the rows that pass a recipe's filters, immutable and hashed")
    if not recipes:
        st.info("No recipe saved yet. Save one in the Recipe tab first.", icon=":material/science:")
    else:
        labels = {r.id: f"{r.name} v{r.version}" for r in recipes}
        with st.form(f"freeze_{dataset.id}"):
            recipe_id = st.selectbox("Recipe", list(labels), index=len(labels) - 1, format_func=labels.get,
                                     key="freeze_recipe")
            frozen = st.form_submit_button("Freeze version", type="primary", disabled=cannot is not None)
        if frozen:
            with reported_errors(), st.spinner("Freezing…"):
                created = preparation.freeze_dataset(workspace, user, dataset.id, recipe_id)
                state.remember(state.DATASET_IN_FOCUS, created.id, project_id=created.project_id)
                st.toast(f"Froze {text(created.label)}", icon=":material/check_circle:")
                st.rerun()
    st.markdown("**2. Split** — reproducible from its seed")
    with st.form(f"split_{dataset.id}"):
        left, middle, right = st.columns(3)
        method = left.selectbox("Method", METHODS, index=METHODS.index(default_method(project.task)),
                                key=f"split_method_{project.task}",
                                help="Stratified keeps each class's share (classification); random suits "
                                     "a continuous target (regression).")
        seed = left.number_input("Seed", min_value=0, value=42, step=1, key="split_seed")
        test_size = middle.slider("Test share", 0.05, 0.5, 0.2, 0.05, key="split_test")
        validation_size = middle.slider("Validation share", 0.0, 0.4, 0.1, 0.05, key="split_validation")
        column = right.selectbox("Group / time column (group and time methods)", [None] + dataset.column_names,
                                 key="split_column")
        split_now = st.form_submit_button("Create split", disabled=cannot is not None)
    if split_now:
        with reported_errors(), st.spinner("Splitting…"):
            split = preparation.create_split(workspace, user, dataset.id, method=method, seed=int(seed),
                                             test_size=float(test_size), validation_size=float(validation_size),
                                             column=column)
            st.toast(f"Created split #{split.id}", icon=":material/check_circle:")
            st.rerun()
    disabled_reason(cannot)
    splits = preparation.splits_for(workspace, dataset.id)
    if splits:
        st.dataframe(pd.DataFrame([{"Split": f"#{s.id}", "Method": s.method, "Seed": s.seed, **s.counts,
                                    "Column": s.column, "Assignment hash": s.assignment_hash[:12],
                                    "By": s.created_by} for s in splits]), hide_index=True, width="stretch")
    else:
        st.caption("No split of this version yet.")
