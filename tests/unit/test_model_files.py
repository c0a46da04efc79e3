"""Model files: a pickle, a joblib file (plain and compressed) and a skops file naming a dangerous type are
refused without running anything, by ``model import`` (lifecycle and CLI) and by the one loader of the
workspace's own artifacts (``artifacts.load_artifact``, used by the registry, the scoring service and
the bundle export). Each dangerous payload would create a marker file if it ran: the marker never exists.
A skops pipeline built from trusted types imports as a candidate that loads and predicts."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import joblib
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from lifecycle.cli import main
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.hashing import sha256_file
from lifecycle.models import imports, registry
from lifecycle.models.artifacts import ArtifactRefused, load_artifact
from lifecycle.records import ModelState
from tests.unit.training_data import csv_bytes, frozen_split


class Detonator:
    """Creates its marker file when unpickled or when skops restores its state."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)

    def __setstate__(self, state):
        Path(state["marker"]).touch()
        self.__dict__.update(state)


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "ran.marker"


def _skops_detonator(path: Path, marker: Path) -> Path:
    """A skops file holding a Detonator (skops keeps its state and calls __setstate__ on load)."""
    bomb = Detonator.__new__(Detonator)
    bomb.__dict__["marker"] = str(marker)
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(Detonator, "__reduce__")  # skops reads the state, not the reduce tuple
        sio.dump(bomb, path)
    return path


