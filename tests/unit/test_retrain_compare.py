"""Offline champion against challenger on real registered runs: the verdict, its tests against their
libraries, labelled rows passed in, the version diff, and the CLI's compare / version-diff / abtest."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from lifecycle.develop import search
from lifecycle.errors import InputError
from lifecycle.models import registry
from lifecycle.retrain import compare, diff
from lifecycle.retrain.stats_tests import delong_test
from lifecycle.validate.held_out import held_out
from tests.unit.training_data import csv_bytes, frozen_split, make_project


@pytest.fixture
def two_versions(workspace, actors):
    analyst = actors["analyst"]
    project = make_project(workspace, analyst, "binary")
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary", rows=400))
    versions = []
    for algorithm, space in (("dummy", {}), ("linear", {})):
        result = search.run_search(workspace, analyst, project_id=project.id, dataset_id=dataset.id,
                                   split_id=split.id, algorithm=algorithm, method="none", cv_folds=2, space=space)
        versions.append(registry.register_run(workspace, analyst, result.best_run_id))
    return project, versions[0], versions[1]


def test_a_real_model_beats_the_dummy_on_the_same_held_out_rows(workspace, two_versions):
    project, dummy, linear = two_versions
    found = compare.compare_versions(workspace, dummy.id, linear.id, n_resamples=200)
    held = held_out(workspace, linear)
    assert found.metric == "roc_auc" and found.n == len(held.X) and found.deciding_test == "DeLong's test"
    reference = delong_test(held.y, registry.load_pipeline(workspace, dummy).predict_proba(held.X)[:, 1],
                            held.pipeline.decision_function(held.X))
    assert found.value_b == pytest.approx(roc_auc_score(held.y, held.pipeline.decision_function(held.X)))
    assert found.difference == pytest.approx(reference.difference) and found.p_value == pytest.approx(reference.p_value)
    assert found.verdict == compare.BETTER and found.interval[0] > 0
    assert found.sentence().startswith(f"v{linear.version} is better than v{dummy.version} on ROC AUC")
    reverse = compare.compare_versions(workspace, linear.id, dummy.id, n_resamples=200)
    assert reverse.verdict == compare.WORSE

    accuracy = compare.compare_versions(workspace, dummy.id, linear.id, metric="accuracy", n_resamples=200)
    assert accuracy.deciding_test == "McNemar's test" and accuracy.mcnemar is not None
    assert accuracy.difference == pytest.approx(accuracy.value_b - accuracy.value_a)
    loss = compare.compare_versions(workspace, dummy.id, linear.id, metric="log_loss", n_resamples=200)
    assert loss.mcnemar is None and loss.delong is None and loss.verdict == compare.BETTER  # lower is better
    assert loss.difference < 0 and loss.interval[1] < 0


def test_any_labelled_rows_can_be_compared_on_and_bad_requests_are_refused(workspace, two_versions):
    project, dummy, linear = two_versions
    held = held_out(workspace, linear)
    frame = held.X.assign(y=np.where(held.y == 1, "yes", "no"))
    rows = compare.labelled_rows(project, frame, source="labelled production rows")
    found = compare.compare_versions(workspace, dummy.id, linear.id, rows=rows, n_resamples=200)
    assert found.source == "labelled production rows" and found.n == len(frame)
    assert found.value_b == pytest.approx(compare.compare_versions(workspace, dummy.id, linear.id,
                                                                   n_resamples=200).value_b)
    with pytest.raises(InputError, match="same|Both sides"):
        compare.compare_versions(workspace, dummy.id, dummy.id)
    with pytest.raises(InputError, match="does not apply"):
        compare.compare_versions(workspace, dummy.id, linear.id, metric="rmse")
    with pytest.raises(InputError, match="no 'y' column"):
        compare.labelled_rows(project, held.X, source="x")


def test_the_bootstrap_interval_is_scipys_paired_bootstrap(workspace, two_versions):
    _, dummy, linear = two_versions
    found = compare.compare_versions(workspace, dummy.id, linear.id, metric="accuracy", n_resamples=300, seed=4)
    held = held_out(workspace, linear)
    right_a = registry.load_pipeline(workspace, dummy).predict(held.X) == held.y.to_numpy()
    right_b = held.pipeline.predict(held.X) == held.y.to_numpy()
    reference = stats.bootstrap((right_b.astype(float) - right_a,), np.mean, n_resamples=300, method="percentile",
                                rng=np.random.default_rng(4))
    assert (found.bootstrap.low, found.bootstrap.high) == pytest.approx(
        (reference.confidence_interval.low, reference.confidence_interval.high))


def test_version_diff_puts_what_is_on_record_side_by_side(workspace, actors, two_versions):
    from lifecycle.validate.stage import validate_version

    _, dummy, linear = two_versions
    validate_version(workspace, actors["analyst"], linear.id, n_bootstrap=50)
    found = diff.version_diff(workspace, dummy.id, linear.id)
    rows = {(r.section, r.aspect): r for r in found.rows}
    assert rows[("Data", "dataset version")].a == rows[("Data", "dataset version")].b
    assert rows[("Model", "algorithm")].a == "dummy" and rows[("Model", "algorithm")].b == "linear"
    assert rows[("Model", "algorithm")].differs and not rows[("Data", "rows")].differs
    roc = rows[("Metrics", "ROC AUC")]
    assert roc.a == diff.MISSING and roc.b.count("[") == 1  # only B was validated: value [low, high]
    assert [s for s in diff.SECTIONS if found.section(s)] [:3] == ["Data", "Model", "Metrics"]
    with pytest.raises(InputError):
        diff.version_diff(workspace, dummy.id, dummy.id)


def test_the_cli_prints_the_verdict_and_refuses_bad_input(workspace, actors, two_versions, capsys):
    from lifecycle.cli import main
    from lifecycle.store.db import close_database

    project, dummy, linear = two_versions
    path = workspace.path
    close_database(path)
    base = ["--workspace", str(path), "--user", "analyst"]
    assert main([*base, "--json", "compare", str(dummy.id), str(linear.id), "--resamples", "100"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["verdict"] == "better" and printed["low"] > 0 and printed["deciding_test"] == "DeLong's test"
    assert main([*base, "compare", str(dummy.id), str(dummy.id)]) == 2
    assert "error:" in capsys.readouterr().err
    assert main([*base, "version-diff", str(dummy.id), str(linear.id)]) == 0
    assert "* algorithm" in capsys.readouterr().out
    assert main([*base, "abtest", "status", "--project", project.name]) == 0
    assert "No A/B test" in capsys.readouterr().out
    # a champion not in production, a share outside (0, 1), identical versions: exit 2, one line
    for extra in (["--champion", str(dummy.id), "--challenger", str(linear.id), "--share", "0.2"],
                  ["--champion", str(dummy.id), "--challenger", str(linear.id), "--share", "1.5"],
                  ["--champion", str(dummy.id), "--challenger", str(dummy.id), "--share", "0.2"]):
        assert main([*base, "abtest", "start", "--project", project.name, *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error:")
    assert main([*base, "abtest", "conclude", "--project", project.name]) == 2
    assert "No A/B test is running" in capsys.readouterr().err


def test_the_rank_auc_of_the_bootstrap_is_scikit_learns_roc_auc():
    """The bootstrap's ROC AUC (the Mann-Whitney rank sum, ties as midranks) equals scikit-learn's on
    scores with many ties and on continuous scores, and is NaN with one class only."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    for score in (rng.integers(0, 6, 500).astype(float), rng.normal(size=500) + y):
        assert compare.rank_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert np.isnan(compare.rank_auc(np.ones(5), np.arange(5.0)))


def test_the_roc_auc_interval_is_scipys_paired_bootstrap_of_scikit_learns_auc(workspace, two_versions):
    _, dummy, linear = two_versions
    found = compare.compare_versions(workspace, dummy.id, linear.id, n_resamples=300, seed=2)
    held = held_out(workspace, linear)
    a = registry.load_pipeline(workspace, dummy).predict_proba(held.X)[:, 1]
    b = held.pipeline.decision_function(held.X)
    y = held.y.to_numpy()

    def difference(rows):
        if len(np.unique(y[rows])) < 2:
            return np.nan
        return roc_auc_score(y[rows], b[rows]) - roc_auc_score(y[rows], a[rows])

    rows = np.arange(len(y))
    reference = stats.bootstrap((rows, rows), lambda r, _: difference(r), paired=True, vectorized=False,
                                n_resamples=300, method="percentile", rng=np.random.default_rng(2))
    assert (found.bootstrap.low, found.bootstrap.high) == pytest.approx(
        (reference.confidence_interval.low, reference.confidence_interval.high))
