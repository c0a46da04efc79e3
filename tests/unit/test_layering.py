"""The house keeps its shape: arrows only point down (see the README's layout).

- ``lifecycle/`` never imports streamlit; only ``lifecycle/store/`` imports duckdb;
- the ground floor and the store import no stage package;
- a stage package imports only earlier stages (and the ground floor);
- ``pages/``, ``ui/`` and ``app.py`` never import the store.

Function-level (lazy) imports count too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Stage packages in lifecycle order; each may import only those before it.
STAGE_ORDER = ("problem", "data", "develop", "models", "validate", "review",
               "deploy", "monitor", "retrain", "govern", "retire")
# The top floor lines the stages up (strip, portfolio, demo, CLI, charts) and may import any of them.
TOP_FLOOR = {"stages", "portfolio", "demo", "__main__", "cli", "charts"}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, as dotted names (``from a import b`` gives ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _where(path: Path) -> str:
    """The part of the house a lifecycle file lives in: a stage, 'store', 'records', the top floor or 'ground'."""
    part = path.relative_to(ROOT / "lifecycle").parts[0].removesuffix(".py")
    if part in STAGE_ORDER or part in ("store", "records"):
        return part
    return "top" if part in TOP_FLOOR else "ground"


def _stages_imported(imports: set[str]) -> set[str]:
    return {name.split(".")[1] for name in imports
            if name.startswith("lifecycle.") and name.split(".")[1] in STAGE_ORDER}


def test_the_stage_order_matches_the_packages_on_disk():
    packages = {p.name for p in (ROOT / "lifecycle").iterdir() if (p / "__init__.py").exists()}
    assert packages - {"cli", "charts", "store", "records", "access"} <= set(STAGE_ORDER)


@pytest.mark.parametrize("path", _files("lifecycle"), ids=lambda p: str(p.relative_to(ROOT)))
def test_lifecycle_module_respects_the_layers(path):
    imports = _imports(path)
    assert not any(name.split(".")[0] == "streamlit" for name in imports), "lifecycle/ never imports streamlit"
    where = _where(path)
    if where != "store":
        assert not any(name.split(".")[0] == "duckdb" for name in imports), "only lifecycle/store/ speaks SQL"
    used = _stages_imported(imports)
    if where in ("ground", "store", "records"):
        assert used == set(), f"the {where} layer imports stage packages {sorted(used)}"
    elif where in STAGE_ORDER:
        later = {s for s in used if STAGE_ORDER.index(s) > STAGE_ORDER.index(where)}
        assert later == set(), f"stage {where} imports later stage(s) {sorted(later)}"
    if where in ("store", "records"):
        upward = {n for n in imports if n.startswith("lifecycle.")
                  and n.split(".")[1] not in ("store", "records", "errors", "hashing", "clock")}
        assert upward == set(), f"the {where} layer imports above the ground floor: {sorted(upward)}"


@pytest.mark.parametrize("path", [ROOT / "app.py", *_files("pages"), *_files("ui")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_and_ui_never_touch_the_store(path):
    imports = _imports(path)
    assert not any(n == "lifecycle.store" or n.startswith("lifecycle.store.") for n in imports)
    assert not any(n.split(".")[0] == "duckdb" for n in imports)


@pytest.mark.parametrize("path", [ROOT / "app.py", *_files("pages"), *_files("ui")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_only_ui_state_touches_the_session(path):
    """Every session key is declared in ui/state.py, scoped to its project (see its docstring)."""
    if path == ROOT / "ui" / "state.py":
        return
    assert "session_state" not in path.read_text()
