"""The Retrain page's comparison panels: champion against challenger offline on the same labelled
rows (the verdict, the effect and its interval, each test), and production against the shadow on
live traffic."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle.problem.metrics import PRIMARY
from lifecycle.problem.objectives import CATALOGUE
from lifecycle.records import ModelState, ModelVersion, Project
from lifecycle.retrain import compare as comparing
from lifecycle.retrain.shadow import shadow_comparison
from lifecycle.validate.metrics import metric_names
from lifecycle.workspace import Workspace
from ui import state
from ui.badges import badge
from ui.frame import reported_errors, text

VERDICT_BADGE = {comparing.BETTER: "pass", comparing.WORSE: "fail", comparing.NO_DIFFERENCE: "pending"}
RESAMPLES = 1000


def _default_pair(versions: list[ModelVersion], production: ModelVersion | None) -> tuple[int, int]:
    champion = production.id if production is not None else versions[0].id
    challenger = next((v.id for v in reversed(versions) if v.id != champion), versions[-1].id)
    return champion, challenger


def offline(workspace: Workspace, project: Project, versions: list[ModelVersion],
            production: ModelVersion | None) -> None:
    versions = [v for v in versions if v.state != ModelState.RETIRED]  # a retired model never scores again
    if len(versions) < 2:
        st.info("A comparison needs two model versions of this project. Register another in Develop.",
                icon=":material/compare_arrows:")
        return
    labels = {v.id: v.label for v in versions}
    ids = list(labels)
    champion, challenger = _default_pair(versions, production)
    metrics = metric_names(project.task)
    with st.form("compare_form"):
        columns = st.columns(3)
        a = columns[0].selectbox("Champion (A)", ids, index=ids.index(champion), format_func=labels.get,
                                 key="compare_a")
        b = columns[1].selectbox("Challenger (B)", ids, index=ids.index(challenger), format_func=labels.get,
                                 key="compare_b")
        metric = columns[2].selectbox("Metric", metrics, index=metrics.index(PRIMARY[project.task]),
                                      format_func=lambda m: CATALOGUE[m].label, key="compare_metric")
        pressed = st.form_submit_button("Compare", type="primary")
    st.caption("On the challenger's held-out test rows, scored by both. ROC AUC is judged by DeLong's test, accuracy "
               f"by McNemar's, every other metric by a paired bootstrap interval ({RESAMPLES:,} resamples, seeded).")
    if pressed:
        with reported_errors(), st.spinner("Scoring both versions and resampling…"):
            found = comparing.compare_versions(workspace, a, b, metric=metric, n_resamples=RESAMPLES)
            state.remember(state.COMPARISON, found, project_id=project.id)
    found = state.recall(state.COMPARISON, project_id=project.id)
    if found is not None:
        result(found)


def result(found: comparing.Comparison) -> None:
    """The verdict first, then the numbers of each test."""
    label = CATALOGUE[found.metric].label
    low, high = found.interval
    cards = st.columns(4)
    cards[0].metric(f"A: v{found.version_a.version}", f"{found.value_a:.4f}", help=label)
    cards[1].metric(f"B: v{found.version_b.version}", f"{found.value_b:.4f}", help=label)
    cards[2].metric("Difference B − A", f"{found.difference:+.4f}",
                    help=None if low is None else f"interval {low:+.4f} to {high:+.4f}")
    cards[3].metric("p-value", "—" if found.p_value is None else f"{found.p_value:.3g}", help=found.deciding_test)
    st.markdown(f"{badge(VERDICT_BADGE[found.verdict])} {text(found.sentence())}")
    st.caption(f"Rows: {text(found.source)}.")
    for note in found.notes:
        st.warning(text(note), icon=":material/warning:")
    rows = [{"Test": "Paired bootstrap (scipy)", "Difference": found.bootstrap.difference,
             "Low": found.bootstrap.low, "High": found.bootstrap.high, "p": None,
             "Detail": f"{found.bootstrap.n_resamples:,} paired resamples, seed {found.bootstrap.seed}"}]
    if found.mcnemar is not None:
        rows.append({"Test": "McNemar (statsmodels)", "Difference": found.difference, "Low": None, "High": None,
                     "p": found.mcnemar.p_value,
                     "Detail": f"only A right on {found.mcnemar.only_a:,} rows, only B on {found.mcnemar.only_b:,}"
                               f" ({'exact' if found.mcnemar.exact else 'chi-square'})"})
    if found.delong is not None:
        rows.append({"Test": "DeLong (fast, Sun & Xu)", "Difference": found.delong.difference, "Low": found.delong.low,
                     "High": found.delong.high, "p": found.delong.p_value,
                     "Detail": f"standard error {found.delong.se:.4f}"})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={name: st.column_config.NumberColumn(format="%+.4f")
                                for name in ("Difference", "Low", "High")})


def shadow(workspace: Workspace, project: Project) -> None:
    """Production against the shadow on the requests both scored."""
    st.markdown("##### Shadow against production, on live traffic")
    with reported_errors():
        found = shadow_comparison(workspace, project.id)
        if found is None:
            st.caption("No shadow is set. On the Deploy page a staged version can shadow production: it scores every "
                       "request without answering, and the two are compared here on the same requests.")
            return
        st.markdown(text(found.sentence()))
