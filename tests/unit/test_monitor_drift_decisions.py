"""The decision rules on stored statistics: Benjamini–Hochberg as statsmodels computes it, the
minimum window, the minimum effect, a rule without a test, k drifting windows in a row, the
confirmations the alerts read, and ranking by impact."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from statsmodels.stats.multitest import multipletests

from lifecycle.monitor import drift_config
from lifecycle.monitor.drift_decisions import (SETTLE_SECONDS, confirmations, decide_window, judge, rank)
from lifecycle.records import ColumnRule, DriftStatistics

T0 = datetime(2026, 3, 2)
HOUR = timedelta(hours=1)
CONFIG = drift_config.DEFAULT


def _stats(feature="a", *, start=T0, p=0.001, effect=0.3, rows=1_000, kind="numeric", source="input",
           status="ok", complete=True) -> DriftStatistics:
    numeric = kind == "numeric"
    computed = start + HOUR + timedelta(seconds=SETTLE_SECONDS if complete else -1)
    return DriftStatistics(project_id=1, model_version_id=1, size_seconds=3600, window_start=start, source=source,
                           feature=feature, kind=kind, status=status, window_rows=rows, n_current=rows, n_missing=0,
                           n_reference=5_000, ks=0.2 if numeric else None, ks_p=p if numeric else None,
                           wasserstein_norm=effect if numeric else None, psi=effect,
                           chi2=None if numeric else 30.0, chi2_p=None if numeric else p,
                           jensen_shannon=None if numeric else effect, computed_at=computed)


def test_benjamini_hochberg_is_statsmodels_per_window_and_family():
    p_values = [0.001, 0.012, 0.03, 0.04, 0.2]
    window = [_stats(f"f{i}", p=p) for i, p in enumerate(p_values)]
    window.append(_stats("score", source="prediction", p=0.04))  # the model's outputs: their own family
    decided = decide_window(window, CONFIG)
    reject, adjusted, _, _ = multipletests(p_values, alpha=0.05, method="fdr_bh")
    assert [d["adjusted_p_value"] for d in decided[:5]] == pytest.approx(list(adjusted))
    assert [d["drift"] for d in decided[:5]] == list(reject)
    assert decided[5]["adjusted_p_value"] == pytest.approx(0.04) and decided[5]["drift"]
    assert decided[4]["status"] == "no_drift" and decided[4]["reason"] == "not significant (adjusted p 0.2 > 0.05)"


def test_no_drift_is_called_in_a_window_under_the_minimum_rows():
    small = [_stats("a", rows=199, p=1e-30, effect=2.0), _stats("c", rows=199, kind="categorical", p=1e-30)]
    decided = decide_window(small, CONFIG)
    assert [d["status"] for d in decided] == ["too_few_rows", "too_few_rows"]
    assert not any(d["drift"] for d in decided)
    assert decided[0]["reason"] == "too few rows: 199 in the window, 200 needed"
    assert decide_window([_stats("a", rows=200, p=1e-30, effect=2.0)], CONFIG)[0]["drift"]


def test_a_significant_but_small_effect_is_not_drift():
    decided = decide_window([_stats("a", p=1e-40, effect=0.05), _stats("c", kind="categorical", p=1e-40,
                                                                       effect=0.099)], CONFIG)
    assert [d["drift"] for d in decided] == [False, False]
    assert decided[0]["reason"] == "effect too small (wasserstein 0.05 < 0.1)"
    assert decided[1]["effect_name"] == "jensen_shannon" and decided[1]["effect"] == pytest.approx(0.099)


def test_a_rule_without_a_test_decides_on_the_effect_and_per_feature_rules_override():
    config = dataclasses.replace(CONFIG, numeric=ColumnRule(test=None, effect="psi", min_effect=0.2),
                                 features={"b": ColumnRule(test="ks", effect="ks", min_effect=0.15)})
    decided = decide_window([_stats("a", p=0.9, effect=0.25), _stats("b", p=0.001, effect=0.0)], config)
    assert decided[0]["drift"] and decided[0]["statistic"] == "psi" and decided[0]["p_value"] is None
    assert decided[1]["drift"] and decided[1]["effect_name"] == "ks" and decided[1]["effect"] == 0.2


def test_missing_features_and_missing_references_are_said_not_judged():
    decided = decide_window([_stats("a", status="missing"), _stats("b", status="no_reference"),
                             _stats("c", p=0.001)], CONFIG)
    assert [d["status"] for d in decided] == ["missing", "no_reference", "drift"]
    assert decided[0]["reason"].startswith("missing") and decided[2]["adjusted_p_value"] == pytest.approx(0.001)


def _history(pattern: str, feature="a", complete_last=True):
    """A window per character: D drifting, n not, s too few rows, . no traffic (nothing stored)."""
    out = []
    for i, mark in enumerate(pattern):
        if mark == ".":
            continue
        complete = complete_last or i < len(pattern) - 1
        out.append(_stats(feature, start=T0 + i * HOUR, p=1e-9 if mark in "Ds" else 0.5,
                          rows=50 if mark == "s" else 1_000, complete=complete))
    return out


def test_drift_is_confirmed_after_k_drifting_windows_in_a_row():
    judged = judge(_history("DDnDDD"), CONFIG)
    assert [f.streak for f in judged] == [1, 2, 0, 1, 2, 3]
    assert [f.confirmed for f in judged] == [False] * 5 + [True]
    assert judged[-1].drift and not judged[2].drift
    # windows without a decision neither extend nor break a run: no traffic, too few rows
    judged = judge(_history("D.DsD"), CONFIG)
    assert [f.streak for f in judged] == [1, 2, 2, 3] and judged[-1].confirmed
    assert judged[2].status == "too_few_rows"
    # k is the project's rule
    assert judge(_history("DD"), dataclasses.replace(CONFIG, consecutive=2))[-1].confirmed


def test_the_open_window_is_shown_but_does_not_count_until_complete():
    judged = judge(_history("DDD", complete_last=False), CONFIG)
    assert judged[-1].drift and not judged[-1].complete
    assert judged[-1].streak == 2 and not judged[-1].confirmed


def test_confirmations_are_runs_of_k_with_their_first_and_last_window():
    history = _history("DDDnDDDD") + _history("DDn", feature="b") + _history("nnn", feature="c")
    found = confirmations(judge(history, CONFIG), CONFIG.consecutive)
    assert [(c.feature, c.first_window, c.last_window, c.windows, c.ongoing) for c in found] == [
        ("a", T0, T0 + 2 * HOUR, 3, False), ("a", T0 + 4 * HOUR, T0 + 7 * HOUR, 4, True)]
    assert found[1].effect_name == "wasserstein" and found[1].effect == pytest.approx(0.3)


def test_impact_weights_the_effect_by_the_shap_share_and_ranks_by_it():
    window = [_stats("a", effect=0.5), _stats("b", effect=0.3), _stats("c", effect=0.05),
              _stats("score", source="prediction", effect=0.9)]
    weighted = rank(judge(window, CONFIG, importance={"a": 0.1, "b": 0.9}))
    assert [f.feature for f in weighted] == ["b", "a", "c", "score"]
    assert weighted[0].impact == pytest.approx(0.27) and weighted[2].impact == 0.0
    assert weighted[-1].impact is None and all(f.weighted for f in weighted)
    unweighted = rank(judge(window, CONFIG))
    assert [f.feature for f in unweighted] == ["a", "b", "c", "score"] and unweighted[0].impact == 0.5
    assert not unweighted[0].weighted and unweighted[0].importance_share is None
