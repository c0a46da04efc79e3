"""Performance before labels: confidence-based performance estimation (CBPE) for binary models,
and whether a version's probabilities are calibrated enough to trust it.

CBPE, as NannyML documents it ("Confidence-based Performance Estimation", NannyML docs, *How it
works*): if the predicted probability ``p`` of the positive class is calibrated, a row predicted
positive is a true positive with probability ``p`` and a false positive with probability ``1 - p``;
a row predicted negative is a false negative with probability ``p`` and a true negative with
``1 - p``. Summing gives the *expected* confusion matrix, and accuracy, precision, recall and F1
follow from it. ROC AUC is estimated from the expected true and false positive rates at every
threshold (NannyML: ``tpr = cumsum(p) / sum(p)``, ``fpr = cumsum(1 - p) / sum(1 - p)`` over rows
by descending score, then the area). Both are computed here by scikit-learn on every row counted
twice, once as a positive with weight ``p`` and once as a negative with weight ``1 - p``: the
weighted confusion matrix *is* the expected one, and the weighted ROC AUC is NannyML's estimate
(ties counted one half, as scikit-learn does). A test checks both against the formulas above.

The estimate is only as good as the calibration. :func:`calibration_of` reads the calibration
curve of the version's latest validation report (10 uniform bins of its test rows) and computes
the expected calibration error ``ECE = sum_b n_b |observed_b - predicted_b| / n`` (Naeini et al.,
AAAI 2015). With the decision threshold on a bin edge (0.5 is one), the bias of the estimated
accuracy is at most the ECE of the bins, so a version whose ECE is above ``MAX_ECE`` is reported as
not calibrated and every estimate carries that warning.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

ESTIMATED = ("accuracy", "precision", "recall", "f1", "roc_auc")
# Largest expected calibration error (probability units) at which estimates are called calibrated:
# the accuracy estimate's bias is bounded by the ECE, and 0.05 is the point at which a 5-point
# error in an estimated accuracy stops being small next to the objectives it is compared with.
MAX_ECE = 0.05


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """Whether a version's probabilities are calibrated: ``calibrated`` None when unknown (no
    validation report with a calibration curve); ``ece`` on ``rows`` test rows; ``text`` in words."""

    model_version_id: int
    calibrated: bool | None
    ece: float | None
    rows: int
    text: str


def expected_calibration_error(predicted, observed, counts) -> float:
    """ECE of a calibration curve: per non-empty bin the mean predicted probability, the observed
    positive share and the row count (shape (b,) each). Raises ValueError for mismatched lengths or
    no rows."""
    predicted, observed, counts = (np.asarray(a, dtype=float) for a in (predicted, observed, counts))
    if not (predicted.shape == observed.shape == counts.shape) or counts.sum() <= 0:
        raise ValueError("A calibration curve needs as many predicted, observed and count values, and rows.")
    return float(np.sum(counts * np.abs(observed - predicted)) / counts.sum())


def calibration_of(workspace: Workspace, version_id: int) -> Calibration:
    """The calibration of ``version_id``'s probabilities, read from its latest validation report."""
    stored = model_store.latest_validation(workspace.db.cursor(), version_id)
    curve = (stored.report.get("calibration") if stored is not None else None) or None
    if curve is None or not curve.get("counts"):
        return Calibration(model_version_id=version_id, calibrated=None, ece=None, rows=0,
                           text="Calibration unknown: the version has no validation report with a calibration curve, "
                                "so estimated performance may be biased by any amount.")
    pairs = [(p, o, c) for p, o, c in zip(curve["predicted"], curve["observed"], curve["counts"])
             if p is not None and o is not None]
    ece = expected_calibration_error(*zip(*pairs))
    rows = int(sum(c for _, _, c in pairs))
    if ece <= MAX_ECE:
        text = (f"Calibrated: expected calibration error {ece:.3f} on {rows:,} test rows (at most {MAX_ECE:g}), so "
                "estimated accuracy is within about that of the truth while the inputs look like the test rows.")
    else:
        text = (f"Not calibrated: expected calibration error {ece:.3f} on {rows:,} test rows (over {MAX_ECE:g}); "
                f"estimated performance may be off by {ece:.2f} or more. Calibrate the model (e.g. "
                "CalibratedClassifierCV) before trusting estimates.")
    return Calibration(model_version_id=version_id, calibrated=ece <= MAX_ECE, ece=ece, rows=rows, text=text)


def estimate_binary(positive_probability, predicted) -> dict[str, tuple[float | None, str]]:
    """CBPE of :data:`ESTIMATED` for n rows: ``positive_probability`` (n,) in [0, 1] and the
    model's decisions ``predicted`` (n,) as 0/1. Returns ``{metric: (value, note)}``, value None
    (with the reason) where the expected counts give 0/0. Raises ValueError for mismatched lengths
    or probabilities outside [0, 1]."""
    p = np.asarray(positive_probability, dtype=float)
    decided = np.asarray(predicted).astype(int)
    if p.shape != decided.shape or p.ndim != 1:
        raise ValueError("CBPE needs one probability and one decision per row.")
    if len(p) == 0:
        return {m: (None, "no predictions") for m in ESTIMATED}
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("CBPE needs probabilities between 0 and 1.")
    truth = np.r_[np.ones(len(p), dtype=int), np.zeros(len(p), dtype=int)]
    weight = np.r_[p, 1 - p]
    twice = np.r_[decided, decided]
    out: dict[str, tuple[float | None, str]] = {}
    expected_positives, predicted_positives = float(p.sum()), int(decided.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["accuracy"] = (float(skm.accuracy_score(truth, twice, sample_weight=weight)), "")
        out["precision"] = ((float(skm.precision_score(truth, twice, sample_weight=weight, zero_division=0)), "")
                            if predicted_positives else (None, "no prediction is positive (0/0)"))
        out["recall"] = ((float(skm.recall_score(truth, twice, sample_weight=weight, zero_division=0)), "")
                         if expected_positives > 0 else (None, "no row is expected to be positive (0/0)"))
        out["f1"] = ((float(skm.f1_score(truth, twice, sample_weight=weight, zero_division=0)), "")
                     if predicted_positives or expected_positives > 0 else (None, "0/0"))
        if 0 < expected_positives < len(p):
            out["roc_auc"] = (float(skm.roc_auc_score(truth, np.r_[p, p], sample_weight=weight)), "")
        else:
            out["roc_auc"] = (None, "every probability is 0 or every one is 1: no expected ranking")
    return out
