"""Downloads a user expects: the validation report as self-contained HTML, a dataset version as Parquet."""
from __future__ import annotations

import io

import pyarrow.parquet as pq

from lifecycle.charts.report_html import report_html
from lifecycle.data import datasets
from lifecycle.problem import projects
from lifecycle.validate import stage as validate_stage
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in


def test_the_validation_report_is_one_self_contained_html_file(demo_app):
    workspace = open_workspace(demo_app)
    stored, report = validate_stage.latest_report(workspace, 1)
    page = report_html(report, project="Income over 50K", model="v1", created_at=stored.created_at,
                       created_by=stored.created_by)
    assert page.startswith("<!DOCTYPE html>") and "Validation report: Income over 50K, model v1" in page
    assert "roc_auc &gt;= 0.88" in page and "✓ pass" in page
    assert page.count("class='chart'") >= 6  # metrics, confusion, ROC, PR, calibration, threshold, …
    assert page.count("Plotly.newPlot") >= 6
    assert "<script src" not in page and 'src="http' not in page  # plotly.js inline: opens offline
    assert len(page) > 1_000_000  # the plotly.js bundle itself


def test_a_dataset_version_downloads_as_parquet_with_its_rows(demo_app):
    workspace = open_workspace(demo_app)
    income = projects.find_project(workspace, "Income over 50K")
    frozen = datasets.list_datasets(workspace, income.id)[-1]
    table = pq.read_table(io.BytesIO(datasets.parquet_bytes(workspace, frozen)))
    assert table.equals(datasets.load_table(workspace, frozen))


def test_the_pages_offer_the_downloads(demo_app):
    app = signed_in("sam")  # reading is enough to download
    app.switch_page("pages/validate.py").run()
    no_exceptions(app)
    assert [b for b in app.get("download_button") if "report (HTML)" in b.proto.label]
    app.switch_page("pages/data.py").run()
    no_exceptions(app)
    assert [b for b in app.get("download_button") if "Parquet" in b.proto.label]
