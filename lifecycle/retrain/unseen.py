"""The rows on which a retrained version and the production version are compared fairly: the new
split's test rows that the production version never trained on.

A retrain's dataset version holds the reference rows first (the production version's own dataset
version, in its order) and then the labelled production rows, frozen with the same recipe. Its
test rows the production version never saw are the production rows, and the reference rows that
the production version's own split held out as test rows. Comparing on all of the new test rows
would favour the production version, which trained on some of them.
"""
from __future__ import annotations

import numpy as np

from lifecycle.data.datasets import get_dataset, load_frame
from lifecycle.data.preparation import get_recipe, recipe_of, split_assignment
from lifecycle.data.recipe.checks import apply_filters
from lifecycle.errors import InputError
from lifecycle.records import ModelVersion, Split
from lifecycle.retrain.compare import LabelledRows
from lifecycle.validate.held_out import held_out
from lifecycle.workspace import Workspace


def unseen_test_rows(workspace: Workspace, *, champion_split: Split, recipe_id: int, candidate: ModelVersion,
                     raw_dataset_id: int | None, reference_rows: int) -> LabelledRows:
    """The candidate's test rows (input columns and encoded target) that the production version, trained
    on ``champion_split``, never trained on. ``raw_dataset_id`` is the retrain's version before the
    recipe froze it (None when the retrain reused the reference: then every test row is unseen);
    ``reference_rows`` how many of its first rows are the reference's. Raises InputError when no test
    row is left."""
    held = held_out(workspace, candidate)
    if raw_dataset_id is None:
        return LabelledRows(X=held.X, y=held.y, source=f"the {len(held.X):,} test rows of split #{held.split.id} of "
                                                       f"{held.dataset.label}, the production version's own held-out rows")
    raw = load_frame(workspace, get_dataset(workspace, raw_dataset_id))
    kept = apply_filters(raw, recipe_of(get_recipe(workspace, recipe_id))).index.to_numpy()
    if len(kept) != held.data.frame.shape[0]:
        raise InputError(f"{held.dataset.label} does not hold the rows its recipe keeps of the retrain's rows.",
                         "Compare the versions on the Retrain page's Compare section instead.")
    source = kept[held.X.index.to_numpy()]  # each test row's position among the retrain's rows
    production = source >= reference_rows
    unseen = production.copy()
    if reference_rows:
        champion_parts = split_assignment(workspace, champion_split).to_numpy()
        from_reference = ~production
        unseen[from_reference] = champion_parts[source[from_reference]] == "test"
    if not unseen.any():
        raise InputError("No test row of the new split is new to the production version.",
                         "Retrain on a window with labelled production rows.")
    n_production, n_reference = int((unseen & production).sum()), int((unseen & ~production).sum())
    return LabelledRows(X=held.X[unseen], y=held.y[np.asarray(unseen)],
                        source=f"the {int(unseen.sum()):,} test rows of split #{held.split.id} of {held.dataset.label} "
                               f"the production version never trained on ({n_production:,} production rows, "
                               f"{n_reference:,} of its own held-out rows)")
