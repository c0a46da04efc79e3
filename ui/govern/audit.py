"""The Govern page's audit trail: filter by project, model version, user and action; verify the
hash chain in one click (the first broken event named); export what is shown as CSV or JSON (written
when the download is clicked)."""
from __future__ import annotations

import streamlit as st

from lifecycle import auth
from lifecycle.govern import audit_trail
from lifecycle.govern.audit_trail import TrailFilter
from lifecycle.models import registry
from lifecycle.records import Project, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import text

ANY = "any"
SHOWN = 500  # newest events shown in the table; exports carry every matching event


def _verify(workspace: Workspace, project_id: int) -> None:
    state.remember(state.AUDIT_VERDICT, audit_trail.verify(workspace), project_id=project_id)


def render(workspace: Workspace, user: User, project: Project) -> None:
    actors, actions = audit_trail.choices(workspace)
    prefixes = sorted({a.split(".")[0] + "." for a in actions if "." in a})
    versions = registry.list_versions(workspace, project.id)
    with st.form("audit_filter"):
        columns = st.columns(4)
        scope = columns[0].radio("Project", ("this project", "all projects"), key="audit_scope")
        labels = {ANY: ANY, **{v.id: f"v{v.version} (#{v.id})" for v in versions}}
        version = columns[1].selectbox("Model version", list(labels), key="audit_version", format_func=labels.get)
        actor = columns[2].selectbox("User", [ANY, *actors], key="audit_actor")
        action = columns[3].selectbox("Action", [ANY, *prefixes, *actions], key="audit_action",
                                      help="An action, or every action under a prefix (model. for every model move).")
        st.form_submit_button("Filter", icon=":material/filter_list:")
    selection = TrailFilter(project_id=project.id if scope == "this project" else None,
                            version_id=None if version == ANY else int(version),
                            actor=None if actor == ANY else actor, action=None if action == ANY else action)
    found = audit_trail.events(workspace, selection)
    left, middle, right = st.columns([2, 1, 1])
    left.button("Verify the chain", icon=":material/verified:", key="audit_verify", on_click=_verify,
                args=(workspace, project.id), help="Recomputes every event's hash, oldest first.")
    verdict = state.recall(state.AUDIT_VERDICT, project_id=project.id)
    cannot = auth.why_not(user, auth.Permission.READ)
    middle.download_button("Export CSV", lambda: audit_trail.export(workspace, "csv", selection), file_name="audit.csv",
                           mime="text/csv", icon=":material/download:", key="audit_csv", disabled=cannot is not None,
                           help="Cells a spreadsheet would run as formulas are written as text.")
    right.download_button("Export JSON", lambda: audit_trail.export(workspace, "json", selection), file_name="audit.json",
                          mime="application/json", icon=":material/download:", key="audit_json",
                          disabled=cannot is not None)
    if verdict is not None:
        if verdict.ok:
            st.success(f"The chain is intact: {verdict.events:,} events, each hash recomputed.",
                       icon=":material/verified:")
        else:
            st.error(f"The chain is broken at event {verdict.first_broken}: {text(verdict.reason)}. Every event "
                     "from there on is in doubt; compare with an anchor or a backup.", icon=":material/gpp_bad:")
    st.caption(f"{len(found):,} event(s) match" + (f"; the newest {SHOWN} are shown" if len(found) > SHOWN else "")
               + ". Anchoring (a signed chain head kept outside the workspace) is done from the command line: "
                 "audit keygen, audit anchor, audit verify --anchor.")
    table = audit_trail.frame(found[-SHOWN:][::-1])
    # A dataframe shows cells as literal text: no markdown, no HTML, whatever an event holds.
    st.dataframe(table, hide_index=True, width="stretch", key="audit_table",
                 column_config={"prev_hash": None, "hash": st.column_config.TextColumn("hash", width="small")})
