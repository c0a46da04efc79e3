"""The Govern page's checklist and sign-off: each item with its sources, its status, the evidence
the app holds (or what to do), and, beside it, the reviewer's judgement and comment; then the
decision on the whole. Everyone sees the form; it is disabled, with the reason, for whoever may
not sign this version."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle.govern import signoff
from lifecycle.govern.checklist import Checklist, ItemStatus
from lifecycle.records import DECISIONS, JUDGEMENTS, SignOff, User
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import disabled_reason, last_action, reported_errors, text

STATUS_STYLE = {  # icon, colour, word: never colour alone
    "present": ("check_circle", "green", "evidence"),
    "missing": ("cancel", "red", "missing"),
    "attestation": ("edit_note", "orange", "statement needed"),
    "attested": ("verified", "green", "attested"),
}
DECISION_WORDS = {"approve": "Approve", "conditional": "Approve with conditions", "reject": "Reject"}
NOT_JUDGED = "—"
PAGE_NAMES = {path: path.removeprefix("pages/").removesuffix(".py").title() for path in (
    "pages/problem.py", "pages/data.py", "pages/develop.py", "pages/validate.py", "pages/deploy.py", "pages/govern.py")}


def status_badge(status: str) -> str:
    icon, colour, word = STATUS_STYLE[status]
    return f":{colour}-badge[:material/{icon}: {word}]"


def _item_row(entry: ItemStatus, version_id: int, disabled: bool) -> tuple[str, str]:
    """One item: what it asks and where from, its status and evidence; the judgement and comment (returned)."""
    item = entry.item
    left, middle, right = st.columns([5, 2, 3], vertical_alignment="top")
    with left:
        blocks = " · **blocks**" if entry.blocking else ""
        st.markdown(f"**{text(item.title)}** {status_badge(entry.shown)}{blocks}")
        st.caption(text(item.asks) + " — " + text("; ".join(item.sources)))
        st.markdown(text(entry.found.summary))
        for said in entry.statements:
            st.caption(":material/verified: " + text(f"Attested by {said.signer}: {said.comment}"))
        yours = entry.blocking and not disabled  # each approving reviewer states a blocking item
        if entry.statements and yours:
            st.caption(":material/edit_note: Each approving reviewer states it: your statement is needed too.")
        if entry.status != "present" and entry.found.todo and (not entry.statements or yours):
            st.caption(":material/arrow_forward: " + text(entry.found.todo))
        for link in entry.links:
            where = f" (on the {PAGE_NAMES[link.page]} page)" if link.page in PAGE_NAMES else ""
            st.caption(f":material/link: {text(link.label)}{where}")
    judgement = middle.selectbox("Judgement", (NOT_JUDGED, *JUDGEMENTS), key=f"govern_{version_id}_{item.id}_judgement",
                                 disabled=disabled, help="accept: the evidence holds (for a statement: you attest "
                                                         "it, in the comment); condition: accepted on a condition; "
                                                         "reject.")
    comment = right.text_input("Comment", key=f"govern_{version_id}_{item.id}_comment", disabled=disabled,
                               placeholder="your statement or condition" if entry.status == "attestation" else "")
    return judgement, comment


def _evidence_or_todo(entry: ItemStatus) -> str:
    if entry.status == "present":
        return entry.found.summary
    if entry.statements:
        return "; ".join(f"{said.signer}: {said.comment}" for said in entry.statements)
    return entry.found.todo or entry.found.summary


def summary_table(checklist: Checklist) -> None:
    """One line per item (for a quick read above the form)."""
    st.dataframe(pd.DataFrame([{"Item": i.item.title, "Status": STATUS_STYLE[i.shown][2],
                                "Blocks": "yes" if i.blocking else "no",
                                "Evidence, or what to do": _evidence_or_todo(i)} for i in checklist.items]),
                 hide_index=True, width="stretch", key=f"govern_summary_{checklist.record.version.id}")


def render(workspace: Workspace, user: User, checklist: Checklist) -> None:
    version = checklist.record.version
    project_id = checklist.record.project.id
    message = state.recall(state.SIGNOFF_MESSAGE, project_id=project_id, item=version.id)
    if message:
        last_action(state.SIGNOFF_MESSAGE, text(message), project_id=project_id, item=version.id)
    cannot = signoff.why_not(workspace, user, version)
    missing = checklist.blocking_missing
    if missing:
        st.warning("No approval is possible until these blocking items have evidence: "
                   + "; ".join(text(i.item.title) for i in missing) + ". A rejection is.", icon=":material/block:")
    given: dict[str, signoff.ItemInput] = {}
    with st.form(f"signoff_form_{version.id}"):
        for entry in checklist.items:
            judgement, note = _item_row(entry, version.id, cannot is not None)
            if judgement != NOT_JUDGED:
                given[entry.item.id] = signoff.ItemInput(judgement=judgement, comment=(note or "").strip())
            st.divider()
        decision = st.radio("Decision", DECISIONS, format_func=DECISION_WORDS.get, horizontal=True,
                            key=f"govern_{version.id}_decision", disabled=cannot is not None)
        comment = st.text_area("Comment on the whole (goes on the audit trail and the model card)",
                               key=f"govern_{version.id}_comment", disabled=cannot is not None)
        pressed = st.form_submit_button("Sign off", type="primary", disabled=cannot is not None)
    disabled_reason(cannot)
    if pressed:
        with reported_errors():
            outcome = signoff.sign_off(workspace, user, version.id, decision=decision, comment=comment, items=given)
            state.remember(state.SIGNOFF_MESSAGE, outcome.message, project_id=project_id, item=version.id)
            st.rerun()


def history(signoffs: list[SignOff]) -> None:
    """The version's sign-offs so far, oldest first, and their item judgements."""
    if not signoffs:
        st.caption("No reviewer has signed this version off yet.")
        return
    st.dataframe(pd.DataFrame([{"Signed (UTC)": f"{s.signed_at:%Y-%m-%d %H:%M}", "Reviewer": s.signer,
                                "Decision": DECISION_WORDS[s.decision], "Comment": s.comment,
                                "Audit event": s.audit_seq} for s in signoffs]),
                 hide_index=True, width="stretch", key="govern_signoffs")
    judged = [{"Reviewer": s.signer, "Item": j.item, "Judgement": j.judgement, "Status then": j.status,
               "Comment": j.comment} for s in signoffs for j in s.items]
    if judged:
        st.dataframe(pd.DataFrame(judged), hide_index=True, width="stretch", key="govern_judgements")
