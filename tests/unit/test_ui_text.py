"""User strings shown in markdown: HTML and markdown controls are neutralised, quotes stay readable."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _rendered(value: str) -> str:
    def page(value):
        import streamlit as st

        from ui.frame import text
        st.markdown(text(value))

    app = AppTest.from_function(page, args=(value,)).run()
    return app.markdown[0].value


def test_quotes_are_not_turned_into_visible_entities():
    from ui.frame import text
    assert text("log-odds of '>50K'") == "log\\-odds of '&gt;50K'"
    assert "&#x27;" not in text("it's") and "&quot;" not in text('say "hi"')


def test_html_and_markdown_in_user_data_stay_text():
    shown = _rendered('<b>x</b> **bold** [link](http://e) # head')
    assert "<b>" not in shown and "\\*\\*bold\\*\\*" in shown and "\\[link\\]" in shown
