"""Stage 2 — Data: sources, profile, recipe, frozen versions and splits."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle.data import datasets
from lifecycle.data import preparation
from ui import state
from ui.data import freeze as data_freeze
from ui.data import profile as data_profile
from ui.data import recipe as data_recipe
from ui.data import sources as data_sources
from ui.frame import current_project, header, text

workspace = state.workspace()
user = state.page_user()
project = current_project()
header("Data", project)
if project is None:
    st.info("Data belongs to a project. Create one in stage 1 first.", icon=":material/flag:")
    st.page_link("pages/problem.py", label="Go to Problem", icon=":material/flag:")
    st.stop()

versions = datasets.list_datasets(workspace, project.id)
primary = [d for d in versions if not d.auxiliary]
splits = sum(len(preparation.splits_for(workspace, d.id)) for d in primary)
previous = primary[-2] if len(primary) > 1 else None
cards = st.columns(4)
cards[0].metric("Dataset versions", len(versions))
cards[1].metric("Rows (latest)", f"{primary[-1].rows:,}" if primary else "—",
                delta=f"{primary[-1].rows - previous.rows:+,} vs previous" if previous else None, delta_color="off")
cards[2].metric("Columns (latest)", len(primary[-1].columns) if primary else "—",
                delta=f"{len(primary[-1].columns) - len(previous.columns):+} vs previous" if previous else None,
                delta_color="off")
cards[3].metric("Splits", splits)

sources_tab, versions_tab, profile_tab, recipe_tab, freeze_tab = st.tabs(
    ["Add data", "Versions", "Profile", "Recipe", "Freeze & split"])
with sources_tab:
    data_sources.render(workspace, project, user)

if not versions:
    with versions_tab:
        st.info("No datasets yet. Add one in the first tab: upload a file, pick a bundled dataset, or query.", icon=":material/database:")
    st.stop()

with versions_tab:
    st.dataframe(pd.DataFrame([{
        "Id": d.id, "Name": d.name, "Version": d.version, "Rows": d.rows, "Columns": len(d.columns),
        "Source": f"{d.lineage.kind}: {d.lineage.name}", "Recipe": d.lineage.recipe_id,
        "Auxiliary": d.auxiliary, "Content hash": d.content_hash[:12], "By": d.created_by,
        "At (UTC)": d.created_at} for d in reversed(versions)]),
        hide_index=True, width="stretch", column_config={"Rows": st.column_config.NumberColumn(format="%d")})

ids = [d.id for d in versions]
by_id = {d.id: d for d in versions}
focus = state.recall(state.DATASET_IN_FOCUS, project_id=project.id)
chosen = st.sidebar.selectbox("Dataset version in focus", ids, index=ids.index(focus) if focus in ids else len(ids) - 1,
                              format_func=lambda i: by_id[i].label)
dataset = by_id[chosen]
state.remember(state.DATASET_IN_FOCUS, chosen, project_id=project.id)
with versions_tab:
    st.markdown(f"**Lineage of {text(dataset.label)}**")
    lineage = dataset.lineage
    st.markdown(f"- source: {lineage.kind} {text(lineage.name)}"  # never in a code span: a backtick would end it
                + (f"\n- source hash: `{lineage.source_hash}`" if lineage.source_hash else "")
                + (f"\n- parent: #{lineage.parent_id}" if lineage.parent_id else "")
                + (f"\n- recipe: #{lineage.recipe_id}" if lineage.recipe_id else "")
                + "".join(f"\n- {text(n)}" for n in lineage.notes))
    if lineage.query:
        st.code(lineage.query, language="sql")
with profile_tab:
    data_profile.render(workspace, project, dataset)
with recipe_tab:
    if dataset.auxiliary:
        st.info("Auxiliary tables are joined in SQL, not prepared for a model. Pick a primary version.", icon=":material/info:")
    else:
        data_recipe.render(workspace, project, dataset, user)
with freeze_tab:
    if dataset.auxiliary:
        st.info("Auxiliary tables are not split. Pick a primary version.", icon=":material/info:")
    else:
        data_freeze.render(workspace, project, dataset, user)
