"""The plan review's pane under its tree: the selected operation or waiting item whole.

At 1366×768 the review's Record, Why and Before → after columns are cut («найден в
каталоге CRM (по отметке обмена каталогом с 1С); …»); the pane says each field in full,
a change a line, for the one row selected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_sync.engine.records import Item, ItemKind
from desktop_sync.gui import fmt
from desktop_sync.gui.views.detail_pane import fields_html
from desktop_sync.i18n import tr

if TYPE_CHECKING:
    from desktop_sync.gui.controllers.plan_rows import PlanRow


def operation_html(row: PlanRow, section: str) -> str:
    """An operation: its record, the section it is in, what, why, each change a line."""
    return fields_html(
        row.record,
        section,
        [
            (tr("What will be done"), row.what),
            (tr("Why"), row.reason),
            (tr("Before → after"), "\n" + row.changes.replace("; ", "\n") if row.changes else ""),
        ],
    )


def waiting_cells(item: Item) -> list[str]:
    """An item's row in the tree: its record, kind and field, what is wrong, the values."""
    kind = tr("Conflict") if item.kind is ItemKind.CONFLICT else tr("Needs attention")
    values = ""
    if item.kind is ItemKind.CONFLICT:
        values = tr("1C: {onec}; CRM: {crm}").format(
            onec=fmt.value(item.onec_value), crm=fmt.value(item.crm_value)
        )
    return [item.record_label, f"{kind}: {item.field}", item.message, values]


def waiting_html(item: Item) -> str:
    """An item the plan leaves to a person: what is wrong, the values, what to do."""
    kind = tr("Conflict") if item.kind is ItemKind.CONFLICT else tr("Needs attention")
    fields = [(tr("What is wrong"), item.message)]
    if item.kind is ItemKind.CONFLICT:
        fields += [
            (tr("1C value"), fmt.value(item.onec_value)),
            (tr("CRM value"), fmt.value(item.crm_value)),
        ]
    fields.append((tr("What to do"), item.action))
    return fields_html(item.record_label, f"{kind}: {item.field}", fields)


def section_html(title: str) -> str:
    """A section's title (its counts and sum), whole."""
    return fields_html(title, "", [])
