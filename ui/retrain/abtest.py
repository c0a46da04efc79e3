"""The Retrain page's A/B test panel: the running test's verdict and progress with conclude and
rollback, or the start form with the sample-size calculator; past tests below."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.charts.retrain_charts import effect_path_figure
from lifecycle.errors import LifecycleError
from lifecycle.models import registry
from lifecycle.records import ModelState, ModelVersion, Project, User
from lifecycle.retrain import abtest, verdict
from lifecycle.retrain.outcomes import CORRECT
from lifecycle.retrain.verdict import ABTestStatus
from lifecycle.workspace import Workspace
from ui import state
from ui.badges import badge
from ui.frame import disabled_reason, reported_errors, text

VERDICT_BADGE = {verdict.CHALLENGER_BETTER: "pass", verdict.CHAMPION_BETTER: "fail", verdict.NO_DIFFERENCE: "pending",
                 verdict.NO_OUTCOMES: "pending", verdict.TOO_FEW: "pending"}


def render(workspace: Workspace, user: User, project: Project, production: ModelVersion | None) -> None:
    status = verdict.running_status(workspace, project.id)
    if status is not None:
        running(workspace, user, project, status)
    elif production is None:
        st.info("An A/B test challenges the version in production. Promote one first on the Deploy page.",
                icon=":material/rocket_launch:")
        st.page_link("pages/deploy.py", label="Go to Deploy", icon=":material/rocket_launch:")
    else:
        start_form(workspace, user, project, production)
    history(workspace, project)


def running(workspace: Workspace, user: User, project: Project, status: ABTestStatus) -> None:
    """Headline cards, the verdict in words with the test it uses, the effect's path, conclude and rollback."""
    r, test = status.result, status.test
    scale, unit = (100, "points") if test.outcome == CORRECT else (1, "")
    cards = st.columns(4)
    cards[0].metric("Champion", f"v{status.champion.version}", help=f"{1 - test.share:.0%} of traffic")
    cards[1].metric("Challenger", f"v{status.challenger.version}", help=f"{test.share:.0%} of traffic")
    cards[2].metric("Labelled outcomes", f"{status.outcomes:,} of {status.plan.outcomes:,}",
                    help=f"{status.champion.label}: {r.n_a:,} · {status.challenger.label}: {r.n_b:,}")
    cards[3].metric("Effect", "—" if r.effect is None else f"{r.effect * scale:+.3g} {unit}".strip(),
                    help=None if r.low is None else f"always-valid interval {r.low * scale:+.3g} to {r.high * scale:+.3g}")
    st.progress(status.progress, text=f"{status.progress:.0%} of the planned outcomes")
    st.markdown(f"{badge(VERDICT_BADGE[status.verdict])} **{status.verdict.capitalize()}.** {text(status.sentence())}")
    st.caption(f"Test: {text(r.test)}, α = {r.alpha:g}, τ² = {r.tau2:.3g}. The p-value and interval stay valid "
               "however often this page is refreshed; the test may be concluded whenever they decide.")
    if status.unusable:
        st.warning(f"{status.unusable:,} labelled rows could not be read as outcomes (an empty or non-numeric "
                   "label or prediction) and are left out.", icon=":material/warning:")
    if status.path.outcomes:
        st.plotly_chart(effect_path_figure(status.path.outcomes, status.path.effect, status.path.low,
                                           status.path.high, measure=status.measure, scale=scale, unit=unit),
                        width="stretch")
    cannot = auth.why_not(user, auth.Permission.RUN_EXPERIMENT)
    left, right = st.columns(2)
    with left, st.form("abtest_conclude_form"):
        st.markdown("**Conclude**: promote the challenger through the production gate (it needs a reviewer's "
                    "approval), or keep the champion.")
        recommended = "promote" if status.winner == "challenger" else "keep"
        decision = st.radio("Decision", ("promote", "keep"), index=("promote", "keep").index(recommended),
                            horizontal=True, key="abtest_decision",
                            format_func={"promote": "Promote the challenger", "keep": "Keep the champion"}.get)
        reason = st.text_input("Reason (goes to the audit trail; the verdict if empty)", key="abtest_conclude_reason")
        pressed = st.form_submit_button("Conclude", type="primary", disabled=cannot is not None or status.outcomes == 0)
    with right, st.form("abtest_rollback_form"):
        st.markdown("**Roll back** now: all traffic returns to the champion; the test ends without a decision.")
        why = st.text_input("Reason (goes to the audit trail)", key="abtest_rollback_reason")
        rolled = st.form_submit_button("Roll back", disabled=cannot is not None)
    disabled_reason(cannot)
    if not status.challenger.approved:
        st.caption(f"Promoting needs the reviewers' sign-off of {text(status.challenger.label)} first (Govern "
                   "page); keeping the champion does not.")
    if status.outcomes == 0 and cannot is None:
        st.caption("Concluding needs labelled outcomes; roll back to stop without a verdict.")
    if pressed:
        with reported_errors():
            ended, _ = abtest.conclude_abtest(workspace, user, project.id, decision=decision, reason=reason)
            state.clear_widget("abtest_conclude_reason")
            st.toast(f"A/B test #{ended.id} concluded: challenger {ended.decision}", icon=":material/check_circle:")
            st.rerun()
    if rolled:
        with reported_errors():
            ended = abtest.rollback_abtest(workspace, user, project.id, why)
            state.clear_widget("abtest_rollback_reason")
            st.toast(f"A/B test #{ended.id} rolled back", icon=":material/undo:")
            st.rerun()


