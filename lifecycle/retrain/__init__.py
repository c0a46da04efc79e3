"""Stage 7 · Retrain: retraining by policy with lineage, champion against challenger offline and on
live traffic, and the version diff.

Modules: ``policies`` (when a project retrains, on which rows, with which search), ``window`` (the
rows a policy's window resolves to: the reference and labelled production rows), ``retrain_plan``
(what a retrain starts from: the production version, its run, split and search; its trigger), ``retraining``
(a retrain: new dataset version, the same search, a validated candidate, on record; background job
or foreground, cancellable), ``triggers`` (what is due: alerts once each, schedules; checked when
the app or the CLI runs), ``unseen`` (the test rows the production version never trained on),
``lineage`` (a retrain's chain, from its trigger to the comparison, in words), ``stats_tests``
(paired bootstrap by scipy, McNemar by statsmodels, fast DeLong), ``power`` (the sample-size
calculator, statsmodels), ``sequential`` (the always-valid mSPRT: p-value and confidence
sequence), ``compare`` (offline comparison on the same labelled rows and its verdict), ``shadow``
(production against the shadow on the same requests), ``outcomes`` (labelled outcomes from the
logs), ``abtest`` (start, conclude, roll back), ``verdict`` (where a test stands), ``traffic``
(simulated labelled traffic through a running test's split), ``diff`` (two versions side by side),
``status``.
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["abtest", "compare", "diff", "lineage", "outcomes", "policies", "power", "retrain_plan", "retraining",
                "sequential", "shadow", "stats_tests", "status", "traffic", "triggers", "unseen", "verdict",
                "window"],
    submod_attrs={
        "abtest": ["conclude_abtest", "plan_for", "rollback_abtest", "start_abtest"],
        "compare": ["Comparison", "LabelledRows", "compare_versions", "labelled_rows"],
        "diff": ["VersionDiff", "version_diff"],
        "lineage": ["LineageStep", "lineage"],
        "policies": ["create_policy", "data_window", "disable_policy", "enable_policy", "get_policy",
                     "list_policies", "search_choice", "update_policy"],
        "power": ["SamplePlan", "plan_means", "plan_proportions"],
        "retrain_plan": ["Plan", "Trigger", "plan", "production_version"],
        "retraining": ["cancel_retrain", "get_retrain", "retrains_for", "start_retrain"],
        "sequential": ["SequentialResult", "msprt"],
        "shadow": ["ShadowComparison", "shadow_comparison"],
        "stats_tests": ["delong_test", "mcnemar_test", "paired_bootstrap"],
        "traffic": ["SimulatedTraffic", "simulate_test_traffic"],
        "triggers": ["Due", "due_policies", "fire", "run_due"],
        "verdict": ["ABTestStatus", "abtest_status", "running_status", "tests_for"],
        "window": ["WindowRows", "window_rows"],
    },
)
