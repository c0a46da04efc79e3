"""What a serving bundle must carry: the ``lifecycle`` modules its entry point imports (found by
reading the code with ``ast``, never by importing it) and the pinned distributions they need.

The closure follows every ``lifecycle`` import, at module level and inside functions (a lazy import
may run at serving time too), except under ``if TYPE_CHECKING:``. Third-party imports are kept
apart by where they sit: at module level they run whenever the module loads; inside a function
(``fair_models.fit`` importing fairlearn to train) only when that function is called, so a bundle may
leave out one that serving never calls (see ``bundle``). A package face that loads its names lazily
(``lazy_loader``) is replaced in the bundle by a plain ``__init__.py``: the bundle needs no
lazy_loader, and vendored code must import names from their modules, not from a face (checked).
"""
from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

import lifecycle
from lifecycle.config import REPO_ROOT
from lifecycle.errors import InputError

PACKAGE = "lifecycle"
SOURCE = Path(lifecycle.__file__).resolve().parent  # the lifecycle package on disk
PLAIN_FACE = '"""{doc}\n\nVendored into a serving bundle: import names from their modules."""\n'


@dataclass(frozen=True, kw_only=True)
class Closure:
    """The ``lifecycle`` modules an entry needs, by dotted name, with their files; which of them are
    lazy faces (written as plain packages); the top-level third-party modules they import at module
    level, and those imported only inside functions (with the modules that do so)."""

    modules: dict[str, Path]
    faces: frozenset[str]
    third_party: frozenset[str]
    lazy_third_party: dict[str, frozenset[str]]  # top-level module -> the lifecycle modules importing it in a function

    def files(self) -> dict[str, str | Path]:
        """Bundle-relative path -> the file to copy, or the text to write (a face made plain)."""
        out: dict[str, str | Path] = {}
        for name, path in sorted(self.modules.items()):
            relative = str(Path(PACKAGE) / path.relative_to(SOURCE))
            if name in self.faces:
                doc = (ast.get_docstring(ast.parse(path.read_text())) or name).replace('"""', "'''")
                out[relative] = PLAIN_FACE.format(doc=doc)
            else:
                out[relative] = path
        return out


def module_file(name: str) -> Path | None:
    """The file of ``lifecycle`` module ``name`` (a module or a package's ``__init__.py``), or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = SOURCE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def import_closure(roots: Iterable[str]) -> Closure:
    """Every ``lifecycle`` module the ``roots`` import, directly or not, with their parent packages.
    Raises InputError naming a root or an import that is not in this installation."""
    modules: dict[str, Path] = {}
    faces: set[str] = set()
    third: set[str] = set()
    lazy_third: dict[str, set[str]] = {}
    todo = list(roots)
    for root in todo[:]:
        if module_file(root) is None:
            raise InputError(f"The module {root} is not in this installation of Lifecycle ({SOURCE}).",
                             "Install the version of Lifecycle that has it, then export again.")
    while todo:
        name = todo.pop()
        if name in modules:
            continue
        path = module_file(name)
        if path is None:
            continue  # a name imported from a module (``from lifecycle.records import User``), not a module
        modules[name] = path
        is_package = path.name == "__init__.py"
        parents = [".".join(name.split(".")[:i]) for i in range(1, len(name.split(".")))]
        todo.extend(parents)
        eager, in_functions = _imports(path, name, is_package)
        if is_package and "lazy_loader" in {i.split(".")[0] for i in eager}:
            faces.add(name)
            continue  # written as a plain package: its lazy names are not followed
        for found, lazy in [(f, False) for f in eager] + [(f, True) for f in in_functions]:
            top = found.split(".")[0]
            if top == PACKAGE:
                todo.append(found)
            elif top not in sys.stdlib_module_names and top != "__future__":
                if lazy:
                    lazy_third.setdefault(top, set()).add(name)
                else:
                    third.add(top)
    closure = Closure(modules=modules, faces=frozenset(faces), third_party=frozenset(third),
                      lazy_third_party={top: frozenset(where) for top, where in lazy_third.items()
                                        if top not in third})
    _check_no_face_names(closure)
    return closure


def _imports(path: Path, name: str, is_package: bool) -> tuple[set[str], set[str]]:
    """Dotted names a file imports (``from a import b`` gives ``a`` and ``a.b``), relative ones
    resolved, skipping ``if TYPE_CHECKING:`` blocks: those at module level (classes included), and
    those only inside functions."""
    eager: set[str] = set()
    in_functions: set[str] = set()
    package = name if is_package else name.rpartition(".")[0]

    def visit(node: ast.AST, inside: bool) -> None:
        found = in_functions if inside else eager
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child, inside)
            return
        inside = inside or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            if module:
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(path.read_text(), filename=str(path)), False)
    return eager, in_functions - eager


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _check_no_face_names(closure: Closure) -> None:
    """A vendored module that imports a name through a lazy face would break once the face is plain."""
    for name, path in closure.modules.items():
        if name in closure.faces:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in closure.faces:
                names = [a.name for a in node.names if module_file(f"{node.module}.{a.name}") is None]
                if names:
                    raise InputError(f"{name} imports {', '.join(names)} from the package face {node.module}, "
                                     "which a bundle writes as a plain package.",
                                     f"Import them from their module in {node.module} instead.")


# ----------------------------------------------------------------------------- requirements

def distributions_of(modules: Iterable[str]) -> set[str]:
    """The installed distributions that provide top-level ``modules`` (``sklearn`` -> scikit-learn);
    a module no distribution provides (an optional import that is not installed) is left out."""
    provided = metadata.packages_distributions()
    return {_canonical(d) for module in modules for d in provided.get(module, ())}


def project_pins(path: Path | None = None) -> dict[str, str]:
    """``name -> version`` pinned in the project's requirements.txt (``name==version`` lines)."""
    path = path or REPO_ROOT / "requirements.txt"
    pins = {}
    if path.exists():
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s#;]+)", line)
            if match:
                pins[_canonical(match.group(1))] = match.group(2)
    return pins


def pinned_requirements(distributions: Iterable[str], pins: dict[str, str] | None = None) -> list[str]:
    """``name==version`` for ``distributions`` and everything they require (for this Python and
    platform, no extras): the project's pin when it has one, else the installed version."""
    pins = project_pins() if pins is None else pins
    environment = {**default_environment(), "extra": ""}
    seen: dict[str, str] = {}
    todo = [_canonical(d) for d in distributions]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            installed = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise InputError(f"The distribution {name}, which serving needs, is not installed here.",
                             f"Install it (pip install {name}), then export again.") from None
        seen[name] = pins.get(name, installed.version)
        for text in installed.requires or ():
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is None or requirement.marker.evaluate(environment):
                todo.append(_canonical(requirement.name))
    return [f"{name}=={version}" for name, version in sorted(seen.items())]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
