"""The one escaping function: user text reaches Markdown and plotly as literal text."""
from __future__ import annotations

import html
import re

import pytest
from streamlit.testing.v1 import AppTest

from lifecycle.literal import literal

SAMPLES = ["log-odds of '>50K'", 'say "hi"', "<b>x</b> **bold** [link](http://e) # head", "a_b_c", "1. item",
           "`tick", ":red[red] :smile: $x$", "https://example.com www.example.org me@example.org", "line\nbreak",
           "naïve — 日本語 ✅", "| a | b |", "&amp; &#42;"]


@pytest.mark.parametrize("value", SAMPLES)
def test_literal_reads_back_exactly_and_holds_no_markup(value):
    shown = literal(value)
    assert html.unescape(shown) == value
    outside_references = re.sub(r"&#\d+;", "", shown)
    assert not set(outside_references) & set("*_[]()<>`:|#$-\\/.@!~&;=+\n")


def test_letters_digits_spaces_and_non_ascii_pass_unchanged():
    assert literal("Income over 50K naïve 日本語") == "Income over 50K naïve 日本語"


def _rendered(value: str) -> str:
    def page(value):
        import streamlit as st

        from ui.frame import text
        st.markdown(text(value))

    app = AppTest.from_function(page, args=(value,)).run()
    return app.markdown[0].value


def test_html_and_markdown_in_user_data_stay_text():
    shown = _rendered('<b>x</b> **bold** [link](http://e) # head')
    assert "<b>" not in shown and "**" not in shown and "[link]" not in shown and "http://" not in shown
    assert html.unescape(shown) == '<b>x</b> **bold** [link](http://e) # head'


def test_chart_strings_are_literal():
    from lifecycle.charts.theme import apply_theme, literal_data
    import plotly.graph_objects as go

    fig = apply_theme(go.Figure(), "by <b>x</b>", "<i>col</i>", "y")
    fig.add_bar(x=["<a href='javascript:1'>x</a>", "plain"], y=[1, 2], name="<b>n</b>")
    literal_data(literal_data(fig))  # idempotent
    spec = fig.to_plotly_json()
    assert spec["layout"]["title"]["text"] == literal("by <b>x</b>")
    assert list(spec["data"][0]["x"]) == [literal("<a href='javascript:1'>x</a>"), "plain"]
    assert spec["data"][0]["name"] == literal("<b>n</b>")
