"""The Retrain page's version diff: two versions side by side, what differs marked."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lifecycle.records import ModelVersion
from lifecycle.retrain.diff import version_diff
from lifecycle.workspace import Workspace
from ui.frame import reported_errors


def render(workspace: Workspace, versions: list[ModelVersion], production: ModelVersion | None) -> None:
    if len(versions) < 2:
        st.info("A diff needs two model versions of this project.", icon=":material/difference:")
        return
    labels = {v.id: v.label for v in versions}
    ids = list(labels)
    first = production.id if production is not None else ids[0]
    second = next((i for i in reversed(ids) if i != first), ids[-1])
    left, right = st.columns(2)
    a = left.selectbox("Version A", ids, index=ids.index(first), format_func=labels.get, key="diff_a")
    b = right.selectbox("Version B", ids, index=ids.index(second), format_func=labels.get, key="diff_b")
    only_changes = st.toggle("Only what differs", key="diff_only_changes")
    with reported_errors():
        found = version_diff(workspace, a, b)
        rows = [{"Section": r.section, "Aspect": r.aspect, f"A: v{found.version_a.version}": r.a,
                 f"B: v{found.version_b.version}": r.b, "Differs": "differs" if r.differs else ""}
                for r in found.rows if r.differs or not only_changes]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=min(38 * (len(rows) + 1), 700))
        st.caption("From what is on record: the run, its dataset version, split and recipe, the newest validation "
                   "(metrics with 95% intervals, objectives, fairness) and the newest stored explanation (drivers).")
