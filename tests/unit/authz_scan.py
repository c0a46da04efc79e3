"""Finding the state-changing functions of ``lifecycle/`` and the permission checks each reaches, by
reading their source (AST) and resolving every name they use in the module they live in.

A function *writes* when it, or a ``lifecycle`` function it uses (called, or passed on as a callback,
or held in a module-level table such as ``monitor.refresh.STEPS``), opens a transaction
(``db.transaction()`` / ``db.retrying()``) or calls a store function whose SQL inserts, updates,
deletes or copies. It *enforces* a permission when it reaches ``auth.require(actor, Permission.X)``
or ``if not can(actor, Permission.X): raise ...``; it is *gated* when it reaches a ``Gate`` of the
model state machine (``models.states.TRANSITIONS``), whose permission is read from the table.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
# Not scanned: the store and records (below every check: they take a cursor), the CLI (it calls the
# functions scanned here) and the charts (figures from plain data).
SKIPPED = ("store", "records", "cli", "charts", "__main__.py")
_SQL_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|COPY|CREATE|DROP|ALTER)\b")


@dataclass
class Reach:
    writes: bool = False
    permissions: set[str] = field(default_factory=set)
    gated: bool = False


def module_names() -> list[str]:
    names = []
    for path in sorted((ROOT / "lifecycle").rglob("*.py")):
        rel = path.relative_to(ROOT / "lifecycle").parts
        if rel[0] in SKIPPED or path.name == "__init__.py":
            continue
        names.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return names


def public_functions(module_name: str) -> list[Callable]:
    """The public top-level functions defined (not imported) in the module, in source order."""
    module = importlib.import_module(module_name)
    found = []
    for node in _tree(Path(module.__file__)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            function = module.__dict__.get(node.name)
            if inspect.isfunction(function) and function.__module__ == module_name:
                found.append(function)
    return found


def key(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def user_parameters(function: Callable) -> list[str]:
    """Parameters annotated as a ``User`` (``actor: User``, ``user: User``, ``actor: User | None``)."""
    return [p.name for p in inspect.signature(function).parameters.values()
            if re.search(r"\bUser\b", str(p.annotation))]


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _definition(function: Callable) -> ast.AST | None:
    module = sys.modules.get(function.__module__)
    if module is None or not getattr(module, "__file__", None):
        return None
    wanted = function.__qualname__.split(".")
    scope: list[ast.stmt] = _tree(Path(module.__file__)).body
    node = None
    for part in wanted:
        node = next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            return None
        scope = node.body
    return node


def _resolve(expression: ast.AST, namespace: dict[str, Any]) -> Any:
    """The object a dotted name (``a``, ``a.b.c``) stands for in ``namespace``, or None."""
    chain = []
    while isinstance(expression, ast.Attribute):
        chain.append(expression.attr)
        expression = expression.value
    if not isinstance(expression, ast.Name) or expression.id not in namespace:
        return None
    found = namespace[expression.id]
    for attribute in reversed(chain):
        try:
            found = getattr(found, attribute)
        except Exception:  # a lazy face may refuse an unknown name: nothing to follow
            return None
    return found


def _is_lifecycle(function: Any) -> bool:
    return inspect.isfunction(function) and function.__module__.startswith("lifecycle.")


def _gate_class() -> type:
    from lifecycle.models.states import Gate
    return Gate


def _inside(found: Any, depth: int = 0) -> list[Any]:
    """Functions and gates held in a table (tuple, list, dict values, nested once)."""
    if depth > 2:
        return []
    if _is_lifecycle(found) or isinstance(found, _gate_class()):
        return [found]
    if isinstance(found, dict):
        found = list(found.values())
    if isinstance(found, (tuple, list)):
        return [x for item in found for x in _inside(item, depth + 1)]
    return []


def _raises_unless_can(node: ast.If, namespace: dict[str, Any]) -> str | None:
    """``if not can(user, Permission.X): raise ...`` → "X"."""
    test = node.test
    if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call)):
        return None
    call = test.operand
    target = _resolve(call.func, namespace)
    if getattr(target, "__qualname__", "") != "can" or getattr(target, "__module__", "") != "lifecycle.auth":
        return None
    if len(call.args) < 2 or not any(isinstance(n, ast.Raise) for n in node.body):
        return None
    permission = _resolve(call.args[1], namespace)
    return getattr(permission, "name", None)


_reached: dict[str, Reach] = {}


def reach(function: Callable) -> Reach:
    """What ``function`` reaches: writes, the permissions it enforces, a state-machine gate."""
    name = key(function)
    if name in _reached:
        return _reached[name]
    result = Reach()
    _reached[name] = result  # a cycle sees what is known so far
    if function.__module__.startswith(("lifecycle.store", "lifecycle.records")):
        try:
            result.writes = bool(_SQL_WRITE.search(inspect.getsource(function)))
        except (OSError, TypeError):
            pass
    node = _definition(function)
    if node is None:
        return result
    namespace = function.__globals__
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            callee = sub.func
            if isinstance(callee, ast.Attribute) and callee.attr in ("transaction", "retrying"):
                result.writes = True
            target = _resolve(callee, namespace)
            if (getattr(target, "__qualname__", "") == "require" and getattr(target, "__module__", "") == "lifecycle.auth"
                    and len(sub.args) >= 2):
                permission = _resolve(sub.args[1], namespace)
                if permission is not None:
                    result.permissions.add(permission.name)
        elif isinstance(sub, ast.If):
            permission = _raises_unless_can(sub, namespace)
            if permission:
                result.permissions.add(permission)
        if isinstance(sub, (ast.Name, ast.Attribute)) and isinstance(sub.ctx, ast.Load):
            for used in _inside(_resolve(sub, namespace)):
                if isinstance(used, _gate_class()):
                    result.gated = True
                elif used is not function:
                    inner = reach(used)
                    result.writes |= inner.writes
                    result.gated |= inner.gated
                    result.permissions |= inner.permissions
    return result


def state_changing() -> dict[str, Callable]:
    """Every public function of ``lifecycle/`` (outside the skipped parts) that writes, or that takes a
    user (a function acting for a user is an action, whatever it writes to)."""
    found = {}
    for module_name in module_names():
        for function in public_functions(module_name):
            if reach(function).writes or user_parameters(function):
                found[key(function)] = function
    return found
