"""``desktop-sync sync``, ``inbox`` and ``check``: the engine without a window."""

from __future__ import annotations

import math
from decimal import Decimal
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
from desktop_sync.cli.door import ask
from desktop_sync.cli.failures import said_here
from desktop_sync.cli.journal_cmds import open_door, word
from desktop_sync.exitcodes import Exit
from desktop_sync.i18n import language, tr

# The engine is imported by the commands that run it, not here: a help page, a usage
# error or `profile list` does not pay for it (docs/decisions/ci-time.md).
if TYPE_CHECKING:
    from desktop_sync.config import Profile
    from desktop_sync.engine.records import Checked, Flow, Outcome, Plan, RunSummary
    from desktop_sync.engine.service import ConnectError


def outcome_exit(outcome: Outcome) -> Exit:
    from desktop_sync.engine.records import Outcome

    return {
        Outcome.DONE: Exit.OK,
        Outcome.WAITING: Exit.WAITING,
        Outcome.PARTIAL: Exit.PARTIAL,
        Outcome.CANNOT_CONNECT: Exit.CANNOT_CONNECT,
        Outcome.CANCELLED: Exit.PARTIAL,
    }[outcome]


def _flows(only: str | None) -> tuple[Flow, ...] | None:
    from desktop_sync.engine.records import Flow

    if not only:
        return None
    out = []
    for part in only.split(","):
        name = part.strip().upper()
        try:
            out.append(Flow(name))
        except ValueError:
            raise CommandError(
                tr("--only: unknown flow «{name}»; flows are {flows}").format(
                    name=part.strip(), flows=", ".join(f.value for f in Flow)
                )
            ) from None
    return tuple(out)


MONEY_FIELDS = frozenset({"price", "total", "amount", "paid", "outstanding", "sum"})


def _value(v: Any, field: str = "") -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, list):
        return tr("{n} rows").format(n=len(v))
    if isinstance(v, Decimal):
        return amount(v)
    if field in MONEY_FIELDS and isinstance(v, str | int | float):
        try:
            return amount(Decimal(str(v)))
        except ArithmeticError:
            return str(v)
    return str(v)


def amount(v: Decimal) -> str:
    """An amount with two decimals: ``7,50`` in Russian, ``7.50`` in English."""
    text = f"{v:,.2f}"
    if language() == "en":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def print_plan(plan: Plan) -> None:
    from desktop_sync.engine.records import OpKind

    if plan.is_empty():
        echo(tr("Nothing to do: both systems agree."))
        return
    for flow, ops in sorted(plan.by_flow().items()):
        echo(f"[{flow.value}] " + tr("{n} operations").format(n=len(ops)))
        for op in ops:
            echo(f"  • {op.reason}")
            if op.kind is OpKind.CREATE:
                continue  # the reason says it all; the fields are in --json and the window
            for ch in op.changes[:6]:
                before, after = _value(ch.before, ch.field), _value(ch.after, ch.field)
                echo(f"      {ch.label}: {before} → {after}")
    links = sum(1 for op in plan.operations if op.kind is OpKind.LINK)
    if links:
        echo(tr("Already in both systems, to be linked, not created: {n}.").format(n=links))
    if plan.items:
        echo(tr("Waiting for a person ({n}):").format(n=len(plan.items)))
        for item in plan.items:
            kind = tr("conflict") if item.kind.value == "conflict" else tr("attention")
            echo(
                f"  ! [{item.flow.value}] {kind}: {item.record_label} — {item.field}: "
                f"{item.message}" + (f" → {item.action}" if item.action else "")
            )


def print_summary(summary: RunSummary) -> None:
    from desktop_sync.engine.records import COUNT_KEYS

    c = summary.counts
    echo(
        tr(
            "Run #{run} ({mode}): planned {planned}, applied {applied}, failed {failed}, "
            "conflicts {conflict}, attention {attention}, skipped {skipped}."
        ).format(
            run=summary.run_id, mode=word(summary.mode), **{k: c.get(k, 0) for k in COUNT_KEYS}
        )
    )
    if c.get("relinked", 0):
        echo(
            tr("Relinked to records that already existed (nothing created for them): {n}.").format(
                n=c["relinked"]
            )
        )
    for record, reason in summary.failures[:20]:
        echo(f"  ✗ {record}: {reason}")
    if summary.message:
        echo(summary.message)


