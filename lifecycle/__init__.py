"""Lifecycle: carry a tabular model through its whole life, every step on record.

The package is the domain layer: importable without Streamlit. Pages call it; the store
subpackage alone speaks SQL.
"""
__version__ = "0.1.0"
