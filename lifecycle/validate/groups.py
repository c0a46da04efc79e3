"""Groups of a sensitive attribute: the one way rows are named by their sensitive values.

The fairness review, the validation report, the trade-off and the fairness-mitigated models all
label a row's group with :func:`group_labels`, so a group has one name everywhere: the value as
text exactly as the recipe reads a category (``AsText``: ``1.0`` and ``1`` are one group), and
an empty value the explicit group ``MISSING_GROUP``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lifecycle.data.recipe.transformers import AsText

__all__ = ["MISSING_GROUP", "group_labels"]

MISSING_GROUP = "(missing)"


def group_labels(values) -> np.ndarray:
    """One group name per value of ``values`` (a Series, array or list of one attribute's values):
    a ``str`` array of the same length. Empty values (None, NaN, NA) become ``MISSING_GROUP``."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    texts = AsText().fit_transform(series.to_frame())[:, 0]
    return np.where(pd.isna(texts), MISSING_GROUP, texts).astype(str)
