"""CLI command of the Validate stage's evidence: ``explain VERSION_ID`` prints which source
columns drive a registered model (mean |SHAP|), computed once and then read from the store."""
from __future__ import annotations

import argparse

from lifecycle.cli.commands import Context, Result


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    explain = groups.add_parser("explain", parents=[output],
                                help="SHAP importance of a model version by source column (stored as evidence)")
    explain.add_argument("version_id", type=int)
    explain.add_argument("--rows", type=int, default=None,
                         help="test rows to explain (default 500)")
    explain.add_argument("--seed", type=int, default=0, help="seed of the row and background samples")
    explain.add_argument("--class", dest="target_class", default=None,
                         help="multiclass: the class to explain (default: the model's first class)")
    explain.set_defaults(handler=explain_command)


def explain_command(context: Context, args: argparse.Namespace) -> Result:
    from lifecycle.review import explain
    from lifecycle.models import registry

    version = registry.get_version(context.workspace, args.version_id)
    explanation, stored, from_store = explain.explain_version(
        context.workspace, context.actor, version,
        rows=explain.DEFAULT_ROWS if args.rows is None else args.rows, seed=args.seed, target_class=args.target_class)
    width = max(len(c) for c in explanation.importance)
    lines = [f"Model {version.label}: mean |SHAP| ({explanation.output}) over {explanation.rows:,} test rows, "
             f"{explanation.method} explainer" + (" (from the store)" if from_store else "")]
    lines += [f"  {column:<{width}}  {value:.4g}" for column, value in explanation.importance.items()]
    lines += [f"  {note}" for note in explanation.notes]
    lines.append(explanation.summary)
    lines += [f"  - {driver.statement}" for driver in explanation.drivers]
    return Result("\n".join(lines), {
        "version_id": version.id, "evidence_id": stored.id, "from_store": from_store, "method": explanation.method,
        "output": explanation.output, "target_class": explanation.target_class, "rows": explanation.rows,
        "available_rows": explanation.available_rows, "seed": explanation.seed,
        "base_value": explanation.base_value,
        "importance": [{"column": c, "mean_abs_shap": v} for c, v in explanation.importance.items()],
        "drivers": [{"column": d.column, "direction": d.direction, "statement": d.statement}
                    for d in explanation.drivers],
        "notes": list(explanation.notes)})
