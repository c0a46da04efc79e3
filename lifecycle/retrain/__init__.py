"""Stage 7 · Retrain: champion against challenger, offline and on live traffic, and the version diff.

Modules: ``stats_tests`` (paired bootstrap by scipy, McNemar by statsmodels, fast DeLong),
``power`` (the sample-size calculator, statsmodels), ``sequential`` (the always-valid mSPRT:
p-value and confidence sequence), ``compare`` (offline comparison on the same labelled rows and its
verdict), ``shadow`` (production against the shadow on the same requests), ``outcomes`` (labelled
outcomes from the logs), ``abtest`` (start, conclude, roll back), ``verdict`` (where a test stands),
``diff`` (two versions side by side), ``status``. Retrain policies arrive in a later slice.
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["abtest", "compare", "diff", "outcomes", "power", "sequential", "shadow", "stats_tests", "status",
                "verdict"],
    submod_attrs={
        "abtest": ["conclude_abtest", "plan_for", "rollback_abtest", "start_abtest"],
        "compare": ["Comparison", "LabelledRows", "compare_versions", "labelled_rows"],
        "diff": ["VersionDiff", "version_diff"],
        "power": ["SamplePlan", "plan_means", "plan_proportions"],
        "sequential": ["SequentialResult", "msprt"],
        "shadow": ["ShadowComparison", "shadow_comparison"],
        "stats_tests": ["delong_test", "mcnemar_test", "paired_bootstrap"],
        "verdict": ["ABTestStatus", "abtest_status", "running_status", "tests_for"],
    },
)
