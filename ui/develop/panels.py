"""Develop page panels: live search progress, leaderboard, comparison, learning curve, registration."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from lifecycle import auth, jobs
from lifecycle.models import registry
from lifecycle.develop import runs
from lifecycle.charts import run_charts
from lifecycle.problem.projects import objectives
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.develop.model_import import import_panel
from ui.frame import dismiss_button, error_boundary, last_action, reported_errors, text

PAGE_SIZE = 50


@st.fragment(run_every=1.0)
def progress(workspace: Workspace, project_id: int) -> None:
    """Searches of this project, polled every second while the rest of the page stays usable.
    When a search this session watched running ends, the whole page reruns so its runs show at once."""
    with error_boundary():
        dismissed = state.recall(state.DISMISSED_JOBS, frozenset(), project_id=project_id)
        recent = jobs.recent_for(workspace, project_id)[:3]
        for job in recent:
            snapshot = job.state
            if job.id in dismissed and not snapshot.running:
                continue
            label = f"{job.name}: {snapshot.message}"
            if snapshot.running:
                left, right = st.columns([5, 1])
                left.progress(snapshot.fraction, text=f"{text(label)} ({snapshot.done}/{snapshot.total or '?'} trials)")
                if right.button("Cancel", key=f"cancel_{job.id}"):
                    job.request_cancel()
            else:
                if snapshot.status == "failed":
                    st.error(f"{text(job.name)} failed: {text(snapshot.error or '')}", icon=":material/error:")
                else:
                    st.success(text(label), icon=":material/check_circle:")
                dismiss_button(f"dismiss_job_{job.id}", state.remember, state.DISMISSED_JOBS, dismissed | {job.id},
                               project_id=project_id)
        watched = state.recall(state.WATCHED_JOBS, frozenset(), project_id=project_id)
        state.remember(state.WATCHED_JOBS, frozenset(j.id for j in recent if j.state.running), project_id=project_id)
        if jobs.ended(watched):
            st.rerun(scope="app")


def _run_label(run, metric: str) -> str:
    """'#12 knn roc_auc=0.8123', or 'no cross-validated roc_auc' for runs without one (mitigation runs)."""
    value = run.metric(metric)
    score = f"{metric}={value:.4f}" if value is not None else f"no cross-validated {metric}"
    return f"#{run.id} {run.algorithm} {score}"


def _params(run) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(run.params.items()))


SECTIONS = ("Leaderboard", "Compare runs", "Tuning & learning curve", "Register model")


def results(workspace: Workspace, project: Project, user: User) -> None:
    page = state.recall(state.LEADERBOARD_PAGE, 0, project_id=project.id)
    board = runs.leaderboard(workspace, project.id, limit=PAGE_SIZE, offset=page * PAGE_SIZE, include_failed=True)
    if board.total == 0:
        st.info("No runs yet. Start a search above; every trial becomes a run on record.", icon=":material/science:")
        import_panel(workspace, project, user)
        return
    objective_set = objectives(workspace, project.id)
    target = next((o for o in (objective_set.objectives if objective_set else ()) if o.metric == board.metric), None)
    cards = st.columns(3)
    cards[0].metric("Runs on record", f"{board.total:,}")
    best = board.best
    if best is not None and best.metric(board.metric) is not None:
        cards[1].metric(f"Best CV {board.metric}", f"{best.metric(board.metric):.3f}",
                        help=f"run #{best.id}, ± {best.metric_std(board.metric):.3f} over folds")
        if target is not None:
            cards[2].metric("Objective", str(target))
    # One section renders at a time: with thousands of runs, building every chart on each rerun
    # (the parallel coordinates hold a line per run) is what makes a page slow.
    section = st.radio("Section", SECTIONS, horizontal=True, key="develop_section", label_visibility="collapsed")
    finished = [r for r in board.runs if r.ok]
    if section == "Leaderboard":
        st.plotly_chart(run_charts.leaderboard_figure(board, objective=target), width="stretch")
        st.dataframe(pd.DataFrame([{
            "Rank": rank, "Run": run.id, "Algorithm": run.algorithm, board.metric: run.metric(board.metric),
            "± std": run.metric_std(board.metric), "Params": _params(run), "Status": run.status,
            "Fit s": run.fit_seconds, "Error": run.error or ""} for rank, run in zip(board.ranks, board.runs)]),
            hide_index=True, width="stretch",
            column_config={board.metric: st.column_config.NumberColumn(format="%.4f"),
                           "± std": st.column_config.NumberColumn(format="%.4f"),
                           "Fit s": st.column_config.NumberColumn(format="%.2f")})
        pages = max(1, -(-board.total // PAGE_SIZE))
        if pages > 1:
            chosen = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=page + 1)
            if chosen - 1 != page:
                state.remember(state.LEADERBOARD_PAGE, chosen - 1, project_id=project.id)
                st.rerun()
    elif section == "Compare runs":
        chosen = st.multiselect("Runs", [r.id for r in finished], default=[r.id for r in finished[:3]],
                                key="compare_runs")
        if chosen:
            st.dataframe(pd.DataFrame(runs.compare(workspace, chosen)), hide_index=True, width="stretch")
            st.plotly_chart(run_charts.fold_comparison_figure(runs.compared_runs(workspace, chosen), board.metric),
                            width="stretch")
    elif section == "Tuning & learning curve":
        algorithms = sorted({r.algorithm for r in finished})
        if algorithms:
            algorithm = st.selectbox("Algorithm", algorithms, key="tuning_algorithm")
            rows = runs.parallel_coordinates_data(workspace, project.id, algorithm, metric=board.metric)
            st.plotly_chart(run_charts.parallel_coordinates_figure(rows, board.metric), width="stretch")
        run_id = st.selectbox("Learning curve for run", [r.id for r in finished], key="curve_run")
        if run_id is not None and st.button("Compute learning curve", key="curve_go"):
            with reported_errors(), st.spinner("Fitting on growing shares of the training rows…"):
                state.remember(state.LEARNING_CURVE, (run_id, runs.learning_curve(workspace, run_id)),
                               project_id=project.id)
        cached = state.recall(state.LEARNING_CURVE, project_id=project.id)
        if cached and cached[0] == run_id:
            st.plotly_chart(run_charts.learning_curve_figure(cached[1]), width="stretch")
    else:
        cannot = auth.why_not(user, auth.Permission.TRAIN)
        registered = {v.run_id for v in registry.list_versions(workspace, project.id)}
        options = [r.id for r in finished]
        first_new = next((i for i, r in enumerate(finished) if r.id not in registered), 0)
        run_id = st.selectbox("Run to register (best unregistered run first)", options, index=first_new,
                              key="register_run",
                              format_func=lambda i: _run_label(next(r for r in finished if r.id == i), board.metric))
        st.caption("Registering fits the run's pipeline (recipe + estimator) on the whole training split and saves "
                   "it with skops under its content hash, with the input schema beside it.")
        if st.button("Register as model version", type="primary", disabled=cannot is not None, key="register_go"):
            with reported_errors(), st.spinner("Fitting and saving…"):
                version = registry.register_run(workspace, user, run_id)
                state.set_model_version(version.id)
                state.remember(state.REGISTER_MESSAGE, f"Registered model {text(version.label)} from run #{run_id}.",
                               project_id=project.id)
                st.rerun()
        if message := state.recall(state.REGISTER_MESSAGE, project_id=project.id):
            last_action(state.REGISTER_MESSAGE, message, project_id=project.id)  # Markdown, names written literally
            st.page_link("pages/validate.py", label="Validate it", icon=":material/balance:")
        if cannot:
            st.caption(f":material/lock: {text(cannot)}")
        import_panel(workspace, project, user)
        versions = registry.list_versions(workspace, project.id)
        if versions:
            st.dataframe(pd.DataFrame([{"Version": v.version, "Id": v.id, "Run": v.run_id, "State": v.state,
                                        "Trained by": v.trained_by, "Registered by": v.created_by,
                                        "Artifact": v.artifact_hash[:12],
                                        "Inputs": json.dumps([c.name for c in v.input_schema])}
                                       for v in versions]), hide_index=True, width="stretch")
