"""Each stage package's public face: every name resolves, each has a docstring, importing a face
costs nothing heavy, and code outside a package never reaches for its private names."""
from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FACES = ["lifecycle.problem", "lifecycle.data", "lifecycle.data.recipe", "lifecycle.develop", "lifecycle.models",
         "lifecycle.validate", "lifecycle.review", "lifecycle.deploy",
         "lifecycle.monitor", "lifecycle.retrain", "lifecycle.govern", "lifecycle.retire"]


@pytest.mark.parametrize("face", FACES)
def test_every_public_name_resolves_and_is_documented(face):
    package = importlib.import_module(face)
    assert (package.__doc__ or "").strip(), f"{face} says what the stage is"
    assert package.__all__, f"{face} names its public surface"
    for name in package.__all__:
        value = getattr(package, name)
        if inspect.ismodule(value):
            assert (value.__doc__ or "").strip(), f"{face}.{name} (module) has a docstring"
        elif inspect.isfunction(value) or inspect.isclass(value):
            doc = inspect.getdoc(value) or ""
            assert doc.strip() and not doc.startswith(f"{value.__name__}("), f"{face}.{name} has a docstring"


def test_importing_the_faces_loads_no_heavy_library():
    code = ("import sys, lifecycle.problem, lifecycle.data, lifecycle.develop, lifecycle.models, lifecycle.deploy, "
            "lifecycle.validate, lifecycle.review, lifecycle.retire\n"
            "print(sorted(m for m in ('sklearn', 'shap', 'fairlearn', 'skops') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _private_uses(path: Path) -> list[str]:
    """Underscore names that a file outside a stage package imports from it."""
    inside = path.relative_to(ROOT).parts[:2]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lifecycle."):
            parts = node.module.split(".")
            if tuple(["lifecycle", parts[1]]) == inside or parts[1] in ("store", "records", "cli", "charts"):
                continue
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    return found


def _code_files():
    return [p for d in ("lifecycle", "ui", "pages") for p in sorted((ROOT / d).rglob("*.py"))] + [ROOT / "app.py"]


@pytest.mark.parametrize("path", _code_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_is_used_across_packages(path):
    assert _private_uses(path) == []
