"""The status line counts what joins the Inbox in Russian plural forms."""

from __future__ import annotations

from desktop_sync.engine.records import Flow, Item, ItemKind, Plan
from desktop_sync.gui.controllers.reading import status_line
from desktop_sync.i18n import set_language


def _plan(n: int) -> Plan:
    items = tuple(
        Item(f"F5:name:{k}", ItemKind.ATTENTION, Flow.F5, "product", str(k), "Бумага", "", "м")
        for k in range(n)
    )
    return Plan(operations=(), items=items)


def test_one_more_joins_the_inbox_in_the_singular() -> None:
    set_language("ru")
    try:
        words = {n: status_line(3, [], _plan(n)) for n in (1, 2, 5)}
    finally:
        set_language("en")
    assert words[1].endswith("Ещё 1 попадёт туда при синхронизации.")
    assert words[2].endswith("Ещё 2 попадут туда при синхронизации.")
    assert words[5].endswith("Ещё 5 попадут туда при синхронизации.")
