"""No page ever shows a traceback: the error boundary shows a message and logs the details."""
from __future__ import annotations

import logging

from lifecycle import portfolio
from tests.app.conftest import no_exceptions, signed_in


def test_an_unexpected_error_in_a_page_shows_a_message_and_logs_the_details(demo_app, monkeypatch, caplog):
    def broken(_workspace):
        raise TypeError("unsupported format string passed to NoneType.__format__")

    monkeypatch.setattr(portfolio, "portfolio", broken)
    with caplog.at_level(logging.ERROR, logger="lifecycle.ui"):
        app = signed_in("sam")
    no_exceptions(app)  # nothing reached Streamlit's own exception element
    [message] = [e.value for e in app.error]
    assert message.startswith("Something went wrong on this page (reference ")
    assert "NoneType" not in message and ".py" not in message
    reference = message.split("reference ")[1][:8]
    [record] = [r for r in caplog.records if reference in r.getMessage()]
    assert record.exc_info[0] is TypeError  # the details are in the log


def test_a_run_without_a_cross_validated_score_is_labelled_in_words():
    """Register model crashed on a mitigation run (no CV score) while formatting its label."""
    from ui.develop.panels import _run_label

    class Scored:
        id, algorithm = 7, "knn"

        def metric(self, _name):
            return None

    assert _run_label(Scored(), "roc_auc") == "#7 knn no cross-validated roc_auc"
    Scored.metric = lambda self, _name: 0.81234
    assert _run_label(Scored(), "roc_auc") == "#7 knn roc_auc=0.8123"
