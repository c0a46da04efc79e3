"""A project's drift rules: the test and effect size per column type, the thresholds, and the
defaults a project starts from. Stored in the workspace; each change is on the audit trail.

Defaults: numeric columns are tested with Kolmogorov–Smirnov and need a Wasserstein distance of at
least 0.1 reference standard deviations; categorical columns are tested with chi-square and need
a Jensen–Shannon distance of at least 0.1. Benjamini–Hochberg keeps the false discovery rate of
a window's features at 5%; a window with fewer than 200 rows calls nothing; drift is confirmed
after 3 drifting windows in a row, judged on 1-hour windows.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from lifecycle.auth import Permission, require
from lifecycle.errors import InputError
from lifecycle.monitor.windows import MAX_SIZE_SECONDS, MIN_SIZE_SECONDS, format_size
from lifecycle.records import ColumnRule, DriftConfig, User
from lifecycle.records.drift import CATEGORICAL_EFFECTS, CATEGORICAL_TESTS, NUMERIC_EFFECTS, NUMERIC_TESTS
from lifecycle.store import audit_log
from lifecycle.store import monitor_drift as drift_store
from lifecycle.workspace import Workspace

DEFAULT_MIN_EFFECT = {"wasserstein": 0.1, "psi": 0.1, "ks": 0.1, "jensen_shannon": 0.1}
DEFAULT = DriftConfig(
    numeric=ColumnRule(test="ks", effect="wasserstein", min_effect=DEFAULT_MIN_EFFECT["wasserstein"]),
    categorical=ColumnRule(test="chi2", effect="jensen_shannon", min_effect=DEFAULT_MIN_EFFECT["jensen_shannon"]),
    alpha=0.05, min_rows=200, consecutive=3, window_seconds=3600)

EFFECT_WORDS = {"wasserstein": "Wasserstein distance / reference std", "psi": "PSI", "ks": "KS distance",
                "jensen_shannon": "Jensen–Shannon distance"}
TEST_WORDS = {"ks": "Kolmogorov–Smirnov", "chi2": "chi-square", None: "no test (effect size alone)"}


def _check_rule(rule: ColumnRule, tests: tuple[str, ...], effects: tuple[str, ...], what: str) -> None:
    if rule.test is not None and rule.test not in tests:
        raise InputError(f"{what}: {rule.test!r} is not a test for this column type.",
                         f"Use one of: {', '.join(tests)}, or none (the effect size alone decides).")
    if rule.effect not in effects:
        raise InputError(f"{what}: {rule.effect!r} is not an effect size for this column type.",
                         f"Use one of: {', '.join(effects)}.")
    if not 0 <= rule.min_effect < 1e6:
        raise InputError(f"{what}: the minimum effect {rule.min_effect} is not a size.",
                         "Give a number of 0 or more, such as 0.1.")


def check(config: DriftConfig, kinds: Mapping[str, str] | None = None) -> DriftConfig:
    """``config`` when every value is allowed; InputError naming the first that is not.
    ``kinds``: the type of each feature a per-feature rule may name (when known)."""
    _check_rule(config.numeric, NUMERIC_TESTS, NUMERIC_EFFECTS, "Numeric columns")
    _check_rule(config.categorical, CATEGORICAL_TESTS, CATEGORICAL_EFFECTS, "Categorical columns")
    for name, rule in config.features.items():
        kind = (kinds or {}).get(name)
        if kinds is not None and kind is None:
            raise InputError(f"The drift rule names the feature {name!r}, which the model does not read.",
                             f"Name one of: {', '.join(sorted(kinds))}.")
        numeric = kind == "numeric" if kind else rule.effect in NUMERIC_EFFECTS and rule.test != "chi2"
        if numeric:
            _check_rule(rule, NUMERIC_TESTS, NUMERIC_EFFECTS, f"Feature {name!r}")
        else:
            _check_rule(rule, CATEGORICAL_TESTS, CATEGORICAL_EFFECTS, f"Feature {name!r}")
    if not 0 < config.alpha < 1:
        raise InputError(f"The false discovery rate {config.alpha} is not between 0 and 1.", "Use 0.05, for example.")
    if config.min_rows < 1:
        raise InputError(f"The minimum window of {config.min_rows} rows is too small.", "Use 1 row or more, e.g. 200.")
    if not 1 <= config.consecutive <= 1000:
        raise InputError(f"{config.consecutive} consecutive windows cannot confirm drift.", "Use 1 to 1000, e.g. 3.")
    if not MIN_SIZE_SECONDS <= config.window_seconds <= MAX_SIZE_SECONDS:
        raise InputError(f"The window of {format_size(config.window_seconds)} is outside 1 minute to 31 days.",
                         "Pick a window between 1m and 31d, for example 1h.")
    return config


def drift_rules(workspace: Workspace, project_id: int) -> DriftConfig:
    """The project's drift rules (the defaults until someone changes them)."""
    return drift_store.get_config(workspace.db.cursor(), project_id) or DEFAULT


def configure_drift(workspace: Workspace, actor: User, project_id: int, *, kinds: Mapping[str, str] | None = None,
              **changes: Any) -> DriftConfig:
    """Change the project's drift rules: any of ``numeric`` and ``categorical`` (a ColumnRule or a
    dict of its fields to change), ``alpha``, ``min_rows``, ``consecutive``, ``window_seconds``,
    ``features`` (name -> ColumnRule; replaces the per-feature rules). Checks everything before
    storing; writes the audit event in the same transaction. Raises PermissionDenied, InputError."""
    require(actor, Permission.CONFIGURE_MONITORING)
    current = drift_rules(workspace, project_id)
    unknown = set(changes) - {f.name for f in dataclasses.fields(DriftConfig)}
    if unknown:
        raise InputError(f"Unknown drift setting {sorted(unknown)[0]!r}.",
                         f"Use {', '.join(f.name for f in dataclasses.fields(DriftConfig))}.")
    for kind in ("numeric", "categorical"):
        if isinstance(changes.get(kind), Mapping):
            fields = dict(changes[kind])
            if "effect" in fields and "min_effect" not in fields:  # a new effect starts at its own default
                fields["min_effect"] = DEFAULT_MIN_EFFECT.get(fields["effect"], getattr(current, kind).min_effect)
            changes[kind] = dataclasses.replace(getattr(current, kind), **fields)
    updated = check(dataclasses.replace(current, **changes), kinds)
    if updated == current:
        return current
    before, after = current.to_dict(), updated.to_dict()
    with workspace.db.transaction() as cursor:
        drift_store.put_config(cursor, project_id, updated, actor.name)
        audit_log.append(cursor, actor=actor.name, action="monitor.drift_configured", entity=f"project:{project_id}",
                         details={"changed": {k: {"from": before[k], "to": after[k]} for k in after
                                              if before[k] != after[k]}})
    return updated


def describe_rules(config: DriftConfig) -> list[str]:
    """The rules in words, one line each (for the CLI and the page)."""
    def rule(r: ColumnRule) -> str:
        return f"{TEST_WORDS[r.test]}; effect {EFFECT_WORDS[r.effect]} of at least {r.min_effect:g}"
    lines = [f"Numeric features: {rule(config.numeric)}.", f"Categorical features: {rule(config.categorical)}.",
             f"Benjamini–Hochberg false discovery rate {config.alpha:g} across a window's features; "
             f"no drift called in a window under {config.min_rows:,} rows.",
             f"Drift confirmed after {config.consecutive} drifting {format_size(config.window_seconds)} windows "
             "in a row."]
    lines += [f"Feature {name}: {rule(r)}." for name, r in sorted(config.features.items())]
    return lines
