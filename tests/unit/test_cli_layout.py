"""The CLI's layout: one module per stage, each command documented, heavy libraries imported lazily."""
from __future__ import annotations

import argparse
import subprocess
import sys

from lifecycle import cli
from lifecycle.cli import review


def _handlers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                handler = sub.get_default("handler")
                if handler is not None:
                    yield name, handler
                yield from _handlers(sub)


def test_every_command_is_documented_and_lives_in_its_stage_module():
    handlers = {handler.__qualname__: handler for _, handler in _handlers(cli.build_parser())}
    assert len(handlers) == 29
    modules = {stage.__name__ for stage in cli.STAGES}
    for name, handler in handlers.items():
        assert handler.__doc__ and "Exit" in handler.__doc__, name
        assert handler.__module__ in modules, (name, handler.__module__)


def test_review_choices_and_defaults_match_the_domain():
    from lifecycle.review import fair_models, mitigation
    from lifecycle.validate import fairness_review

    assert review.METHODS == mitigation.METHODS
    assert review.CONSTRAINTS == fair_models.CONSTRAINTS
    assert review.MIN_GROUP_SIZE == fairness_review.MIN_GROUP_SIZE
    assert review.DEFAULT_BOOTSTRAP == fairness_review.DEFAULT_BOOTSTRAP


def test_loading_the_cli_does_not_import_scikit_learn_or_fairlearn():
    code = ("import sys, lifecycle.cli; "
            "print(sorted(m for m in ('sklearn', 'fairlearn', 'shap') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
