"""CLI commands of stage 5 (Deploy) that work from files: ``score`` (batch scoring) and
``export-bundle`` (a self-contained serving folder)."""
from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from lifecycle.cli.context import Context, Result

LISTED = 20  # refused values printed; every one is in the output file and in --json


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    score = groups.add_parser("score", parents=[output],
                              help="stage 5: score a CSV or Parquet file with a model version")
    score.add_argument("file", type=Path, help="CSV/TSV (optionally .gz) or Parquet")
    score.add_argument("--version", dest="version_id", type=int, required=True, help="model version id")
    score.add_argument("--out", type=Path, default=None,
                       help="write every row with its prediction; .csv or .parquet picks the format")
    score.set_defaults(handler=score_command)

    export = groups.add_parser("export-bundle", parents=[output],
                               help="write a self-contained serving folder (model, service, Dockerfile, card)")
    export.add_argument("version_id", type=int)
    export.add_argument("folder", type=Path, help="a new (or empty) folder")
    export.set_defaults(handler=export_bundle_command)


def score_command(context: Context, args: argparse.Namespace) -> Result:
    """Score FILE with model version --version: every row is checked against the version's input schema;
    rows that do not fit are not scored and are listed by row (0 = the first data row) and column. Prints
    the summary (rows scored and refused, the prediction distribution) and the first refused values; with
    --out writes every row with its prediction, class probabilities and the reason a row was not scored
    (CSV with formula-like cells neutralised, or Parquet). Exit 0 when the file was scored (refused rows
    included), 2 on bad input (unreadable file, a missing column, an unknown version or output format) or a
    refused permission."""
    from lifecycle.deploy import batch

    if args.out is not None:
        batch.output_format(args.out)  # before any work: a wrong extension is bad input
    result = batch.score_path(context.workspace, context.actor, args.version_id, args.file)
    lines = result.summary.lines()
    if result.problems:
        lines.append(f"Not scored ({result.summary.refused:,} rows, {result.summary.problems:,} values):")
        lines += [f"  {problem}" for problem in result.problems[:LISTED]]
        if result.summary.problems > LISTED:
            lines.append(f"  … and {result.summary.problems - LISTED:,} more"
                         + ("" if args.out else " (pass --out to keep every row and its reason)"))
    if args.out is not None:
        fmt = result.write(args.out)
        lines.append(f"Wrote {len(result.frame):,} rows to {args.out} ({fmt}).")
    return Result("\n".join(lines), {"summary": result.summary.to_dict(),
                                     "problems": [asdict(p) for p in result.problems],
                                     "out": None if args.out is None else str(args.out)})


def export_bundle_command(context: Context, args: argparse.Namespace) -> Result:
    """Write the serving bundle of a model version into FOLDER (new or empty): the skops model, its schema,
    manifest.json, serve.py, the vendored service code, requirements.txt, a Dockerfile and MODEL_CARD.md.
    Prints what was written and how to start it. Exit 0; 2 on a refused permission, an unknown or rejected
    version, or a folder that is not empty."""
    from lifecycle.deploy import bundle

    written = bundle.export_bundle(context.workspace, context.actor, args.version_id, args.folder)
    text = (f"Wrote the bundle of model version {written.version_id} to {written.folder}: {len(written.files)} files, "
            f"{len(written.modules)} vendored modules, {len(written.requirements)} pinned requirements.\n"
            f"Start it: cd {written.folder} && python serve.py   (or docker build; see MODEL_CARD.md)")
    return Result(text, {"folder": str(written.folder), "version_id": written.version_id,
                         "files": list(written.files), "modules": list(written.modules),
                         "requirements": list(written.requirements)})
