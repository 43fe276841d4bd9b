"""``desktop-sync journal``: runs and their operations, on screen, as JSON or CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click

from desktop_sync.cli.context import CommandError, Context, echo, emit_json, pass_context
from desktop_sync.i18n import tr
from desktop_sync.journal import Journal
from desktop_sync.journal.db import sqlite_url
from desktop_sync.xlsx import write_xlsx

OP_COLUMNS = (
    "id",
    "flow",
    "kind",
    "target_system",
    "entity_type",
    "source_id",
    "target_id",
    "state",
    "reason",
    "error",
    "attempts",
    "updated_at",
)


def open_journal(ctx: Context) -> Journal:
    profile = ctx.store.get(ctx.profile_name)
    url = profile.journal_url or sqlite_url(ctx.paths.journal_path())
    return Journal.open(url, profile.uuid)


def _op_row(op: Any) -> dict[str, Any]:
    row = {c: getattr(op, c) for c in OP_COLUMNS}
    row["updated_at"] = op.updated_at.isoformat()
    return row


@click.command("journal")
@click.option("--run", "run_id", type=int, default=None, help="show one run's operations")
@click.option(
    "--export",
    "export",
    type=click.Path(dir_okay=False),
    default=None,
    help="write the operations to FILE.csv or FILE.xlsx",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_context
def journal_cmd(ctx: Context, run_id: int | None, export: str | None, as_json: bool) -> None:
    """Every run and every change the sync made."""
    journal = open_journal(ctx)
    try:
        if run_id is None and export is None:
            runs = journal.runs()
            if as_json:
                emit_json(
                    {
                        "runs": [
                            {
                                "run": r.id,
                                "started_at": r.started_at.isoformat(),
                                "mode": r.mode,
                                "trigger": r.trigger,
                                "outcome": r.outcome,
                                "counts": r.counts,
                                "message": r.message,
                            }
                            for r in runs
                        ]
                    }
                )
                return
            if not runs:
                echo(tr("The journal is empty: no synchronisation has run yet."))
            for r in runs:
                echo(
                    f"#{r.id}\t{r.started_at:%Y-%m-%d %H:%M}\t{r.mode}\t{r.outcome}\t"
                    f"{r.counts.get('applied', 0)}/{r.counts.get('planned', 0)}"
                )
            return
        ops = (
            journal.operations(run_id)
            if run_id is not None
            else [op for r in journal.runs(limit=1_000_000) for op in journal.operations(r.id)]
        )
        if run_id is not None and journal.run(run_id) is None:
            raise CommandError(tr("no run #{run} in this profile's journal").format(run=run_id))
        if export is not None:
            path = Path(export)
            suffix = path.suffix.lower()
            if suffix == ".xlsx":
                write_xlsx(path, OP_COLUMNS, ([_op_row(op)[c] for c in OP_COLUMNS] for op in ops))
            elif suffix == ".csv":
                with path.open("w", encoding="utf-8-sig", newline="") as fh:
                    writer = csv.DictWriter(fh, fieldnames=OP_COLUMNS, delimiter=";")
                    writer.writeheader()
                    for op in ops:
                        writer.writerow(_op_row(op))
            else:
                raise CommandError(tr("export: the file must end in .csv or .xlsx"))
            echo(tr("{n} operations written to {file}").format(n=len(ops), file=path))
            return
        if as_json:
            emit_json({"run": run_id, "operations": [_op_row(op) for op in ops]})
            return
        for op in ops:
            echo(
                f"{op.id}\t{op.flow}\t{op.kind}\t{op.state}\t{op.reason}"
                + (f"\t{op.error}" if op.error else "")
            )
    finally:
        journal.close()
