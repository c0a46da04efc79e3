"""Streamlit-only helpers shared by the pages: session keys, the frame, widgets."""
