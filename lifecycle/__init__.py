"""Lifecycle: carry a tabular model through its whole life, every step on record.

The package is the domain layer: importable without Streamlit. Pages call it; the store
subpackage alone speaks SQL.
"""
import os

# One OpenMP thread per fit unless the user says otherwise. On a small shared machine,
# scikit-learn's OpenMP threads spin-wait when a core is busy elsewhere: a gradient-boosting
# fit measured 2.4 s with one thread took 90–150 s with two under contention. Set before
# scikit-learn loads its OpenMP runtime.
os.environ.setdefault("OMP_NUM_THREADS", "1")

__version__ = "0.1.0"
