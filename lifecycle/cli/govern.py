"""CLI commands of stage 8 (Govern): ``signoff``, ``checklist``, ``card`` and ``docs``. The audit
trail's ``export``, ``keygen`` and ``anchor`` extend the ``audit`` group (``cli/admin.py``)."""
from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from lifecycle.cli.context import Context, Result
from lifecycle.errors import GateRefused
from lifecycle.records import DECISIONS


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    signoff = groups.add_parser("signoff", parents=[output],
                                help="stage 8: sign a model version off (a reviewer who did not build it)")
    signoff.add_argument("version_id", type=int)
    signoff.add_argument("--decision", required=True, choices=DECISIONS,
                         help="approve, conditional (approve with conditions) or reject")
    signoff.add_argument("--comment", required=True, help="what you reviewed and why you decide so")
    signoff.add_argument("--item", action="append", default=[], metavar="ID=JUDGEMENT[:COMMENT]",
                         help="judge one checklist item: accept, condition or reject (attestations need a comment)")
    signoff.set_defaults(handler=signoff_command)

    checklist = groups.add_parser("checklist", parents=[output],
                                  help="the governance checklist of a version: evidence, status, what blocks")
    checklist.add_argument("version_id", type=int)
    checklist.set_defaults(handler=checklist_command, needs_actor=False)

    card = groups.add_parser("card", parents=[output], help="write a version's model card")
    card.add_argument("version_id", type=int)
    card.add_argument("--format", choices=("md", "html"), default="md")
    card.add_argument("--out", type=Path, required=True)
    card.set_defaults(handler=card_command)

    docs = groups.add_parser("docs", parents=[output],
                             help="write a version's technical documentation pack (EU AI Act Annex IV headings)")
    docs.add_argument("version_id", type=int)
    docs.add_argument("--out", type=Path, required=True, help="a new or empty folder")
    docs.set_defaults(handler=docs_command)


def signoff_items(texts: list[str]):
    """``--item`` options as {item id: ItemInput}; a repeated item is refused (InputError)."""
    from lifecycle.errors import InputError
    from lifecycle.govern.signoff import parse_item

    items = {}
    for text in texts:
        item_id, given = parse_item(text)
        if item_id in items:
            raise InputError(f"--item {item_id} is given twice.", "Judge each item once.")
        items[item_id] = given
    return items


def signoff_result(context: Context, version_id: int, decision: str, comment: str, items: list[str]) -> Result:
    """Sign off and describe the outcome (shared by ``signoff`` and ``approve``)."""
    from lifecycle.govern import signoff

    try:
        outcome = signoff.sign_off(context.workspace, context.actor, version_id, decision=decision, comment=comment,
                                   items=signoff_items(items))
    except GateRefused as refused:
        return Result(f"refused: {refused}", {"version_id": version_id, "decision": decision, "refused": str(refused)},
                      exit_code=1)
    data = {"version_id": version_id, "state": outcome.version.state, "moved_to": outcome.moved_to,
            "signoff": asdict(outcome.signoff), "approvals": len(outcome.approval.approvals),
            "needed": outcome.approval.needed}
    return Result(outcome.message + f" (sign-off #{outcome.signoff.id}, audit event #{outcome.signoff.audit_seq})", data)


def signoff_command(context: Context, args: argparse.Namespace) -> Result:
    """Record the acting reviewer's sign-off (approve, conditional or reject, with a comment and item
    judgements); the sign-off that completes the approval moves the version to approved, a rejection
    to rejected. Prints the outcome. Exit 0 when recorded; 1 when an approval lacks blocking evidence or
    a blocking statement (the message names each); 2 on a refused permission (not a reviewer, their own
    model, signed already) or bad input."""
    return signoff_result(context, args.version_id, args.decision, args.comment, args.item)


def checklist_command(context: Context, args: argparse.Namespace) -> Result:
    """Print the checklist of a version: one "STATUS<tab>BLOCKS<tab>ITEM<tab>EVIDENCE OR WHAT TO DO" line per
    item, then the sign-off standing. Exit 0; 2 for an unknown version."""
    from lifecycle.govern import checklist as checklist_module
    from lifecycle.govern.signoff import approval

    found = checklist_module.version_checklist(context.workspace, args.version_id)
    standing = approval(context.workspace, args.version_id)
    lines = [f"Model {found.record.version.label}, {found.risk_tier} risk: sign-off {standing.progress}."]
    for entry in found.items:
        said = entry.found.todo if entry.status == "missing" else entry.found.summary
        lines.append(f"{entry.status}\t{'blocks' if entry.blocking else '-'}\t{entry.item.id}\t{said}")
    data = {"version_id": args.version_id, "risk_tier": found.risk_tier, "checklist": found.digest,
            "approvals": [s.signer for s in standing.approvals], "needed": standing.needed,
            "items": [{"id": e.item.id, "title": e.item.title, "sources": list(e.item.sources), "status": e.status,
                       "blocking": e.blocking, "summary": e.found.summary, "todo": e.found.todo,
                       "evidence": [asdict(link) for link in e.links]} for e in found.items]}
    return Result("\n".join(lines), data)


def card_command(context: Context, args: argparse.Namespace) -> Result:
    """Write a version's model card (Markdown, or HTML with the evidence charts) to --out; prints the path.
    Exit 0; 2 for an unknown version or an existing --out."""
    from lifecycle.errors import InputError
    from lifecycle.govern.card import model_card

    actor = context.actor
    if args.out.exists():
        raise InputError(f"{args.out} already exists.", "Pick a new file name; a card never overwrites a file.")
    text = model_card(context.workspace, args.version_id, args.format, generated_by=actor.name)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return Result(f"Wrote the model card of version {args.version_id} to {args.out}.",
                  {"version_id": args.version_id, "format": args.format, "path": str(args.out), "bytes": len(text)})


def docs_command(context: Context, args: argparse.Namespace) -> Result:
    """Write a version's technical documentation pack (Annex IV headings, the model card, checklist,
    sign-offs, audit excerpt, SHA256SUMS) into --out; prints one line per file. Exit 0; 2 for an unknown
    version or a non-empty folder."""
    from lifecycle.govern.annex_iv import write_docs

    pack = write_docs(context.workspace, context.actor, args.version_id, args.out)
    return Result("\n".join([f"Wrote the documentation of version {args.version_id} to {pack.folder}:"]
                            + [f"{digest}  {name}" for name, digest in pack.files.items()]),
                  {"version_id": args.version_id, "folder": str(pack.folder), "files": pack.files})
