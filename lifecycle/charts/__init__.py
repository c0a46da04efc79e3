"""Plotly figures built from plain data; no Streamlit here, so every chart is unit-testable."""
