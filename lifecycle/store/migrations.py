"""Numbered schema migrations. Opening an older workspace applies the missing ones.

Append new migrations at the end; never edit one that has shipped.
"""
from __future__ import annotations

import duckdb

from lifecycle.clock import utc_now

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "users, projects, objectives, datasets, recipes, splits, audit log",
        [
            """CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
            """CREATE TABLE users (
                name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, password_hash VARCHAR,
                created_at TIMESTAMP NOT NULL, active BOOLEAN NOT NULL DEFAULT TRUE)""",
            """CREATE SEQUENCE project_ids START 1""",
            """CREATE TABLE projects (
                id INTEGER PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, statement VARCHAR NOT NULL,
                task VARCHAR NOT NULL, target VARCHAR NOT NULL, positive_class VARCHAR,
                sensitive VARCHAR NOT NULL, owner VARCHAR NOT NULL, risk_tier VARCHAR NOT NULL,
                intended_use VARCHAR NOT NULL, out_of_scope VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE objectives (
                project_id INTEGER NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL,
                metric VARCHAR NOT NULL, comparator VARCHAR NOT NULL, threshold DOUBLE NOT NULL,
                blocking BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL, PRIMARY KEY (project_id, version, position))""",
            """CREATE SEQUENCE dataset_ids START 1""",
            """CREATE TABLE dataset_versions (
                id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name VARCHAR NOT NULL,
                version INTEGER NOT NULL, rows BIGINT NOT NULL, columns VARCHAR NOT NULL,
                content_hash VARCHAR NOT NULL, lineage VARCHAR NOT NULL,
                auxiliary BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL, UNIQUE (project_id, name, version))""",
            """CREATE SEQUENCE recipe_ids START 1""",
            """CREATE TABLE recipes (
                id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name VARCHAR NOT NULL,
                version INTEGER NOT NULL, spec VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL, UNIQUE (project_id, name, version))""",
            """CREATE SEQUENCE split_ids START 1""",
            """CREATE TABLE splits (
                id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL, method VARCHAR NOT NULL,
                seed INTEGER NOT NULL, test_size DOUBLE NOT NULL, validation_size DOUBLE NOT NULL,
                column_name VARCHAR, counts VARCHAR NOT NULL, assignment_hash VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL)""",
            """CREATE TABLE profiles (
                dataset_id INTEGER PRIMARY KEY, report VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE audit_log (
                seq BIGINT PRIMARY KEY, "at" VARCHAR NOT NULL, actor VARCHAR NOT NULL,
                action VARCHAR NOT NULL, entity VARCHAR NOT NULL, details VARCHAR NOT NULL,
                prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL)""",
        ],
    ),
]

MIGRATIONS.append((
    2,
    "hyperparameter searches, runs and step-wise run metrics",
    [
        """CREATE SEQUENCE search_ids START 1""",
        """CREATE TABLE searches (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, dataset_id INTEGER NOT NULL,
            split_id INTEGER NOT NULL, recipe_id INTEGER NOT NULL, algorithm VARCHAR NOT NULL,
            method VARCHAR NOT NULL, trials_requested INTEGER NOT NULL, cv_folds INTEGER NOT NULL,
            seed BIGINT NOT NULL, status VARCHAR NOT NULL, space VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL, finished_at TIMESTAMP,
            message VARCHAR NOT NULL DEFAULT '')""",
        """CREATE SEQUENCE run_ids START 1""",
        # Runs are written once and never updated. No index but the key, so inserts stay cheap;
        # scanning tens of thousands of runs takes milliseconds.
        """CREATE TABLE runs (
            id BIGINT PRIMARY KEY, search_id INTEGER, project_id INTEGER NOT NULL,
            dataset_id INTEGER NOT NULL, split_id INTEGER NOT NULL, recipe_id INTEGER NOT NULL,
            algorithm VARCHAR NOT NULL, params VARCHAR NOT NULL, seed BIGINT NOT NULL,
            cv_folds INTEGER NOT NULL, n_samples BIGINT NOT NULL, halving_round INTEGER,
            status VARCHAR NOT NULL, error VARCHAR, cv_metrics VARCHAR NOT NULL,
            primary_metric VARCHAR NOT NULL, primary_score DOUBLE, fit_seconds DOUBLE,
            score_seconds DOUBLE, library_versions VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL, rerun_of BIGINT)""",
        """CREATE TABLE run_metrics (
            run_id BIGINT NOT NULL, "key" VARCHAR NOT NULL, "value" DOUBLE NOT NULL,
            step BIGINT NOT NULL, recorded_at TIMESTAMP NOT NULL)""",
        """CREATE INDEX run_metrics_run ON run_metrics (run_id)""",
    ],
))

MIGRATIONS.append((
    3,
    "model versions and validation reports",
    [
        """CREATE SEQUENCE model_version_ids START 1""",
        """CREATE TABLE model_versions (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, run_id INTEGER NOT NULL,
            version INTEGER NOT NULL, state VARCHAR NOT NULL, artifact_hash VARCHAR NOT NULL,
            input_schema VARCHAR NOT NULL, trained_by VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL,
            state_changed_at TIMESTAMP NOT NULL, UNIQUE (project_id, version))""",
        """CREATE SEQUENCE validation_report_ids START 1""",
        """CREATE TABLE validation_reports (
            id INTEGER PRIMARY KEY, model_version_id INTEGER NOT NULL,
            objectives_version INTEGER, passed BOOLEAN NOT NULL, report VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL)""",
    ],
))

MIGRATIONS.append((
    4,
    "runs keep filterable columns; the rest of the record in one JSON column",
    [
        # DuckDB's cost to commit a one-row insert grows with the column count (23 columns:
        # 3.4 ms, 15: about 2 ms), and every trial and rerun is one such insert. Columns stay
        # for what SQL filters and sorts on; the rest is read back only for returned rows.
        """CREATE TABLE runs_v4 (
            id BIGINT PRIMARY KEY, search_id INTEGER, project_id INTEGER NOT NULL,
            dataset_id INTEGER NOT NULL, split_id INTEGER NOT NULL, recipe_id INTEGER NOT NULL,
            algorithm VARCHAR NOT NULL, status VARCHAR NOT NULL, primary_metric VARCHAR NOT NULL,
            primary_score DOUBLE, params VARCHAR NOT NULL, cv_metrics VARCHAR NOT NULL,
            details VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL)""",
        """INSERT INTO runs_v4 SELECT id, search_id, project_id, dataset_id, split_id, recipe_id,
            algorithm, status, primary_metric, primary_score, params, cv_metrics,
            CAST(json_object('seed', seed, 'cv_folds', cv_folds, 'n_samples', n_samples,
                             'halving_round', halving_round, 'error', error,
                             'fit_seconds', fit_seconds, 'score_seconds', score_seconds,
                             'library_versions', json(library_versions), 'rerun_of', rerun_of)
                 AS VARCHAR),
            created_at, created_by FROM runs""",
        """DROP TABLE runs""",
        """ALTER TABLE runs_v4 RENAME TO runs""",
    ],
))

MIGRATIONS.append((
    5,
    "evidence of a model version: explanations, fairness reviews, mitigation trade-offs",
    [
        """CREATE SEQUENCE evidence_ids START 1""",
        # Evidence is computed once per (version, kind, cache key) and never updated; it is
        # JSON in the workspace, not tied to the model file, so it stays readable after the
        # version is retired and its artifact removed.
        """CREATE TABLE evidence (
            id INTEGER PRIMARY KEY, model_version_id INTEGER NOT NULL, kind VARCHAR NOT NULL,
            cache_key VARCHAR NOT NULL, summary VARCHAR NOT NULL, payload VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL,
            UNIQUE (model_version_id, kind, cache_key))""",
    ],
))

MIGRATIONS.append((
    6,
    "evidence of a project: feasibility checks of stage 1",
    [
        """CREATE SEQUENCE project_evidence_ids START 1""",
        # Like model evidence: computed once per (project, kind, cache key), never updated.
        """CREATE TABLE project_evidence (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, kind VARCHAR NOT NULL,
            cache_key VARCHAR NOT NULL, summary VARCHAR NOT NULL, payload VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL,
            UNIQUE (project_id, kind, cache_key))""",
    ],
))

MIGRATIONS.append((
    7,
    "deployments of model versions (production, shadow) and the approval production needs",
    [
        """CREATE SEQUENCE deployment_ids START 1""",
        # A row per period a version serves (or shadows) a project; ended rows are the history a
        # rollback reads. Never deleted.
        """CREATE TABLE deployments (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, model_version_id INTEGER NOT NULL,
            role VARCHAR NOT NULL, share DOUBLE NOT NULL, started_at TIMESTAMP NOT NULL,
            started_by VARCHAR NOT NULL, reason VARCHAR NOT NULL, ended_at TIMESTAMP, ended_by VARCHAR,
            end_reason VARCHAR)""",
        """ALTER TABLE model_versions ADD COLUMN approved_by VARCHAR""",
        """ALTER TABLE model_versions ADD COLUMN approved_at TIMESTAMP""",
        # Versions approved before this migration: their approval is on the audit trail.
        """UPDATE model_versions SET approved_by = (
               SELECT a.actor FROM audit_log a WHERE a.entity = 'model:' || model_versions.id
               AND a.action = 'model.approved' ORDER BY a.seq DESC LIMIT 1),
           approved_at = (
               SELECT CAST(substr(a."at", 1, 26) AS TIMESTAMP) FROM audit_log a WHERE a.entity = 'model:' || model_versions.id
               AND a.action = 'model.approved' ORDER BY a.seq DESC LIMIT 1)""",
    ],
))

MIGRATIONS.append((
    8,
    "users keep their last sign-in and last project; projects can be archived",
    [
        """ALTER TABLE users ADD COLUMN last_sign_in TIMESTAMP""",
        """ALTER TABLE users ADD COLUMN last_project_id INTEGER""",
        """ALTER TABLE projects ADD COLUMN archived_at TIMESTAMP""",
    ],
))

MIGRATIONS.append((
    9,
    "drift monitoring: reference profiles of model versions, drift statistics per window, drift rules",
    [
        """CREATE SEQUENCE monitor_reference_ids START 1""",
        # One reference per model version, built once (its dataset version and split never change).
        """CREATE TABLE monitor_references (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, model_version_id INTEGER NOT NULL UNIQUE,
            dataset_id INTEGER, split_id INTEGER, rows BIGINT NOT NULL, prediction_rows BIGINT NOT NULL,
            columns VARCHAR NOT NULL, labels VARCHAR NOT NULL, positive_class VARCHAR,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL)""",
        # The reference's distributions, compressed: each distinct value (number or category) and its count.
        """CREATE TABLE monitor_reference_values (
            reference_id INTEGER NOT NULL, source VARCHAR NOT NULL, feature VARCHAR NOT NULL,
            number DOUBLE, category VARCHAR, count BIGINT NOT NULL)""",
        # Statistics per (version, window size, window, feature); a window is recomputed only when
        # its row count in the log changed (the open window, late segments, a clock set back).
        """CREATE TABLE monitor_drift (
            project_id INTEGER NOT NULL, model_version_id INTEGER NOT NULL, size_seconds INTEGER NOT NULL,
            window_start TIMESTAMP NOT NULL, source VARCHAR NOT NULL, feature VARCHAR NOT NULL,
            kind VARCHAR NOT NULL, status VARCHAR NOT NULL, window_rows BIGINT NOT NULL, n_current BIGINT NOT NULL,
            n_missing BIGINT NOT NULL, n_reference BIGINT NOT NULL, mean_current DOUBLE, ks DOUBLE, ks_p DOUBLE,
            ks_bound DOUBLE, wasserstein DOUBLE, wasserstein_norm DOUBLE, wasserstein_bound DOUBLE, psi DOUBLE,
            chi2 DOUBLE, chi2_p DOUBLE, chi2_dof INTEGER, jensen_shannon DOUBLE, unseen BIGINT,
            exact BOOLEAN NOT NULL, histogram VARCHAR NOT NULL, computed_at TIMESTAMP NOT NULL,
            PRIMARY KEY (project_id, model_version_id, size_seconds, window_start, source, feature))""",
        """CREATE TABLE monitor_drift_config (
            project_id INTEGER PRIMARY KEY, config VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL,
            updated_by VARCHAR NOT NULL)""",
    ],
))

MIGRATIONS.append((
    10,
    "monitoring: performance per window (realized and estimated), alerts, their deliveries, webhooks",
    [
        # One row per (project, version, window size, window): the counts the stored metrics were
        # computed from, so a refresh recomputes only the windows whose counts changed.
        """CREATE TABLE monitor_windows (
            project_id INTEGER NOT NULL, model_version_id INTEGER NOT NULL, size_seconds INTEGER NOT NULL,
            window_start TIMESTAMP NOT NULL, predictions BIGINT NOT NULL, labelled BIGINT NOT NULL,
            label_counts VARCHAR NOT NULL, signature VARCHAR NOT NULL, computed_at TIMESTAMP NOT NULL,
            PRIMARY KEY (project_id, model_version_id, size_seconds, window_start))""",
        """CREATE TABLE monitor_performance (
            project_id INTEGER NOT NULL, model_version_id INTEGER NOT NULL, size_seconds INTEGER NOT NULL,
            window_start TIMESTAMP NOT NULL, metric VARCHAR NOT NULL, source VARCHAR NOT NULL,
            value DOUBLE, low DOUBLE, high DOUBLE, n BIGINT NOT NULL, note VARCHAR NOT NULL,
            details VARCHAR,
            PRIMARY KEY (project_id, model_version_id, size_seconds, window_start, metric, source))""",
        """CREATE SEQUENCE alert_ids START 1""",
        # An alert is raised once per (project, key); its state only moves forward.
        """CREATE TABLE alerts (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, model_version_id INTEGER, kind VARCHAR NOT NULL,
            "key" VARCHAR NOT NULL, title VARCHAR NOT NULL, evidence VARCHAR NOT NULL, state VARCHAR NOT NULL,
            opened_at TIMESTAMP NOT NULL, opened_by VARCHAR NOT NULL,
            acknowledged_at TIMESTAMP, acknowledged_by VARCHAR, acknowledged_comment VARCHAR,
            resolved_at TIMESTAMP, resolved_by VARCHAR, resolved_comment VARCHAR,
            delivery VARCHAR NOT NULL, next_delivery_at TIMESTAMP,
            UNIQUE (project_id, "key"))""",
        # Every attempt to post an alert to its webhook, never deleted.
        """CREATE TABLE alert_deliveries (
            alert_id INTEGER NOT NULL, attempt INTEGER NOT NULL, "at" TIMESTAMP NOT NULL,
            url_host VARCHAR NOT NULL, status INTEGER, error VARCHAR NOT NULL,
            PRIMARY KEY (alert_id, attempt))""",
        """CREATE TABLE alert_webhooks (
            project_id INTEGER PRIMARY KEY, url VARCHAR NOT NULL, set_by VARCHAR NOT NULL,
            set_at TIMESTAMP NOT NULL)""",
    ],
))

MIGRATIONS.append((
    11,
    "sign-offs of model versions (stage 8) and the workspace's own id, which audit anchors name",
    [
        """CREATE SEQUENCE signoff_ids START 1""",
        # One row per reviewer and version, never updated or deleted: each is also an audit event
        # (audit_seq) on the hash-chained trail.
        """CREATE TABLE signoffs (
            id INTEGER PRIMARY KEY, model_version_id INTEGER NOT NULL, project_id INTEGER NOT NULL,
            signer VARCHAR NOT NULL, role VARCHAR NOT NULL, decision VARCHAR NOT NULL, comment VARCHAR NOT NULL,
            items VARCHAR NOT NULL, risk_tier VARCHAR NOT NULL, checklist_hash VARCHAR NOT NULL,
            audit_seq BIGINT NOT NULL, signed_at TIMESTAMP NOT NULL,
            UNIQUE (model_version_id, signer))""",
        # A random id, made once: an anchor signed for one workspace is refused by another (a copy
        # of the file keeps its id, as it keeps its trail).
        """INSERT INTO settings SELECT 'workspace_id', CAST(uuid() AS VARCHAR)
           WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = 'workspace_id')""",
    ],
))

MIGRATIONS.append((
    12,
    "retirements with their archives, retention rules, clean-ups and what they deleted",
    [
        # One row per retired model version (retirement is terminal): why, what replaced it, and the
        # archive bundle's place and digest (SHA-256 of its checksum manifest). Never updated.
        """CREATE TABLE retirements (
            model_version_id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, version INTEGER NOT NULL,
            reason VARCHAR NOT NULL, previous_state VARCHAR NOT NULL, replacement_id INTEGER,
            no_replacement_confirmed BOOLEAN NOT NULL, archive_path VARCHAR NOT NULL,
            archive_sha256 VARCHAR NOT NULL, archive_files INTEGER NOT NULL, archive_bytes BIGINT NOT NULL,
            retired_at TIMESTAMP NOT NULL, retired_by VARCHAR NOT NULL)""",
        """CREATE TABLE retention_rules (
            project_id INTEGER PRIMARY KEY, log_days INTEGER, datasets BOOLEAN NOT NULL,
            updated_at TIMESTAMP NOT NULL, updated_by VARCHAR NOT NULL)""",
        """CREATE SEQUENCE cleanup_ids START 1""",
        """CREATE TABLE cleanups (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, log_days INTEGER, cutoff TIMESTAMP,
            datasets BOOLEAN NOT NULL, digest VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL)""",
        # What a clean-up deleted, each with the SHA-256 of the bytes it removed.
        """CREATE TABLE cleanup_items (
            cleanup_id INTEGER NOT NULL, position INTEGER NOT NULL, kind VARCHAR NOT NULL, name VARCHAR NOT NULL,
            dataset_id INTEGER, rows BIGINT NOT NULL, bytes BIGINT NOT NULL, sha256 VARCHAR NOT NULL,
            newest TIMESTAMP, PRIMARY KEY (cleanup_id, position))""",
        # A dataset version whose rows retention deleted keeps its record (metadata, content hash).
        """ALTER TABLE dataset_versions ADD COLUMN deleted_at TIMESTAMP""",
    ],
))

MIGRATIONS.append((
    13,
    "A/B tests between a champion and a challenger (the Retrain stage)",
    [
        """CREATE SEQUENCE abtest_ids START 1""",
        # One row per test; the traffic split itself is a 'challenger' deployment beside production's.
        # Never deleted: a concluded or rolled-back test keeps its plan, verdict and who decided.
        """CREATE TABLE abtests (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, champion_id INTEGER NOT NULL,
            challenger_id INTEGER NOT NULL, share DOUBLE NOT NULL, outcome VARCHAR NOT NULL,
            plan VARCHAR NOT NULL, status VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL,
            started_by VARCHAR NOT NULL, reason VARCHAR NOT NULL, ended_at TIMESTAMP, ended_by VARCHAR,
            decision VARCHAR, end_reason VARCHAR, result VARCHAR)""",
    ],
))

MIGRATIONS.append((
    15,
    "retraining policies and retrains, with the lineage back to what triggered them (the Retrain stage)",
    [
        """CREATE SEQUENCE retrain_policy_ids START 1""",
        # A policy says when to retrain (manual, on an alert, every N days), on which rows (data_window,
        # JSON) and with which search (JSON). Never deleted: disabled instead, so every retrain keeps its policy.
        """CREATE TABLE retrain_policies (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name VARCHAR NOT NULL,
            trigger_kind VARCHAR NOT NULL, alert_kinds VARCHAR NOT NULL, every_days DOUBLE,
            data_window VARCHAR NOT NULL, search VARCHAR NOT NULL, enabled BOOLEAN NOT NULL,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL,
            updated_by VARCHAR NOT NULL, UNIQUE (project_id, name))""",
        """CREATE SEQUENCE retrain_ids START 1""",
        # One row per retrain: what caused it, what it resolved (window, search), each thing it made
        # (dataset version, split, search, model version, validation) and how it ended. A policy fires
        # once per alert: (policy_id, alert_id) is unique.
        """CREATE TABLE retrains (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, policy_id INTEGER NOT NULL,
            trigger_kind VARCHAR NOT NULL, alert_id INTEGER, scheduled_for TIMESTAMP,
            requested_by VARCHAR NOT NULL, acting_as VARCHAR NOT NULL, champion_id INTEGER,
            data_window VARCHAR NOT NULL, search VARCHAR NOT NULL, state VARCHAR NOT NULL, step VARCHAR NOT NULL,
            raw_dataset_id INTEGER, dataset_id INTEGER, split_id INTEGER, search_id INTEGER,
            baseline_search_id INTEGER, model_version_id INTEGER, validation_id INTEGER, validation_passed BOOLEAN, comparison VARCHAR,
            counts VARCHAR NOT NULL, notes VARCHAR NOT NULL, message VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, UNIQUE (policy_id, alert_id))""",
    ],
))

LATEST = max(number for number, _, _ in MIGRATIONS)


def current_version(cursor: duckdb.DuckDBPyConnection) -> int:
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    return cursor.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(cursor: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration the file lacks, in number order; return the ones applied.

    Missing numbers below the file's latest are applied too: migrations written side by side
    may land in either order, and a file that got 3 before 2 existed still needs 2.
    """
    applied = []
    current_version(cursor)  # creates the bookkeeping table on a fresh file
    done = {row[0] for row in cursor.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, description, statements in sorted(MIGRATIONS):
        if version in done:
            continue
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, ?)",
            [version, description, utc_now()],
        )
        applied.append(version)
    return applied
