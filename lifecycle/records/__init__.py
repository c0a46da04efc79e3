"""The records of the spine: frozen, keyword-only dataclasses that the store builds and every stage reads.

``core`` holds users, projects, objectives, dataset versions, recipes, splits and audit events;
``runs`` the tracked runs and searches; ``models`` model versions, their states, stored
validations and evidence; ``alerts`` the Monitor stage's alerts, their deliveries and webhooks;
``performance`` its per-window counts and metrics; ``drift`` its drift rules, reference profiles
and drift statistics; ``retrain`` A/B tests, retraining policies and retrains; ``governance`` the sign-offs of stage 8; ``retire``
retirements, retention rules and clean-ups. Import any of them from here.
"""
from lifecycle.records.core import (RISK_TIERS, TASKS, AuditEvent, ColumnSchema, DatasetVersion, Lineage, Objective,
                                    ObjectiveSet, Project, RecipeVersion, Split, User)
from lifecycle.records.models import (DEPLOYMENT_ROLES, EVIDENCE_KINDS, Deployment, PROJECT_EVIDENCE_KINDS, STATES, Evidence, InputColumn, ModelState,
                                      ModelVersion, ProjectEvidence, StoredValidation)
from lifecycle.records.drift import (ColumnRule, DriftConfig, DriftStatistics, ReferenceColumn,
                                     ReferenceProfile)
from lifecycle.records.governance import (APPROVING_DECISIONS, DECISIONS, JUDGEMENTS, ItemJudgement,
                                          SignOff)
from lifecycle.records.runs import RUN_STATUSES, SEARCH_METHODS, SEARCH_STATUSES, Leaderboard, Run, Search
from lifecycle.records.alerts import ALERT_KINDS, ALERT_STATES, DELIVERY_STATES, Alert, AlertDelivery, Webhook
from lifecycle.records.performance import SOURCES, WindowCounts, WindowMetric
from lifecycle.records.retrain import ABTEST_DECISIONS, ABTEST_STATUSES, ABTest
from lifecycle.records.retrain import (POLICY_TRIGGERS, RETRAIN_STATES, SEARCH_SOURCES, WINDOW_KINDS, DataWindow,
                                      Retrain, RetrainPolicy, SearchChoice)
from lifecycle.records.retire import CLEANUP_KINDS, Cleanup, CleanupItem, RetentionRule, Retirement

__all__ = ["RISK_TIERS", "TASKS", "AuditEvent", "ColumnSchema", "DatasetVersion", "Lineage", "Objective",
           "ObjectiveSet", "Project", "RecipeVersion", "Split", "User",
           "DEPLOYMENT_ROLES", "Deployment", "EVIDENCE_KINDS", "PROJECT_EVIDENCE_KINDS", "STATES", "Evidence", "InputColumn", "ModelState", "ModelVersion",
           "ProjectEvidence", "StoredValidation",
           "RUN_STATUSES", "SEARCH_METHODS", "SEARCH_STATUSES", "Leaderboard", "Run", "Search",
           "ALERT_KINDS", "ALERT_STATES", "DELIVERY_STATES", "Alert", "AlertDelivery", "Webhook",
           "SOURCES", "WindowCounts", "WindowMetric",
           "ABTEST_DECISIONS", "ABTEST_STATUSES", "ABTest",
           "POLICY_TRIGGERS", "RETRAIN_STATES", "SEARCH_SOURCES", "WINDOW_KINDS", "DataWindow", "Retrain",
           "RetrainPolicy", "SearchChoice",
           "APPROVING_DECISIONS", "DECISIONS", "JUDGEMENTS", "ItemJudgement", "SignOff",
           "ColumnRule", "DriftConfig", "DriftStatistics", "ReferenceColumn", "ReferenceProfile",
           "CLEANUP_KINDS", "Cleanup", "CleanupItem", "RetentionRule", "Retirement"]
