"""Loading a model artifact safely: the one loader for the workspace, the scoring service and an
exported bundle. It needs only skops and the hashing helper (no database), so serving code can
use it without the workspace.

The file's SHA-256 must equal the hash on record, and every type skops does not trust by
default must be on ``TRUSTED_TYPES``, kept here in code and never read from the file.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import skops.io as sio

from lifecycle.errors import InputError, NotFound
from lifecycle.hashing import sha256_file

# Types skops does not trust by default that our pipelines legitimately contain.
TRUSTED_TYPES = frozenset({
    "fairlearn.preprocessing._correlation_remover.CorrelationRemover",
    "lifecycle.review.fair_models.GroupThresholdClassifier",
    "lifecycle.review.fair_models.MixtureClassifier",
    "lifecycle.data.recipe.transformers.AsText",
    "lifecycle.data.recipe.transformers.DerivedColumnTransformer",
    "lifecycle.data.recipe.transformers.InfToNaN",
    "lifecycle.data.recipe.transformers.OutlierClipper",
    "lifecycle.data.recipe.transformers.ParseNumbers",
    "lifecycle.data.recipe.transformers.category_feature_name",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    # k-nearest neighbours: the fitted search tree and its distance (the catalogue's knn uses
    # the default Minkowski metric; p=1 and p=2 pick these).
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.tree._tree.Tree",
})

# Artifacts saved before the stage packages name their classes by the old flat modules; they
# load through these aliases. Only the module part is translated: the class must still be on
# TRUSTED_TYPES under its new name.
LEGACY_MODULES = {
    "lifecycle.transformers": "lifecycle.data.recipe.transformers",
    "lifecycle.fair_models": "lifecycle.review.fair_models",
}


def _current_name(type_name: str) -> str:
    module, _, name = type_name.rpartition(".")
    return f"{LEGACY_MODULES.get(module, module)}.{name}"


def _alias_legacy_modules(type_names: set[str]) -> None:
    for type_name in type_names:
        module = type_name.rpartition(".")[0]
        if module in LEGACY_MODULES and module not in sys.modules:
            sys.modules[module] = importlib.import_module(LEGACY_MODULES[module])


class ArtifactRefused(InputError):
    """An artifact that must not be loaded: changed since registration, or holding untrusted types."""


def load_artifact(path: Path, expected_hash: str, label: str):
    """Load a skops artifact after checking its SHA-256 against ``expected_hash`` and every type it
    needs against ``TRUSTED_TYPES`` (never a list read from the file). Used by the workspace and by
    the scoring service, which has no database: it gets the hash from the deployment manifest.

    Raises NotFound for a missing file and ArtifactRefused (an InputError) for a changed file or
    an untrusted type; ``label`` names the model in the messages.
    """
    if not path.exists():
        raise NotFound(f"The artifact of model {label} is missing ({path.name}).",
                       "Restore the workspace's .files folder from a backup, or register the run again.")
    if sha256_file(path) != expected_hash:
        raise ArtifactRefused(f"The artifact of model {label} changed after it was registered (hash mismatch).",
                              "Do not use it: restore the file from a backup or register the run again.")
    untrusted = set(sio.get_untrusted_types(file=path))
    unknown = sorted(t for t in untrusted if _current_name(t) not in TRUSTED_TYPES)
    if unknown:
        raise ArtifactRefused(f"The artifact of model {label} holds types Lifecycle does not trust: "
                              f"{', '.join(unknown)}.",
                              "Register the model again from a run; never load model files from elsewhere.")
    _alias_legacy_modules(untrusted)
    return sio.load(path, trusted=sorted(untrusted))
