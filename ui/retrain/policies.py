"""The Retrain page's policies: the project's retraining policies, run one now, enable or disable it,
edit it, or make a new one (when, on which rows, with which search)."""
from __future__ import annotations

import json
from datetime import date, datetime, time

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.develop import catalogue
from lifecycle.records import ALERT_KINDS, ModelVersion, Project, RetrainPolicy, User
from lifecycle.retrain import policies, retraining
from lifecycle.workspace import Workspace
from ui.frame import disabled_reason, reported_errors, text

TRIGGERS = {"manual": "By hand (Run now)", "alert": "On a Monitor alert", "schedule": "Every N days"}
WINDOWS = {"both": "Reference and labelled production rows", "production": "Labelled production rows only",
           "reference": "The production version's dataset version only"}
RANGES = {"all": "All logged rows", "last": "The last N days", "dates": "Between two dates"}
SEARCHES = {"production_search": "The search that made the production version",
            "production_params": "The production version's parameters, refitted", "custom": "Another search"}
METHODS = ("random", "grid", "halving", "none")


def render(workspace: Workspace, user: User, project: Project, production: ModelVersion | None) -> None:
    cannot = auth.why_not(user, auth.Permission.RETRAIN)
    st.markdown("##### Policies")
    if production is None:
        st.info("A retrain starts from the version in production (its recipe, data and search). Promote one on the "
                "Deploy page first.", icon=":material/rocket_launch:")
    found = policies.list_policies(workspace, project.id)
    if found:
        _table(found)
        chosen = _chosen(found)
        _actions(workspace, user, chosen, cannot, production)
        with st.expander(f"Edit policy #{chosen.id}"):
            _form(workspace, user, project, chosen, cannot)
    else:
        st.caption("No policy yet. A policy says when to retrain (by hand, on a drift or objective alert, every N "
                   "days), on which rows, and with which search.")
    with st.expander("New policy", expanded=not found):
        _form(workspace, user, project, None, cannot)
    disabled_reason(cannot)


def _table(found: list[RetrainPolicy]) -> None:
    rows = [{"Policy": f"#{p.id}", "Name": p.name, "Enabled": p.enabled, "When": TRIGGERS[p.trigger]
             + (f" ({', '.join(p.alert_kinds)})" if p.trigger == "alert" else "")
             + (f" ({p.every_days:g})" if p.trigger == "schedule" else ""),
             "Rows": policies.describe_window(p.window), "Search": policies.describe_search(p.search),
             "Acts as": p.owner} for p in found]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _chosen(found: list[RetrainPolicy]) -> RetrainPolicy:
    by_id = {p.id: p for p in found}
    picked = st.selectbox("Policy", list(by_id), index=len(by_id) - 1, key="retrain_policy_pick",
                          format_func=lambda i: f"#{i} {by_id[i].name}")
    return by_id[picked]


def _actions(workspace: Workspace, user: User, policy: RetrainPolicy, cannot: str | None,
             production: ModelVersion | None) -> None:
    st.markdown(text(policies.describe(policy)) + ("" if policy.enabled else " **Disabled.**"))
    running = retraining.running_retrain(workspace, policy.project_id)
    left, right, _ = st.columns([1, 1, 3])
    run = left.button("Run now", type="primary", key="retrain_run_now", icon=":material/play_arrow:",
                      disabled=cannot is not None or not policy.enabled or production is None or running is not None)
    toggle = right.button("Disable" if policy.enabled else "Enable", key="retrain_policy_toggle",
                          disabled=cannot is not None)
    if running is not None:
        st.caption(f":material/hourglass_empty: Retrain #{running.id} is running; one retrain runs per project.")
    if run:
        with reported_errors():
            started = retraining.start_retrain(workspace, user, policy.id)
            st.toast(f"Retrain #{started.id} started", icon=":material/autorenew:")
            st.rerun()
    if toggle:
        with reported_errors():
            changed = policies.set_enabled(workspace, user, policy.id, not policy.enabled)
            st.toast(f"Policy #{changed.id} {'enabled' if changed.enabled else 'disabled'}", icon=":material/check:")
            st.rerun()


