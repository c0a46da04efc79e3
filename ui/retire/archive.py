"""The Retire page's archive panel: every retirement on record with its archive, and a check of a
bundle against its checksum manifest and the digest on record."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle import retire
from lifecycle.records import Project, Retirement
from lifecycle.workspace import Workspace
from ui import state
from ui.frame import reported_errors, text


def render(workspace: Workspace, project: Project, retirements: list[Retirement]) -> None:
    if not retirements:
        st.info("No version of this project is retired yet, so there is no archive. Retire one in the "
                "Decommission section.", icon=":material/inventory_2:")
        return
    st.dataframe(pd.DataFrame([{
        "Version": f"v{r.version} (#{r.model_version_id})", "Retired (UTC)": r.retired_at, "By": r.retired_by,
        "From": r.previous_state, "Reason": r.reason,
        "Replacement": f"#{r.replacement_id}" if r.replacement_id else ("none, confirmed" if r.no_replacement_confirmed
                                                                         else "none"),
        "Archive": r.archive_path, "Files": r.archive_files, "Bytes": r.archive_bytes,
        "Manifest SHA-256": r.archive_sha256} for r in reversed(retirements)]),
        hide_index=True, width="stretch",
        column_config={"Retired (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                       "Bytes": st.column_config.NumberColumn(format="localized")})
    st.caption("An archive sits in the workspace's .files folder at the path shown. Inside it, "
               "`sha256sum -c CHECKSUMS.sha256` checks it without Lifecycle.")
    ids = [r.model_version_id for r in reversed(retirements)]
    labels = {r.model_version_id: f"v{r.version} (#{r.model_version_id})" for r in retirements}
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox("Archive to check", ids, format_func=labels.get, key="archive_version")
    if right.button("Check archive", icon=":material/verified:", key="archive_check"):
        with reported_errors():
            state.remember(state.ARCHIVE_CHECK, retire.check_archive(workspace, chosen), project_id=project.id,
                           item=chosen)
    check = state.recall(state.ARCHIVE_CHECK, project_id=project.id, item=chosen)
    if check is None:
        return
    if check.ok:
        st.success(f"Archive intact: its {check.files} files match their SHA-256, and its manifest matches the "
                   "digest on the retirement record.", icon=":material/verified:")
    else:
        st.error("Archive changed:\n\n" + "\n".join(f"- {text(problem)}" for problem in check.problems),
                 icon=":material/gpp_bad:")
