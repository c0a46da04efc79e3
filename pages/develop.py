"""Stage 3 — Develop: tracked training and tuning, the leaderboard, comparison and registration."""
from __future__ import annotations

import json

import streamlit as st

from lifecycle import auth, jobs
from lifecycle.develop import catalogue
from lifecycle.develop import search
from lifecycle.data import datasets
from lifecycle.data import preparation
from ui import state
from ui.develop import panels as develop_panels
from ui.frame import current_project, disabled_reason, header, reported_errors

workspace = state.workspace()
user = state.page_user()
project = current_project()
header("Develop", project)
if project is None:
    st.info("Models belong to a project. Create one in stage 1 first.", icon=":material/flag:")
    st.stop()

frozen = [d for d in datasets.list_datasets(workspace, project.id) if d.lineage.recipe_id and not d.auxiliary]
choices = [(d, s) for d in frozen for s in preparation.splits_for(workspace, d.id)]
if not choices:
    st.info("Training needs a frozen dataset version with a recipe and a split. Make one in the Data stage.", icon=":material/database:")
    st.page_link("pages/data.py", label="Go to Data", icon=":material/database:")
    st.stop()
cannot = auth.why_not(user, auth.Permission.TRAIN)

with st.expander("Train and tune", expanded=True):
    labels = {i: f"{d.label} · split #{s.id} ({s.method}, seed {s.seed})" for i, (d, s) in enumerate(choices)}
    picked = st.selectbox("Data", list(labels), index=len(labels) - 1, format_func=labels.get, key="develop_data")
    dataset, split = choices[picked]
    algorithms = catalogue.for_task(project.task)
    names = [a.name for a in algorithms]
    left, middle, right = st.columns(3)
    algorithm = left.selectbox("Algorithm", names, index=names.index("hist_gradient_boosting"),
                               format_func=lambda n: catalogue.get_algorithm(n).label, key="develop_algorithm")
    method = middle.selectbox("Search", ["random", "grid", "halving", "none"], key="develop_method",
                              help="none: one run with the defaults")
    trials = right.number_input("Trials (random / halving)", min_value=1, max_value=500, value=10, key="develop_trials")
    seed = left.number_input("Seed", min_value=0, value=0, key="develop_seed")
    folds = middle.number_input("Cross-validation folds", min_value=2, max_value=10, value=5, key="develop_folds")
    st.caption(catalogue.get_algorithm(algorithm).summary)
    default_space = {} if method == "none" else catalogue.get_algorithm(algorithm).default_space(project.task, method)
    space_text = st.text_area("Search space (JSON; lists for grid, ranges such as {\"log_uniform\": [0.01, 0.3]})",
                              value=json.dumps(default_space, indent=1), height=160,
                              key=f"develop_space_{algorithm}_{method}", disabled=method == "none")
    if st.button("Start", type="primary", disabled=cannot is not None, key="develop_start"):
        with reported_errors():
            job = jobs.start(f"{method} search of {algorithm}", search.run_search, project_id=project.id,
                             workspace=workspace, actor=user, dataset_id=dataset.id, split_id=split.id,
                             algorithm=algorithm, method=method, trials=int(trials), seed=int(seed),
                             space=space_text if method != "none" else None, cv_folds=int(folds))
            st.toast(f"Started job {job.id}: {job.name}", icon=":material/rocket_launch:")
    disabled_reason(cannot)

develop_panels.progress(workspace, project.id)
develop_panels.results(workspace, project, user)