def _with_schema_type(source: Path, target: Path, module: str, name: str) -> Path:
    """``source`` with its top object's type rewritten in schema.json (a hand-crafted dangerous file)."""
    with zipfile.ZipFile(source) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    schema = json.loads(members["schema.json"])
    schema["__module__"], schema["__class__"] = module, name
    members["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return target


def dangerous_files(folder: Path, marker: Path) -> dict[str, tuple[Path, str]]:
    """Each hostile file and what its refusal must say."""
    bomb = Detonator(str(marker))
    files = {}
    for protocol in (0, 2, 5):
        path = folder / f"model-p{protocol}.pkl"
        path.write_bytes(pickle.dumps(bomb, protocol=protocol))
        files[f"pickle protocol {protocol}"] = (path, f"is a pickle file (pickle protocol {protocol})")
    disguised = folder / "model.skops"  # a pickle named like a skops file: sniffed by bytes, not by name
    disguised.write_bytes(pickle.dumps(bomb))
    files["pickle named .skops"] = (disguised, "model.skops is a pickle file")
    joblib.dump(bomb, folder / "plain.joblib")
    files["joblib"] = (folder / "plain.joblib", "is a pickle file")
    joblib.dump(bomb, folder / "zlib.joblib", compress=3)
    files["joblib zlib"] = (folder / "zlib.joblib", "is a joblib file (a zlib-compressed pickle")
    joblib.dump(bomb, folder / "gzip.joblib", compress=("gzip", 3))
    files["joblib gzip"] = (folder / "gzip.joblib", "is a joblib file (a gzip-compressed pickle")
    torch_like = folder / "model.pt"
    with zipfile.ZipFile(torch_like, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(bomb))
    files["zip holding a pickle"] = (torch_like, "holding the pickle archive/data.pkl")
    skops_bomb = _skops_detonator(folder / "detonator.skops", marker)
    files["skops, untrusted class"] = (skops_bomb, "test_model_files.Detonator")
    files["skops, os.system"] = (_with_schema_type(skops_bomb, folder / "system.skops", "os", "system"), "os.system")
    files["skops, builtins.eval"] = (_with_schema_type(skops_bomb, folder / "eval.skops", "builtins", "eval"),
                                     "builtins.eval")
    sio.dump({"run": os.system}, folder / "function.skops")
    files["skops, a function reference"] = (folder / "function.skops", "posix.system")
    (folder / "notes.txt").write_text("not a model")
    files["text"] = (folder / "notes.txt", "notes.txt is not a skops model file")
    return files


@pytest.fixture
def never_unpickle(monkeypatch):
    """Any call to an unpickler or a skops load fails the test."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a refused model file was loaded")

    for target, name in ((pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (joblib, "load"),
                         (sio, "load"), (sio, "loads")):
        monkeypatch.setattr(target, name, forbidden)


def test_the_payloads_are_real(tmp_path, marker):
    """Loaded naively, the pickle, the joblib file and the skops file each create the marker."""
    folder = tmp_path / "files"
    folder.mkdir()
    files = dangerous_files(folder, marker)
    for label in ("pickle protocol 2", "joblib zlib"):
        code = ("import pickle, joblib, sys; p = sys.argv[1]; "
                "joblib.load(p) if p.endswith('.joblib') else pickle.load(open(p, 'rb'))")
        subprocess.run([sys.executable, "-c", code, str(files[label][0])], check=True)
        assert marker.exists(), label
        marker.unlink()
    sio.load(files["skops, untrusted class"][0], trusted=[f"{__name__}.Detonator"])
    assert marker.exists()


def test_check_model_file_refuses_each_without_running_it(tmp_path, marker, never_unpickle):
    folder = tmp_path / "files"
    folder.mkdir()
    for label, (path, said) in dangerous_files(folder, marker).items():
        with pytest.raises(imports.ModelFileRefused) as caught:
            imports.check_model_file(path)
        assert said in caught.value.problem, (label, caught.value.problem)
        assert path.name in caught.value.problem
        assert "skops.io.dump" in caught.value.fix
        assert not marker.exists(), label


def test_the_workspace_loader_refuses_a_dangerous_skops_artifact(tmp_path, marker):
    """Even with a matching hash (a file swapped and its hash forged), the allow-list holds."""
    for path in (_skops_detonator(tmp_path / "a.skops", marker),
                 _with_schema_type(tmp_path / "a.skops", tmp_path / "b.skops", "builtins", "eval")):
        with pytest.raises(ArtifactRefused) as caught:
            load_artifact(path, sha256_file(path), "v1")
        assert "types Lifecycle does not trust" in caught.value.problem
        assert not marker.exists()


# -- importing into a project -----------------------------------------------------------------------
@pytest.fixture
def split_project(workspace, actors, project):
    frozen, split = frozen_split(workspace, actors["analyst"], project, csv_bytes("binary"))
    return frozen, split


def _pipeline(workspace, frozen, split):
    from lifecycle.develop import training

    data = training.training_frames(workspace, frozen.project_id, frozen.id, split.id)
    pipeline = training.build_pipeline(data.recipe, data.schema, "hist_gradient_boosting", "binary", {}, 0)
    return pipeline.fit(data.X_train, data.y_train), data


def _fingerprint(workspace):
    db = workspace.db
    files = sorted(str(p) for p in workspace.artifacts_dir.rglob("*") if p.is_file())
    return (db.value("SELECT count(*) FROM model_versions"), db.value("SELECT count(*) FROM runs"),
            db.value("SELECT count(*) FROM audit_log"), files)


def test_a_trusted_skops_pipeline_imports_as_a_candidate(workspace, actors, project, split_project, tmp_path):
    pipeline, data = _pipeline(workspace, *split_project)
    path = tmp_path / "partner-model.skops"
    sio.dump(pipeline, path)
    version = imports.import_model(workspace, actors["analyst"], project.id, path, name="partner model")
    assert version.state == ModelState.CANDIDATE
    assert [c.name for c in version.input_schema] == list(data.feature_columns)
    loaded = registry.load_pipeline(workspace, version)
    assert (loaded.predict(data.X_test) == pipeline.predict(data.X_test)).all()
    event = workspace.db.one("SELECT action, details FROM audit_log ORDER BY seq DESC LIMIT 1")
    details = json.loads(event["details"])
    assert event["action"] == "model.imported" and details["file"] == "partner-model.skops"
    assert details["file_sha256"] == sha256_file(path)
    run = workspace.db.one("SELECT algorithm, status FROM runs ORDER BY id DESC LIMIT 1")
    assert run == {"algorithm": "imported", "status": "imported"}


def test_an_import_refused_writes_nothing(workspace, actors, project, split_project, tmp_path, marker,
                                          never_unpickle):
    folder = tmp_path / "files"
    folder.mkdir()
    before = _fingerprint(workspace)
    for label, (path, said) in dangerous_files(folder, marker).items():
        with pytest.raises(imports.ModelFileRefused) as caught:
            imports.import_model(workspace, actors["analyst"], project.id, path)
        assert said in caught.value.problem, label
        assert _fingerprint(workspace) == before, label
    assert not marker.exists()


@pytest.mark.filterwarnings("ignore:X has feature names")
def test_a_model_that_cannot_score_the_project_is_refused(workspace, actors, project, split_project, tmp_path):
    import numpy as np

    path = tmp_path / "other.skops"
    sio.dump(LogisticRegression().fit(np.arange(10).reshape(5, 2), [0, 1, 0, 1, 0]), path)
    before = _fingerprint(workspace)
    with pytest.raises(InputError) as caught:
        imports.import_model(workspace, actors["analyst"], project.id, path)
    assert "cannot score the rows of" in caught.value.problem and "a, b, c" in caught.value.fix
    sio.dump({"not": "a model"}, tmp_path / "dict.skops")
    with pytest.raises(InputError, match="not a fitted model"):
        imports.import_model(workspace, actors["analyst"], project.id, tmp_path / "dict.skops")
    assert _fingerprint(workspace) == before


def test_importing_needs_the_train_permission(workspace, actors, project, split_project, tmp_path):
    pipeline, _ = _pipeline(workspace, *split_project)
    sio.dump(pipeline, tmp_path / "m.skops")
    with pytest.raises(PermissionDenied):
        imports.import_model(workspace, actors["stakeholder"], project.id, tmp_path / "m.skops")


def test_the_cli_imports_and_refuses(capsys, workspace, actors, project, split_project, tmp_path, marker):
    pipeline, _ = _pipeline(workspace, *split_project)
    good = tmp_path / "good.skops"
    sio.dump(pipeline, good)
    path = workspace.path
    bad = tmp_path / "model.pkl"
    bad.write_bytes(pickle.dumps(Detonator(str(marker))))
    base = ["--workspace", str(path), "--user", "analyst", "model", "import"]
    assert main([*base, str(bad), "--project", "Churn"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "model.pkl is a pickle file" in err and "skops.io.dump" in err
    assert not marker.exists()
    assert main([*base, str(good), "--project", "Churn", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "candidate"


def test_an_imported_model_is_not_rerun_nor_retrained_from_its_run(workspace, actors, project, split_project,
                                                                     tmp_path):
    """No training code came with the file: re-running its run, or a retrain repeating it, says so plainly."""
    from lifecycle.develop import training
    from types import SimpleNamespace

    from lifecycle.records import SearchChoice
    from lifecycle.retrain import retrain_plan
    from lifecycle.store import runs as run_store

    pipeline, _ = _pipeline(workspace, *split_project)
    sio.dump(pipeline, tmp_path / "partner.skops")
    version = imports.import_model(workspace, actors["analyst"], project.id, tmp_path / "partner.skops")
    run = run_store.get_run(workspace.db.cursor(), version.run_id)
    assert run.is_imported and not run.is_mitigation
    before = _fingerprint(workspace)
    with pytest.raises(InputError, match="imported from a file \\('partner.skops'\\).*cannot be re-run"):
        training.rerun(workspace, actors["analyst"], run.id)
    assert _fingerprint(workspace) == before
    for source in ("production_search", "production_params"):  # a custom search names its own algorithm
        policy = SimpleNamespace(search=SearchChoice(source=source))  # resolve_search reads only the search
        with pytest.raises(InputError, match="imported from a file") as refused:
            retrain_plan.resolve_search(workspace, policy, run)
        assert "custom search" in refused.value.fix