@click.command("sync")
@click.option("--dry-run", "dry_run", is_flag=True, help="read both systems and print the plan")
@click.option("--apply", "apply_", is_flag=True, help="carry out the plan (minus what waits)")
@click.option("--only", default=None, help="only these flows, e.g. F1,F7")
@click.option("--full", is_flag=True, help="read everything (a full reconciliation)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option("--wait", is_flag=True, help="if another run of this profile is going, wait for it")
@pass_context
def sync_cmd(
    ctx: Context,
    dry_run: bool,
    apply_: bool,
    only: str | None,
    full: bool,
    as_json: bool,
    wait: bool,
) -> None:
    """Read both systems, plan, and (with --apply) synchronize."""
    if dry_run == apply_:
        raise CommandError(tr("choose exactly one of --dry-run and --apply"))
    from desktop_sync.cli.progress import TerminalProgress, enabled
    from desktop_sync.engine.records import Outcome
    from desktop_sync.engine.service import ConnectError, SyncService

    flows = _flows(only)
    profile = ctx.store.get(ctx.profile_name)
    try:
        with SyncService.open(profile, ctx.paths) as svc, TerminalProgress(enabled(as_json)) as bar:
            svc.lock_wait = math.inf if wait else None
            if dry_run:
                summary, plan = svc.dry_run(bar, flows=flows, trigger="cli", full=full)
            else:
                # the items alone are reported: each operation let go once written
                summary, plan = svc.run(
                    bar, flows=flows, trigger="cli", full=full, operations=False
                )
    except ConnectError as exc:  # words and exit code 5: errors.describe, in cli.main
        if as_json:
            emit_json(_connect_failed_json(exc))
        raise
    except KeyboardInterrupt:  # Ctrl+C: the journal marks the run interrupted (service.run)
        if as_json:  # still the one object --json promises
            emit_json({"outcome": Outcome.CANCELLED.value, "message": _interrupted(dry_run)})
        raise CommandError(_interrupted(dry_run), Exit.PARTIAL) from None
    if as_json:
        data = summary.to_json()
        if dry_run:
            data["plan"] = [
                {"flow": op.flow.value, "kind": op.kind.value, "reason": op.reason}
                for op in plan.operations
            ]
        data["waiting"] = [
            {
                "kind": i.kind.value,
                "flow": i.flow.value,
                "record": i.record_label,
                "field": i.field,
                "message": i.message,
                "action": i.action,
            }
            for i in plan.items
        ]
        emit_json(data)
    else:
        if dry_run:
            print_plan(plan)
        print_summary(summary)
    code = outcome_exit(summary.outcome)
    if code != Exit.OK:
        raise SystemExit(int(code))


def _connect_failed_json(exc: ConnectError) -> dict[str, str]:
    """The one object --json promises when a run could not start; a missing secret is a
    configuration error (exit 2), not a connection's."""
    from desktop_sync.engine.records import Outcome

    words = said_here(exc)
    if words is not None:
        return {"outcome": "bad_configuration", "message": words}
    return {"outcome": Outcome.CANNOT_CONNECT.value, "message": str(exc)}


def _interrupted(dry_run: bool) -> str:
    if dry_run:
        return tr("interrupted: nothing was changed in 1C or Bitrix24")
    return tr(
        "interrupted: what was already written is kept and journalled; the next "
        "`desktop-sync sync --apply` finishes the rest without making anything twice"
    )


@click.group("inbox", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.pass_context
def inbox_group(click_ctx: click.Context, as_json: bool) -> None:
    """Conflicts and attention items waiting for a person."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(inbox_list, as_json=as_json)


@inbox_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_context
def inbox_list(ctx: Context, as_json: bool) -> None:
    """List what waits for a person."""
    with open_door(ctx) as door:
        items = door.inbox()
    if as_json:
        spec = "id kind flow record=record_label field message action onec_value crm_value "
        emit_json({"items": [json_fields(i, spec + "base_value") for i in items]})
        return
    if not items:
        echo(tr("The inbox is empty: nothing waits for a person."))
        return
    for i in items:
        kind = tr("conflict") if i.kind == "conflict" else tr("attention")
        echo(f"#{i.id} [{i.flow}] {kind}: {i.record_label} — {i.field}: {i.message}")
        if i.kind == "conflict":
            echo(
                f"      {tr('1C')}: {_value(i.onec_value)} | CRM: {_value(i.crm_value)} | "
                + tr("last synced")
                + f": {_value(i.base_value)}"
            )
        if i.action:
            echo(f"      → {i.action}")


def _item_number(text: str) -> int:
    """``10`` or ``#10`` (as `inbox` lists it)."""
    digits = text.strip().lstrip("#№").strip()
    if not digits.isdigit():
        raise CommandError(
            tr(
                "«{text}» is not an inbox item number; `desktop-sync inbox` lists them as #10"
            ).format(text=text)
        )
    return int(digits)


@inbox_group.command("resolve")
@click.argument("item_id")
@click.option(
    "--take",
    type=click.Choice(["onec", "crm", "value"]),
    default=None,
    help="keep the value from 1C (onec), from the CRM (crm), or your own (value, with --value)",
)
@click.option("--value", "value", default=None, help="with --take value: the value to keep")
@click.option("--skip", is_flag=True, help="leave it as it is")
@click.option("--confirm", is_flag=True, help="confirm what the item proposes")
@pass_context
def inbox_resolve(
    ctx: Context, item_id: str, take: str | None, value: str | None, skip: bool, confirm: bool
) -> None:
    """Resolve one item (its number from `inbox`, e.g. 10 or #10); the next synchronization
    carries the decision out."""
    from desktop_sync.engine.records import DecisionRefused

    number = _item_number(item_id)
    chosen = [x for x in (take, skip or None, confirm or None) if x]
    if len(chosen) != 1:
        raise CommandError(tr("choose exactly one of --take, --skip and --confirm"))
    if take == "value" and value is None:
        raise CommandError(tr("--take value needs --value VALUE"))
    action = (
        "skip"
        if skip
        else "confirm"
        if confirm
        else {"onec": "take_onec", "crm": "take_crm", "value": "value"}[str(take)]
    )
    with open_door(ctx) as door:
        try:
            door.resolve(number, action, value)
        except KeyError:
            raise CommandError(tr("no open inbox item #{id}").format(id=number)) from None
        except DecisionRefused as exc:
            # refused when made, with the reason; the item stays open
            raise CommandError(
                tr("Item #{id} stays open: {reason}").format(id=number, reason=exc)
            ) from None
    echo(tr("Item #{id} resolved; the next synchronization carries it out.").format(id=number))


@click.command("setup")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_context
def setup_cmd(ctx: Context, as_json: bool) -> None:
    """Create the CRM custom fields the sync needs (admin rights)."""
    from desktop_sync.engine.service import SetupIncomplete

    try:
        created = ask(ctx, lambda svc: svc.setup())
    except SetupIncomplete as exc:
        # A 500, an HTML page, a dropped answer: what was created stays, and a second
        # `setup` creates only what is still missing (it looks before it adds).
        raise CommandError(
            tr(
                "Bitrix24 did not finish creating the fields ({reason}); run `desktop-sync "
                "setup` again: fields already created are kept and not made twice"
            ).format(reason=exc),
            Exit.PARTIAL,
        ) from None
    if as_json:
        emit_json({"created": created})
    elif created:
        echo(tr("Created in Bitrix24: {fields}.").format(fields=", ".join(created)))
    else:
        echo(tr("Bitrix24 already has every field desktop-sync needs."))


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_context
def check_cmd(ctx: Context, as_json: bool) -> None:
    """Connect to both systems: configuration, rights, what is missing and how to fix it."""
    from desktop_sync.engine.service import ConnectError

    try:
        checked = ask(ctx, lambda svc: svc.check())
    except ConnectError as exc:
        if as_json:
            emit_json({"ok": False, "message": said_here(exc) or str(exc)})
        raise
    problems = _check_problems(ctx.store.get(ctx.profile_name), checked)
    if as_json:
        emit_json(_check_json(checked, problems))
    else:
        _print_check(checked, problems)
    if problems:
        raise SystemExit(int(Exit.USAGE))


def _check_problems(profile: Profile, checked: Checked) -> list[str]:
    """What to fix, each in one line: 1C's, the CRM's, and the profile's stages."""
    onec, crm = checked.onec, checked.crm
    problems = [f"{tr('1C')}: {p.message}" for p in onec.problems]  # «1С» in Russian only
    problems += [
        tr("1C: the user cannot read {entity}").format(entity=e.entity)
        for e in onec.entities
        if e.published and not e.readable
    ]
    problems += [
        tr("1C: the user cannot write {entity}").format(entity=e.entity)
        for e in onec.entities
        if e.writable is False and e.published
    ]
    problems += [f"{tr('Bitrix24')}: {p}" for p in crm.problems]
    if not profile.stages.get("send"):
        problems.append(
            tr(
                "no CRM stage is chosen as “send to 1C”: desktop-sync profile set {name} "
                "stage.send <stage id>"
            ).format(name=profile.name)
        )
    known = {s.id for s in crm.stages}
    problems += [
        tr("stage.{meaning}: the CRM has no stage {stage}").format(meaning=m, stage=sid)
        for m, sid in profile.stages.items()
        if known and sid not in known
    ]
    return problems


def _check_json(checked: Checked, problems: list[str]) -> dict[str, Any]:
    onec, crm = checked.onec, checked.crm
    entity = "name=logical entity published readable writable rows_hidden"
    return {
        "ok": not problems,
        "onec": {
            "configuration": onec.configuration,
            "detected": onec.detected,
            "entities": [json_fields(e, entity) for e in onec.entities],
        },
        "crm": {
            **json_fields(
                crm,
                "user admin=is_admin scopes_missing custom_fields_missing "
                "inventory=inventory_management sees_everything",
            ),
            "stages": [{"id": s.id, "name": s.name} for s in crm.stages],
        },
        "problems": problems,
    }


def _print_check(checked: Checked, problems: list[str]) -> None:
    onec, crm = checked.onec, checked.crm
    echo(
        tr(
            "1C: configuration {configuration} (the base looks like {detected}), "
            "{n} objects checked"
        ).format(
            configuration=onec.configuration,
            detected=onec.detected or "—",
            n=len(onec.entities),
        )
    )
    echo(
        tr("Bitrix24: user {user}{admin}; stages: {stages}").format(
            user=crm.user or "—",
            admin=tr(" (administrator)") if crm.is_admin else "",
            stages=", ".join(f"{s.id} {s.name}" for s in crm.stages) or "—",
        )
    )
    if problems:
        echo(tr("To fix:"))
        for p in problems:
            echo(f"  • {p}")
    else:
        echo(tr("Everything is in place."))
