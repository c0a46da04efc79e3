"""Data page: the preprocessing recipe editor with its before/after preview."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.data import datasets
from lifecycle.data import preparation
from lifecycle.data.recipe import editing as recipe_editing
from lifecycle.data.numbers import CANDIDATES
from lifecycle.data.recipe.compiler import CLIPS, DERIVED_OPS, ENCODINGS, FILTER_OPS, IMPUTATIONS, KINDS, ROLES, SCALINGS, preview
from lifecycle.records import DatasetVersion, Project, User
from lifecycle.workspace import Workspace
from ui.frame import disabled_reason, reported_errors, text

PREVIEW_ROWS = 200


def _select(label: str, options) -> st.column_config.SelectboxColumn:
    return st.column_config.SelectboxColumn(label, options=list(options), required=True)


NUMBER_FORMATS = [f.label for f in CANDIDATES] + ["1234.56", "1234,56"]


def render(workspace: Workspace, project: Project, dataset: DatasetVersion, user: User) -> None:
    cannot = auth.why_not(user, auth.Permission.EDIT_DATA)
    saved = preparation.list_recipes(workspace, project.id)
    names = ["(suggested for this dataset)"] + [f"{r.name} v{r.version} (#{r.id})" for r in saved]
    start = st.selectbox("Start from", names, index=len(names) - 1, key=f"recipe_start_{dataset.id}")
    with reported_errors():
        if start == names[0]:
            base = preparation.suggested_recipe(workspace, dataset, project)
        else:
            base = preparation.recipe_of(saved[names.index(start) - 1])
        columns = dataset.column_names
        st.markdown("**Columns** — role and preparation of each column")
        steps = st.data_editor(
            pd.DataFrame(recipe_editing.step_rows(base), columns=recipe_editing.STEP_FIELDS),
            key=f"recipe_steps_{dataset.id}_{start}", hide_index=True, width="stretch", disabled=["column", "note"],
            column_config={"role": _select("Role", ROLES), "kind": _select("Kind", KINDS),
                           "number_format": st.column_config.SelectboxColumn(
                               "Number format", options=NUMBER_FORMATS, required=False,
                               help="Text holding numbers written like this is converted to numbers; clear it "
                                    "(and set kind categorical) to keep the text."),
                           "imputation": _select("Imputation", IMPUTATIONS), "encoding": _select("Encoding", ENCODINGS),
                           "scaling": _select("Scaling", SCALINGS), "clip": _select("Outlier clipping", CLIPS)})
        left, right = st.columns(2)
        with left:
            st.markdown("**Row filters** — rows kept when a version is frozen")
            filters = st.data_editor(
                pd.DataFrame(recipe_editing.filter_rows(base), columns=recipe_editing.FILTER_FIELDS),
                key=f"recipe_filters_{dataset.id}_{start}", num_rows="dynamic", hide_index=True, width="stretch",
                column_config={"column": _select("Column", columns), "op": _select("Operator", FILTER_OPS),
                               "value": st.column_config.TextColumn("Value (comma-separated for in)")})
        with right:
            st.markdown("**Derived columns** — computed in training and serving alike")
            derived = st.data_editor(
                pd.DataFrame(recipe_editing.derived_rows(base), columns=recipe_editing.DERIVED_FIELDS),
                key=f"recipe_derived_{dataset.id}_{start}", num_rows="dynamic", hide_index=True, width="stretch",
                column_config={"op": _select("Operation", DERIVED_OPS),
                               "inputs": st.column_config.TextColumn("Inputs (comma-separated)"),
                               "edges": st.column_config.TextColumn("Bin edges"),
                               "imputation": _select("Imputation", IMPUTATIONS), "scaling": _select("Scaling", SCALINGS)})
        recipe = recipe_editing.recipe_from_rows(steps.to_dict("records"), filters.to_dict("records"),
                                                 derived.to_dict("records"), base=base)
        name_col, save_col, preview_col = st.columns([2, 1, 1])
        name = name_col.text_input("Recipe name", value=saved[-1].name if saved else f"{dataset.name}-recipe",
                                   key=f"recipe_name_{dataset.id}")
        if save_col.button("Save recipe version", type="primary", disabled=cannot is not None, key="recipe_save"):
            version = preparation.save_recipe(workspace, user, project.id, name, recipe, dataset)
            st.toast(f"Saved recipe {text(version.name)} v{version.version}", icon=":material/check_circle:")
            st.rerun()
        show_preview = preview_col.toggle("Before / after preview", key=f"recipe_preview_{dataset.id}")
    disabled_reason(cannot)
    if show_preview:
        with reported_errors(), st.spinner("Fitting the recipe…"):
            result = preview(recipe, datasets.load_frame(workspace, dataset), n=PREVIEW_ROWS)
            st.caption(f"{result.rows_after_filters:,} of {result.rows_before_filters:,} rows pass the filters; "
                       f"not fed to the model: {text(', '.join(result.dropped_columns)) or 'none'}.")
            for warning in result.warnings:
                st.warning(text(warning), icon=":material/warning:")
            before, after = st.columns(2)
            before.markdown("**Before**")
            before.dataframe(result.before, width="stretch")
            after.markdown(f"**After** ({result.after.shape[1]} model inputs)")
            after.dataframe(result.after, width="stretch")
