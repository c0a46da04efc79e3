"""The Develop page's model upload: a pickle is refused in the page without running (its payload would
create a marker file), a skops pipeline becomes a candidate version."""
from __future__ import annotations

import html
import pickle

import skops.io as sio

from lifecycle import auth
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.workspace import open_workspace
from tests.app.conftest import no_exceptions, signed_in
from tests.unit.test_model_files import Detonator
from tests.unit.training_data import csv_bytes, frozen_split


def _upload(app, name: str, data: bytes):
    app.file_uploader(key="model_import_file").upload(name, data, "application/octet-stream").run()
    next(b for b in app.button if b.key == "model_import_go").click().run()
    no_exceptions(app)
    return app


def test_the_develop_page_refuses_a_pickle_and_imports_a_skops_model(empty_app, tmp_path):
    workspace = open_workspace(empty_app)
    admin = auth.get_user(workspace, "admin")
    project = projects.create_project(workspace, admin, name="Churn", task="binary", target="y",
                                      positive_class="yes")
    frozen, split = frozen_split(workspace, admin, project, csv_bytes("binary"))
    marker = tmp_path / "ran.marker"
    app = signed_in("admin")
    app.switch_page("pages/develop.py").run()
    _upload(app, "model.pkl", pickle.dumps(Detonator(str(marker))))
    errors = [html.unescape(e.value) for e in app.error]
    assert any("model.pkl is a pickle file" in e and "skops.io.dump" in e for e in errors), errors
    assert not marker.exists()
    assert registry.list_versions(workspace, project.id) == []

    from lifecycle.develop import training
    data = training.training_frames(workspace, project.id, frozen.id, split.id)
    pipeline = training.build_pipeline(data.recipe, data.schema, "linear", "binary", {}, 0).fit(data.X_train,
                                                                                              data.y_train)
    sio.dump(pipeline, tmp_path / "partner.skops")
    _upload(app, "partner.skops", (tmp_path / "partner.skops").read_bytes())
    [version] = registry.list_versions(workspace, project.id)
    assert version.state == "candidate"