def start_form(workspace: Workspace, user: User, project: Project, production: ModelVersion) -> None:
    """Pick a staged challenger and a share; the calculator says how many labelled outcomes the test needs."""
    staged = [v for v in registry.list_versions(workspace, project.id) if v.state == ModelState.STAGING]
    cannot = auth.why_not(user, auth.Permission.RUN_EXPERIMENT)
    st.markdown(f"**Start an A/B test** against the production version {text(production.label)}: a staged "
                "challenger answers a share of live traffic, split by request id (the same request id always "
                "reaches the same version).")
    if not staged:
        st.info("No staged challenger. Move a validated version to staging on the Deploy page.",
                icon=":material/science:")
        return
    classification = project.task != "regression"
    with st.form("abtest_start_form"):
        columns = st.columns(3)
        challenger = columns[0].selectbox("Challenger", [v.id for v in staged], key="abtest_challenger",
                                          format_func={v.id: v.label for v in staged}.get)
        share = columns[1].slider("Challenger's share of traffic", 0.05, 0.95, 0.5, 0.05, key="abtest_share")
        mde = columns[2].number_input(
            "Minimum detectable effect" + (" (accuracy, 0.05 = 5 points)" if classification else " (MAE units)"),
            min_value=0.0, value=abtest.DEFAULT_MDE_POINTS if classification else 0.0, format="%.4f",
            key="abtest_mde", help=None if classification else "0 uses a tenth of the champion's mean absolute error.")
        power_column, alpha_column, reason_column = st.columns(3)
        power_ = power_column.slider("Power", 0.5, 0.95, 0.8, 0.05, key="abtest_power")
        alpha = alpha_column.select_slider("Significance level α", (0.01, 0.05, 0.1), value=0.05, key="abtest_alpha")
        reason = reason_column.text_input("Reason (goes to the audit trail)", key="abtest_reason")
        pressed = st.form_submit_button("Start the A/B test", type="primary", disabled=cannot is not None)
    disabled_reason(cannot)
    chosen_mde = mde if mde > 0 else None
    try:
        plan = abtest.plan_for(workspace, production.id, share=share, mde=chosen_mde, alpha=alpha, power_=power_)
        st.caption(f":material/calculate: Needs {text(plan.describe())}")
    except LifecycleError as error:
        st.caption(f":material/calculate: {text(error)}")
    if pressed:
        with reported_errors():
            test = abtest.start_abtest(workspace, user, project.id, champion_id=production.id, challenger_id=challenger,
                                       share=share, mde=chosen_mde, alpha=alpha, power_=power_, reason=reason)
            state.clear_widget("abtest_reason")
            st.toast(f"A/B test #{test.id} started", icon=":material/play_arrow:")
            st.rerun()


def history(workspace: Workspace, project: Project) -> None:
    ended = [t for t in verdict.tests_for(workspace, project.id) if not t.running]
    if not ended:
        return
    rows = []
    for test in ended:
        result = test.result or {}
        rows.append({"Test": f"#{test.id}", "Champion": f"#{test.champion_id}", "Challenger": f"#{test.challenger_id}",
                     "Share": test.share, "Outcome": test.decision, "Verdict": result.get("verdict"),
                     "Effect": result.get("effect"), "Low": result.get("low"), "High": result.get("high"),
                     "p": result.get("p_value"), "Outcomes": result.get("outcomes"), "By": test.ended_by,
                     "Ended": test.ended_at, "Reason": test.end_reason})
    st.markdown("##### Past A/B tests")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"Share": st.column_config.NumberColumn(format="percent"),
                                "Effect": st.column_config.NumberColumn(format="%+.4f"),
                                "Low": st.column_config.NumberColumn(format="%+.4f"),
                                "High": st.column_config.NumberColumn(format="%+.4f"),
                                "p": st.column_config.NumberColumn(format="%.3g")})
