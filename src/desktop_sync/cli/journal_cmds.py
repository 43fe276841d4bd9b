"""``desktop-sync journal``: runs and their operations, on screen, as JSON or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from desktop_sync.cli.context import (
    CommandError,
    Context,
    echo,
    emit_json,
    json_fields,
    pass_context,
)
from desktop_sync.config.urls import check_journal_url
from desktop_sync.i18n import N_, time_label, tr

if TYPE_CHECKING:  # the journal's door is imported when a command opens it, not by --help
    from desktop_sync.engine.facade import JournalDoor
    from desktop_sync.engine.records import OperationRecord

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


# The export's column headers, in the person's language (the JSON keeps OP_COLUMNS).
HEADERS: dict[str, str] = {
    "id": N_("No."),
    "flow": N_("Flow"),
    "kind": N_("Operation"),
    "target_system": N_("Written to"),
    "entity_type": N_("Record type"),
    "source_id": N_("Source record"),
    "target_id": N_("Target record"),
    "state": N_("State"),
    "reason": N_("Reason"),
    "error": N_("Error"),
    "attempts": N_("Attempts"),
    "updated_at": N_("Changed at"),
}
# Journal words (run modes, outcomes, operation states) for people; JSON keeps the codes.
WORDS: dict[str, str] = {
    "dry_run": N_("dry run"),
    "apply": N_("apply"),
    "running": N_("running"),
    "done": N_("done"),
    "waiting": N_("waiting"),
    "partial": N_("partly failed"),
    "cannot_connect": N_("no connection"),
    "cancelled": N_("cancelled"),
    "crashed": N_("interrupted"),
    "planned": N_("planned"),
    "sending": N_("sending"),
    "applied": N_("applied"),
    "outcome_unknown": N_("outcome unknown"),
    "failed": N_("failed"),
    "skipped": N_("skipped"),
    "create": N_("create"),
    "update": N_("update"),
    "link": N_("link"),
    "post": N_("post"),
    "set_payment_state": N_("payment state"),
    "set_shipment_state": N_("shipment state"),
    "move_stock": N_("stock"),
    "timeline": N_("timeline entry"),
    "onec": N_("1C"),
    "crm": N_("CRM"),
}


def word(code: str | None) -> str:
    """A journal code (``apply``, ``waiting`` …) in the person's language."""
    if not code:
        return "—"
    return tr(WORDS[code]) if code in WORDS else code


def open_door(ctx: Context) -> JournalDoor:
    """The profile's journal through the door: no secret is read, nothing is reached."""
    from desktop_sync.engine.facade import JournalDoor

    return JournalDoor.open_journal_only(ctx.store.get(ctx.profile_name), ctx.paths)


def _op_row(op: OperationRecord) -> dict[str, Any]:
    row = {c: getattr(op, c) for c in OP_COLUMNS}
    row["updated_at"] = op.updated_at.isoformat()
    return row


def _export_value(column: str, value: Any) -> Any:
    if column in ("state", "kind", "target_system"):
        return word(value)
    return value


@click.group("journal", invoke_without_command=True)
@click.option("--run", "run_id", type=int, default=None, help="show one run's operations")
@click.option(
    "--export",
    "export",
    type=click.Path(dir_okay=False),
    default=None,
    help="write the operations to FILE.csv or FILE.xlsx",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.pass_context
def journal_cmd(
    click_ctx: click.Context, run_id: int | None, export: str | None, as_json: bool
) -> None:
    """Every run and every change the sync made."""
    if click_ctx.invoked_subcommand is not None:
        return
    from desktop_sync.engine.facade import ExportError, export_table
    from desktop_sync.readmodel import journal_reason

    ctx = click_ctx.find_object(Context)
    assert ctx is not None
    with open_door(ctx) as door:
        if run_id is None and export is None:
            _list_runs(door, as_json)
            return
        if run_id is not None and door.find_run(run_id) is None:
            raise CommandError(tr("no run #{run} in this profile's journal").format(run=run_id))
        ops = door.operations(run_id)
    if export is not None:
        path = Path(export)
        header = [tr(HEADERS[c]) for c in OP_COLUMNS]
        rows = ([_export_value(c, _op_row(op)[c]) for c in OP_COLUMNS] for op in ops)
        try:
            export_table(path, header, rows, sheet=tr("Journal"))
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        echo(tr("{n} operations written to {file}").format(n=len(ops), file=path))
        return
    if as_json:
        emit_json({"run": run_id, "operations": [_op_row(op) for op in ops]})
        return
    for op in ops:
        echo(
            f"{op.id}\t{op.flow}\t{word(op.kind)}\t{word(op.state)}\t"
            f"{journal_reason(op.reason, op.state)}" + (f"\t{op.error}" if op.error else "")
        )


def _list_runs(door: JournalDoor, as_json: bool) -> None:
    runs = door.runs()
    if as_json:
        spec = "run=id started_at mode trigger outcome counts message"
        emit_json({"runs": [json_fields(r, spec) for r in runs]})
        return
    if not runs:
        echo(tr("The journal is empty: no synchronization has run yet."))
    for r in runs:
        echo(
            f"#{r.id}\t{time_label(r.started_at)}\t{word(r.mode)}\t{word(r.outcome)}\t"
            + tr("applied {applied} of {planned}").format(
                applied=r.counts.get("applied", 0), planned=r.counts.get("planned", 0)
            )
        )


@journal_cmd.command("migrate")
@click.option(
    "--to", "to_url", required=True, help="the shared journal: postgresql://user@server/db"
)
@pass_context
def journal_migrate(ctx: Context, to_url: str) -> None:
    """Copy this profile's journal into a shared PostgreSQL journal and use that from now on."""
    from desktop_sync.cli.profile_cmds import _journal_password
    from desktop_sync.engine.facade import NothingToCopy, copy_journal

    profile = ctx.store.get(ctx.profile_name)
    url = check_journal_url(to_url)
    if not url.startswith("postgresql"):
        raise CommandError(tr("journal migrate: --to must be postgresql://user@server/database"))
    _journal_password(profile, only_if_missing=True)
    try:
        copied = copy_journal(profile, ctx.paths, url)
    except NothingToCopy as exc:
        raise CommandError(str(exc)) from None
    ctx.store.put(profile.with_setting("journal.url", url))
    echo(
        tr(
            "Copied {runs} runs, {ops} operations, {links} links and {inbox} inbox items; "
            "profile «{name}» now uses the shared journal."
        ).format(
            runs=copied.runs,
            ops=copied.operations,
            links=copied.links,
            inbox=copied.inbox,
            name=profile.name,
        )
    )
