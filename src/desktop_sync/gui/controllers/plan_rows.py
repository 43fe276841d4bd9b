"""The plan review's rows: each operation's texts, built off the GUI thread.

The read's worker calls :func:`plan_rows` (pure Python, no Qt), so opening the review
only makes tree items of finished strings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from desktop_sync.engine.records import Flow, Operation, Plan
from desktop_sync.gui import fmt, labels
from desktop_sync.i18n import tr

_MONEY_FIELDS = frozenset({"price", "total", "amount", "paid", "outstanding", "opportunity"})


def _value(field_name: str, v: Any) -> str:
    """A value as the person writes it; a price kept as text (32401.63) as money."""
    if field_name in _MONEY_FIELDS and isinstance(v, str):
        try:
            return fmt.money(Decimal(v))
        except ArithmeticError:
            return fmt.value(v)
    return fmt.value(v)


def _changes_text(op: Operation) -> str:
    if not op.changes:
        return tr("new record") if op.kind.value == "create" else ""
    return "; ".join(
        f"{c.label}: {_value(c.field, c.before)} → {_value(c.field, c.after)}" for c in op.changes
    )


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One row's texts, computed off the GUI thread (see :func:`plan_rows`).

    ``companions``: operations shown and ticked with this one (the 1C number written
    back to the CRM invoice that this row creates in 1C)."""

    op_id: str
    record: str
    what: str
    reason: str
    changes: str
    kind: str = ""
    target: str = ""
    amount: Decimal | None = None
    companions: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        """What the search box looks in, lower case."""
        return f"{self.record}\n{self.what}\n{self.reason}\n{self.changes}".casefold()


def _reason(op: Operation) -> str:
    """The reason without the record's name in front: the name has its own column."""
    label = op.record_label
    for sep in (": ", " — ", " - "):
        if label and op.reason.startswith(label + sep):
            return op.reason[len(label) + len(sep) :]
    return op.reason


def _amount(op: Operation) -> Decimal | None:
    """The money an operation concerns, for a section's sum: an invoice's total."""
    invoice = getattr(op.payload, "invoice", None)
    total = getattr(invoice, "total", None)
    if isinstance(total, Decimal):
        return total
    value = getattr(op.payload, "total", None)
    return value if isinstance(value, Decimal) else None


def _companion_of(op: Operation, ids: set[str]) -> str | None:
    """The operation this one only completes (the number back after the create)."""
    parent = getattr(op.payload, "from_op", None)
    if isinstance(parent, str) and parent in ids and op.depends_on == (parent,):
        return parent
    return None


def plan_rows(plan: Plan) -> dict[Flow, list[PlanRow]]:
    """The review's rows by flow. Pure Python: the read worker calls it."""
    ids = {op.op_id for op in plan.operations}
    companions: dict[str, list[Operation]] = {}
    for op in plan.operations:
        parent = _companion_of(op, ids)
        if parent is not None:
            companions.setdefault(parent, []).append(op)
    carried = {c.op_id for cs in companions.values() for c in cs}
    out: dict[Flow, list[PlanRow]] = {}
    for flow, ops in sorted(plan.by_flow().items()):
        rows = []
        for op in ops:
            if op.op_id in carried:
                continue
            with_it = companions.get(op.op_id, [])
            what = f"{labels.kind(op.kind)} {labels.target(op.target)}"
            reason, changes = _reason(op), _changes_text(op)
            if with_it:
                what = tr("{what}; the 1C number to the CRM").format(what=what)
                reason = "; ".join([reason, *(_reason(c) for c in with_it)])
                changes = "; ".join(t for t in [changes, *map(_changes_text, with_it)] if t)
            rows.append(
                PlanRow(op.op_id, op.record_label, what, reason, changes, op.kind.value,
                        op.target.value, _amount(op), tuple(c.op_id for c in with_it))
            )  # fmt: skip
        if rows:
            out[flow] = rows
    return out


def section_title(flow: Flow, rows: list[PlanRow]) -> str:
    """«Invoices from the CRM to 1C (12) · create: 10, update: 2 · sum: 1 234,00 ₽»."""
    counts = Counter(r.kind for r in rows)
    kinds = ", ".join(
        f"{labels.kind(k).lower()}: {n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])
    )
    text = f"{labels.flow(flow)} ({len(rows)}) · {kinds}"
    amounts = [r.amount for r in rows if r.amount is not None]
    if amounts:
        text += " · " + tr("sum: {amount}").format(amount=fmt.money(sum(amounts, Decimal(0))))
    return text
