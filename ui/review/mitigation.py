"""The mitigation part of the Fairness section: create mitigated candidate versions of a model and
compare them with it on an accuracy–fairness chart, then open the one to carry forward."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.review import mitigation
from lifecycle.review import mitigation_tradeoff
from lifecycle.charts import mitigation_charts
from lifecycle.review.fair_models import CONSTRAINTS
from lifecycle.records import ModelVersion
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import disabled_reason, last_action, reported_errors, text

CONSTRAINT_LABELS = {"demographic_parity": "Demographic parity (equal selection rates)",
                     "equalized_odds": "Equalized odds (equal error rates)"}
METHOD_HELP = ("Threshold optimizer: a decision threshold per group on the model's probabilities (reads the "
               "sensitive attribute when predicting). Exponentiated gradient: refits the model with reweighted "
               "rows, a mix of models (slower). Correlation remover: removes the features' linear correlation "
               "with the attribute before refitting.")


def render(workspace: Workspace, user: User, project: Project, version: ModelVersion) -> None:
    st.markdown("#### Mitigation")
    st.caption("Create fairer candidate versions with Fairlearn and compare them with the model on the test "
               "split. Each candidate is a new model version on record: validate it like any other.")
    if project.task != "binary":
        st.info(f"Mitigation applies to binary classification; this project is {project.task}.", icon=":material/balance:")
        return
    if not project.sensitive:
        st.info("This project declares no sensitive attributes; declare them in Problem (stage 1) to mitigate.",
                icon=":material/balance:")
        return
    base = None
    with reported_errors():
        base = mitigation_tradeoff.base_of(workspace, version)
    if base is None:
        return
    if base.id != version.id:
        st.caption(f"This version is a mitigated candidate; candidates are compared with its base, "
                   f"model {text(base.label)}.")
    cannot = auth.why_not(user, auth.Permission.TRAIN)
    if cannot is None and base.state.is_closed:
        cannot = f"Model {base.label} is {base.state}; it is not mitigated."
    with st.form(f"mitigation_form_{base.id}"):
        left, middle, right = st.columns([2, 2, 2])
        method = left.selectbox("Method", mitigation.METHODS, format_func=mitigation.METHOD_LABELS.get,
                                key="mitigation_method", help=METHOD_HELP)
        constraint = middle.selectbox("Constraint", CONSTRAINTS, format_func=CONSTRAINT_LABELS.get,
                                      key="mitigation_constraint")
        sensitive = right.multiselect("Sensitive attributes", list(project.sensitive), default=list(project.sensitive),
                                      key=f"mitigation_sensitive_{base.id}",
                                      help="Several attributes are combined into intersectional groups.")
        max_iter = left.number_input("Max iterations (exponentiated gradient)", min_value=1, max_value=500,
                                     value=50, step=10, key="mitigation_max_iter")
        create = st.form_submit_button("Create mitigated candidate", type="primary", disabled=cannot is not None)
    disabled_reason(cannot)
    if create:
        _create(workspace, user, base, method=method, constraint=constraint, sensitive=sensitive,
                max_iter=int(max_iter))
    created = state.recall(state.MITIGATION_CREATED, project_id=base.project_id, item=base.id)
    if created is not None:
        last_action(state.MITIGATION_CREATED, f"Created candidate {text(created['label'])}: {text(created['what'])}.",
                    project_id=base.project_id, item=base.id)
        for note in created["notes"]:
            st.caption(f":material/info: {text(note)}")
        st.button(f"Open {text(created['label'].split(' (')[0])} (#{created['id']})", key="mitigation_open_created",
                  on_click=state.set_model_version, args=(created["id"],))
    _trade_off(workspace, user, base, sensitive or list(project.sensitive))


def _create(workspace: Workspace, user: User, base: ModelVersion, **choices) -> None:
    label = mitigation.METHOD_LABELS[choices["method"]]
    with reported_errors(), st.status(f"{text(label)}: creating a mitigated candidate of {text(base.label)}…",
                                      expanded=True) as status:
        bar = st.progress(0.0)
        made = mitigation.create_candidate(workspace, user, base.id, **choices,
                                           progress=lambda fraction, message: bar.progress(fraction, text=message))
        status.update(label=f"Created {text(made.version.label)}", state="complete", expanded=False)
        state.remember(state.MITIGATION_CREATED, {"id": made.version.id, "label": made.version.label,
                                                  "what": mitigation.describe(made.run), "notes": list(made.notes)},
                       project_id=base.project_id, item=base.id)


def _trade_off(workspace: Workspace, user: User, base: ModelVersion, sensitive: list[str]) -> None:
    st.markdown("##### Accuracy–fairness trade-off")
    found = []
    with reported_errors():
        found = mitigation_tradeoff.candidates(workspace, base.id)
    if not found:
        st.info("No mitigated candidate of this model yet: create one above to compare it with the model.", icon=":material/balance:")
        return
    constraint = st.radio("Fairness measure", CONSTRAINTS, format_func=lambda c: mitigation.CONSTRAINT_METRICS[c]
                          .replace("_", " ").capitalize(), horizontal=True, key=f"mitigation_measure_{base.id}")
    with reported_errors():
        with st.spinner("Measuring every candidate on the test split…"):
            result, from_store = mitigation_tradeoff.trade_off(workspace, user, base.id, constraint=constraint,
                                                      sensitive=sensitive)
        st.plotly_chart(mitigation_charts.trade_off_chart(result), width="stretch",
                        key=f"mitigation_chart_{base.id}_{constraint}")
        st.caption(f"{result.n_test:,} test rows · each model's own decisions (mitigated models: their expected "
                   f"decision) · {'read from the stored evidence' if from_store else 'computed now and stored as evidence'}.")
        metric = result.metric.replace("_", " ")
        st.dataframe(pd.DataFrame([{"Version": p.label, "Method": p.description, "Accuracy": p.accuracy,
                                    metric.capitalize(): p.fairness, result.primary_metric: p.primary,
                                    "Selection rate": p.selection_rate} for p in result.points]),
                     hide_index=True, width="stretch")
        labels = {p.version_id: mitigation_charts.point_label(p) for p in result.points}
        left, right = st.columns([3, 1])
        pick = left.selectbox("Carry forward", list(labels), format_func=labels.get,
                              key=f"mitigation_pick_{base.id}", label_visibility="collapsed")
        right.button("Open this version", key=f"mitigation_open_{base.id}", on_click=state.set_model_version,
                     args=(pick,), disabled=pick == state.model_version_id())
