"""Admin (Account for everyone else): your own password; for admins, users and archived projects."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import auth
from lifecycle.access import users
from lifecycle.problem import projects
from ui import state
from ui.frame import reported_errors, text

workspace = state.workspace()
user = state.page_user()
is_admin = auth.can(user, auth.Permission.MANAGE_USERS)
st.title("Admin" if is_admin else "Account")
st.caption("Who may do what: users, their roles and passwords, and which projects are archived."
           if is_admin else "Your account: change your password.")


def _done(message: str) -> None:
    st.toast(message, icon=":material/check_circle:")
    st.rerun()


def own_password() -> None:
    st.subheader("Your password")
    with st.form("own_password", clear_on_submit=True):
        current = st.text_input("Current password", type="password", key="own_current")
        new = st.text_input(f"New password ({auth.MIN_PASSWORD_LENGTH} characters or more)", type="password",
                            key="own_new")
        again = st.text_input("New password again", type="password", key="own_again")
        submitted = st.form_submit_button("Change my password")
    if submitted:
        with reported_errors():
            if new != again:
                st.error("The two new passwords differ. Type the same one twice.", icon=":material/error:")
            else:
                users.change_own_password(workspace, user, current, new)
                _done("Your password is changed; other browsers signed in as you are signed out.")


def user_table() -> list:
    everyone = users.list_users(workspace)
    st.dataframe(pd.DataFrame([{
        "User": u.name, "Role": u.role, "Status": "active" if u.active else "disabled",
        "Last sign-in (UTC)": u.last_sign_in, "Added (UTC)": u.created_at,
    } for u in everyone]), hide_index=True, width="stretch", column_config={
        "Last sign-in (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        "Added (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
    })
    st.caption("Users are disabled, never deleted: the audit trail names them. The last active admin can be "
               "neither disabled nor given another role.")
    return everyone


def add_user() -> None:
    with st.form("add_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        left, middle, right = st.columns(3)
        name = left.text_input("User name", key="add_user_name")
        role = middle.selectbox("Role", auth.ROLES, key="add_user_role")
        password = right.text_input(f"Password ({auth.MIN_PASSWORD_LENGTH}+ characters)", type="password",
                                    key="add_user_password")
        submitted = st.form_submit_button("Add user", type="primary")
    st.caption(" · ".join(f"**{role}**: {text(auth.ROLE_SUMMARY[role])}" for role in auth.ROLES))
    if submitted:
        with reported_errors():
            added = users.add_user(workspace, user, name.strip(), role, password)
            _done(f"Added {text(added.name)} ({added.role}).")


def change_user(everyone: list) -> None:
    st.markdown("**Change a user**")
    names = [u.name for u in everyone]
    chosen = st.selectbox("User", names, key="change_user_name")
    target = next(u for u in everyone if u.name == chosen)
    left, middle, right = st.columns(3)
    with left:
        role = st.selectbox("Role", auth.ROLES, index=auth.ROLES.index(target.role), key=f"role_of_{chosen}")
        if st.button("Change role", key="change_role", disabled=role == target.role):
            with reported_errors():
                users.set_role(workspace, user, chosen, role)
                _done(f"{text(chosen)} is now {role}.")
    with middle:
        label = "Disable" if target.active else "Enable"
        st.caption("A disabled user can no longer sign in." if target.active else "This user is disabled.")
        if st.button(f"{label} {chosen}", key="toggle_active"):
            with reported_errors():
                users.set_active(workspace, user, chosen, not target.active)
                _done(f"{text(chosen)} is {'disabled' if target.active else 'enabled again'}.")
    with right, st.form("reset_password", clear_on_submit=True):
        password = st.text_input(f"New password for {chosen}", type="password", key="reset_password_value")
        if st.form_submit_button("Reset password"):
            with reported_errors():
                users.reset_password(workspace, user, chosen, password)
                _done(f"{text(chosen)}'s password is reset; tell them through a channel you trust.")


def archived_projects() -> None:
    st.subheader("Projects")
    every = projects.list_projects(workspace, archived=True)
    if not every:
        st.caption("No projects yet.")
        return
    st.dataframe(pd.DataFrame([{"Project": p.name, "Owner": p.owner,
                                "Status": "archived" if p.archived_at else "in work",
                                "Archived (UTC)": p.archived_at} for p in every]),
                 hide_index=True, width="stretch",
                 column_config={"Archived (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    st.caption("An archived project leaves the portfolio and the project picker; its records stay, and it can be "
               "restored.")
    names = {p.id: p.name for p in every}
    chosen = st.selectbox("Project", list(names), format_func=names.get, key="archive_project")
    project = next(p for p in every if p.id == chosen)
    archived = project.archived_at is not None
    if st.button(f"{'Restore' if archived else 'Archive'} {text(project.name)}", key="archive_toggle"):
        with reported_errors():
            projects.set_archived(workspace, user, chosen, not archived)
            _done(f"{text(project.name)} is {'restored' if archived else 'archived'}.")


if is_admin:
    people, work, mine = st.tabs(["Users", "Projects", "Your password"])
    with people:
        everyone = user_table()
        add_user()
        st.divider()
        change_user(everyone)
    with work:
        archived_projects()
    with mine:
        own_password()
else:
    st.markdown(f"Signed in as **{text(user.name)}** ({user.role}). {text(auth.ROLE_SUMMARY[user.role])}")
    own_password()
    st.caption("An admin adds users, changes roles and resets passwords.")