def _form(workspace: Workspace, user: User, project: Project, policy: RetrainPolicy | None,
          cannot: str | None) -> None:
    """Create a policy (``policy`` None) or edit one; fields that do not apply to the choices are ignored."""
    suffix = "new" if policy is None else str(policy.id)
    window = policy.window if policy else policies.data_window("both")
    search = policy.search if policy else policies.search_choice()
    names = [a.name for a in catalogue.for_task(project.task)]
    with st.form(f"retrain_policy_form_{suffix}"):
        name = st.text_input("Name", value=policy.name if policy else "", key=f"policy_name_{suffix}")
        first, second = st.columns(2)
        trigger = first.radio("When", list(TRIGGERS), format_func=TRIGGERS.get, key=f"policy_trigger_{suffix}",
                              index=list(TRIGGERS).index(policy.trigger) if policy else 0)
        kinds = first.multiselect("Alert kinds (on an alert)", ALERT_KINDS, key=f"policy_kinds_{suffix}",
                                  default=list(policy.alert_kinds) if policy and policy.alert_kinds else list(ALERT_KINDS))
        every = first.number_input("Every N days (on a schedule)", min_value=0.05, value=float(
            policy.every_days if policy and policy.every_days else 7.0), key=f"policy_every_{suffix}")
        kind = second.radio("Rows", list(WINDOWS), format_func=WINDOWS.get, key=f"policy_window_{suffix}",
                            index=list(WINDOWS).index(window.kind))
        span = "last" if window.last_days is not None else "dates" if (window.since or window.until) else "all"
        chosen_span = second.radio("Production rows logged", list(RANGES), format_func=RANGES.get,
                                   index=list(RANGES).index(span), horizontal=True, key=f"policy_span_{suffix}")
        last_days = second.number_input("N days", min_value=0.05, value=float(window.last_days or 14.0),
                                        key=f"policy_last_{suffix}")
        dates = second.columns(2)
        since = dates[0].date_input("From", value=(window.since or datetime.now()).date(), key=f"policy_since_{suffix}")
        until = dates[1].date_input("Until (not included)", value=(window.until or datetime.now()).date(),
                                    key=f"policy_until_{suffix}")
        source = st.radio("Search", list(SEARCHES), format_func=SEARCHES.get, horizontal=True,
                          index=list(SEARCHES).index(search.source), key=f"policy_search_{suffix}")
        columns = st.columns(5)
        algorithm = columns[0].selectbox("Algorithm", names, key=f"policy_algorithm_{suffix}",
                                         index=names.index(search.algorithm) if search.algorithm in names else
                                         names.index("hist_gradient_boosting") if "hist_gradient_boosting" in names else 0,
                                         format_func=lambda n: catalogue.get_algorithm(n).label)
        method = columns[1].selectbox("Method", METHODS, key=f"policy_method_{suffix}",
                                      index=METHODS.index(search.method) if search.method in METHODS else 0)
        trials = columns[2].number_input("Trials", min_value=1, max_value=500, value=int(search.trials or 10),
                                         key=f"policy_trials_{suffix}")
        folds = columns[3].number_input("Folds", min_value=2, max_value=20, value=int(search.cv_folds or 5),
                                        key=f"policy_folds_{suffix}")
        seed = columns[4].number_input("Seed", min_value=0, value=int(search.seed or 0), key=f"policy_seed_{suffix}")
        space = st.text_area("Search space (JSON; empty: the algorithm's default for the method)",
                             value=json.dumps(search.space, indent=1) if search.space else "",
                             key=f"policy_space_{suffix}", height=100)
        pressed = st.form_submit_button("Save policy" if policy else "Create policy", type="primary",
                                        disabled=cannot is not None)
    st.caption("Only what applies is kept: alert kinds for an alert trigger, the period for a schedule, the time "
               "range when production rows are used, the algorithm and the rest for another search.")
    if not pressed:
        return
    with reported_errors():
        uses_production = kind != "reference"
        found_window = policies.data_window(
            kind, last_days=last_days if uses_production and chosen_span == "last" else None,
            since=_midnight(since) if uses_production and chosen_span == "dates" else None,
            until=_midnight(until) if uses_production and chosen_span == "dates" else None)
        found_search = policies.search_choice(source) if source != "custom" else policies.search_choice(
            "custom", algorithm=algorithm, method=method, space=space.strip() or None,
            trials=int(trials) if method in ("random", "halving") else None, cv_folds=int(folds), seed=int(seed))
        settings = dict(trigger=trigger, window=found_window, search=found_search,
                        alert_kinds=tuple(kinds) if trigger == "alert" else (),
                        every_days=float(every) if trigger == "schedule" else None)
        if policy is None:
            saved = policies.create_policy(workspace, user, project.id, name=name, **settings)
        else:
            saved = policies.update_policy(workspace, user, policy.id, name=name, **settings)
        st.toast(f"Policy #{saved.id} ({saved.name}) saved", icon=":material/check:")
        st.rerun()


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time())
