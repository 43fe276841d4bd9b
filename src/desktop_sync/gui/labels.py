"""Words for the engine's codes (flows, operation kinds, outcomes), in the user's language."""

from __future__ import annotations

from desktop_sync.engine.records import Flow, OpKind, Outcome, System
from desktop_sync.i18n import N_, tr

_FLOWS = {
    Flow.F1: N_("Invoices from the CRM to 1C"),
    Flow.F2: N_("Later changes of invoices"),
    Flow.F3: N_("Payments from 1C to the CRM"),
    Flow.F4: N_("Shipments and returns from 1C to the CRM"),
    Flow.F5: N_("Products from 1C to the CRM"),
    Flow.F6: N_("Stock from 1C to the CRM"),
    Flow.F7: N_("Counterparties (both ways)"),
    Flow.F8: N_("Invoices issued in 1C to the CRM"),
    Flow.F10: N_("Closing documents: sales documents in 1C at the CRM's request"),
    Flow.F11: N_("Printed invoices (PDF) to the CRM"),
}
_KINDS = {
    OpKind.CREATE: N_("Create"),
    OpKind.UPDATE: N_("Update"),
    OpKind.LINK: N_("Link"),
    OpKind.POST: N_("Post"),
    OpKind.SET_PAYMENT_STATE: N_("Update payments"),
    OpKind.SET_SHIPMENT_STATE: N_("Update shipment"),
    OpKind.MOVE_STOCK: N_("Move stock"),
    OpKind.TIMELINE: N_("Add to the timeline"),
}
_OUTCOMES = {
    "done": N_("Done"),
    "waiting": N_("Done; items wait for a person"),
    "partial": N_("Partly failed; the next run resumes"),
    "cannot_connect": N_("Could not connect"),
    "cancelled": N_("Cancelled"),
    "running": N_("Running"),
    "crashed": N_("Interrupted"),
}
_STATES = {
    "planned": N_("Planned"),
    "sending": N_("Sending"),
    "applied": N_("Applied"),
    "outcome_unknown": N_("Outcome unknown"),
    "failed": N_("Failed"),
    "skipped": N_("Skipped"),
    "waiting": N_("Waiting"),
}
_MODES = {"apply": N_("Synchronization"), "dry_run": N_("Dry run")}
_TRIGGERS = {"manual": N_("by hand"), "schedule": N_("on schedule"), "cli": N_("command line")}


def flow(f: Flow | str) -> str:
    try:
        return tr(_FLOWS[Flow(f)])
    except ValueError:
        return str(f)


def kind(k: OpKind | str) -> str:
    try:
        return tr(_KINDS[OpKind(k)])
    except ValueError:
        return str(k)


def target(s: System | str) -> str:
    return tr("in 1C") if str(s) == System.ONEC.value else tr("in the CRM")


def outcome(o: Outcome | str) -> str:
    return tr(_OUTCOMES.get(str(o), str(o)))


def op_state(s: str) -> str:
    return tr(_STATES.get(s, s))


def mode(m: str) -> str:
    return tr(_MODES.get(m, m))


def trigger(t: str) -> str:
    return tr(_TRIGGERS.get(t, t))
