"""The side-by-side model: native sorting, filters, 100,000 rows opening at once."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from desktop_sync.gui.models.side_by_side import (
    RowFilter,
    RowRole,
    SideBySideModel,
    SortRole,
)
from desktop_sync.gui.views.side_by_side_view import SideBySideView
from desktop_sync.readmodel import INVOICE_COLUMNS, Row, SyncState, Table

D = Decimal
STATES = list(SyncState)


def _row(i: int, total: str, number: str | None = None, state: SyncState = SyncState.IN_SYNC,
         day: int = 1, cp: str = "ООО «Ромашка»") -> Row:  # fmt: skip
    values = {
        "number": number or str(i),
        "date": dt.date(2026, 1, day),
        "counterparty": cp,
        "total": D(total),
        "paid": D("0.00"),
        "outstanding": D(total),
        "stage": "Новый",
        "shipped": D("0.00"),
    }
    return Row(f"r{i}", values, dict(values) if state is not SyncState.ONLY_ONEC else None,
               state, date=values["date"], counterparty=cp,
               search=f"{number or i} {cp} {total}".casefold())  # fmt: skip


def _table(rows: list[Row]) -> Table:
    return Table("invoice", INVOICE_COLUMNS, tuple(rows))


def _column(model: SideBySideModel, key: str, side: int = 0) -> int:
    keys = [c.key for c in INVOICE_COLUMNS]
    return keys.index(key) if side == 0 else len(keys) + 1 + keys.index(key)


def test_sort_on_decimal_not_on_text(qtbot) -> None:
    model = SideBySideModel(_table([_row(1, "9.50"), _row(2, "10.00"), _row(3, "1000.00"),
                                    _row(4, "-5.00")]))  # fmt: skip
    col = _column(model, "total")
    model.sort(col, Qt.SortOrder.AscendingOrder)
    natives = [model.data(model.index(r, col), SortRole) for r in range(model.rowCount())]
    assert natives == [D("-5.00"), D("9.50"), D("10.00"), D("1000.00")]
    assert all(isinstance(v, Decimal) for v in natives)
    model.sort(col, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, col), SortRole) == D("1000.00")
    # what is shown is formatted money, right-aligned
    assert model.data(model.index(0, col), Qt.ItemDataRole.DisplayRole).endswith("₽")
    assert model.data(model.index(0, col), Qt.ItemDataRole.TextAlignmentRole) & int(
        Qt.AlignmentFlag.AlignRight
    )


def test_sort_numbers_naturally_and_dates_natively(qtbot) -> None:
    model = SideBySideModel(_table([_row(1, "1", "СЧ-10", day=3), _row(2, "1", "СЧ-2", day=1),
                                    _row(3, "1", "СЧ-1", day=2)]))  # fmt: skip
    col = _column(model, "number")
    model.sort(col, Qt.SortOrder.AscendingOrder)
    shown = [model.data(model.index(r, col)) for r in range(3)]
    assert shown == ["СЧ-1", "СЧ-2", "СЧ-10"]
    model.sort(_column(model, "date"), Qt.SortOrder.AscendingOrder)
    assert [model.row_at(r).key for r in range(3)] == ["r2", "r3", "r1"]


def test_empty_cells_sort_last_and_state_by_weight(qtbot) -> None:
    rows = [
        _row(1, "5", state=SyncState.ONLY_ONEC),
        _row(2, "7"),
        _row(3, "1", state=SyncState.CONFLICT),
    ]
    model = SideBySideModel(_table(rows))
    crm_total = _column(model, "total", side=1)
    model.sort(crm_total, Qt.SortOrder.AscendingOrder)
    assert model.row_at(2).key == "r1"  # no CRM side
    model.sort(model.state_column, Qt.SortOrder.DescendingOrder)
    assert model.row_at(0).state is SyncState.CONFLICT
    text = model.data(model.index(0, model.state_column))
    assert "Conflict" in text  # the state is said in words, not only by colour
    assert (
        model.data(model.index(0, model.state_column), Qt.ItemDataRole.ForegroundRole) is not None
    )


def test_filters(qtbot) -> None:
    rows = [
        _row(1, "100", state=SyncState.IN_SYNC, day=5, cp="ООО «Ромашка»"),
        _row(2, "200", state=SyncState.WILL_CHANGE, day=10, cp="АО «Север»"),
        _row(3, "300", state=SyncState.CONFLICT, day=20, cp="ООО «Ромашка»"),
        _row(4, "400", state=SyncState.DIFFERS, day=25, cp="ИП Петров"),
    ]
    model = SideBySideModel(_table(rows))
    keys = lambda: [model.row_at(r).key for r in range(model.rowCount())]  # noqa: E731
    model.set_filter(RowFilter(pending_only=True))
    assert keys() == ["r2", "r3"]  # a difference Synchronize leaves is not "to act on"
    model.set_filter(RowFilter(date_from=dt.date(2026, 1, 6), date_to=dt.date(2026, 1, 15)))
    assert keys() == ["r2"]
    model.set_filter(RowFilter(counterparty="ромашка"))
    assert keys() == ["r1", "r3"]
    model.set_filter(RowFilter(states=frozenset({SyncState.CONFLICT})))
    assert keys() == ["r3"]
    model.set_filter(RowFilter(search="СЕВЕР"))
    assert keys() == ["r2"]
    model.set_filter(RowFilter())
    assert model.rowCount() == 4 and model.total_count() == 4 and model.pending_count() == 2
    assert model.waiting_count() == 1
    assert model.data(model.index(0, 0), RowRole) is rows[0]


def _big(n: int) -> Table:
    rows = []
    for i in range(n):
        state = STATES[i % len(STATES)]
        total = D(i * 37 % 100_000) / 100
        values = {"number": f"СЧ-{i}", "date": dt.date(2020, 1, 1) + dt.timedelta(days=i % 2000),
                  "counterparty": f"Контрагент {i % 500}", "total": total, "paid": D(0),
                  "outstanding": total, "stage": "Новый", "shipped": D(0)}  # fmt: skip
        search = values["number"].casefold()
        rows.append(Row(f"r{i}", values, values, state, date=values["date"],
                        counterparty=values["counterparty"], search=search))  # fmt: skip
    return _table(rows)


def test_100k_rows_open_sort_and_filter_at_once(qtbot) -> None:
    table = _big(100_000)
    model = SideBySideModel()
    view = SideBySideView(model)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    t0 = time.perf_counter()
    model.set_table(table)
    qtbot.waitExposed(view)
    view.right.scrollToBottom()
    view.repaint()
    opened = time.perf_counter() - t0
    assert model.rowCount() == 100_000
    # aligned: scrolling the CRM side scrolled the 1C side
    assert view.left.verticalScrollBar().value() == view.right.verticalScrollBar().value() > 0
    t1 = time.perf_counter()
    model.sort(_column(model, "total"), Qt.SortOrder.DescendingOrder)
    sorted_in = time.perf_counter() - t1
    t2 = time.perf_counter()
    model.set_filter(RowFilter(pending_only=True, search="сч-9"))
    filtered_in = time.perf_counter() - t2
    assert 0 < model.rowCount() < 100_000
    # generous bounds (shared CI machines); typical: 0.05 s, 0.3 s, 0.05 s
    assert opened < 1.5, opened
    assert sorted_in < 3.0, sorted_in
    assert filtered_in < 1.5, filtered_in


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_money_and_dates_follow_the_language(qtbot, lang: str) -> None:
    from desktop_sync.i18n import language, set_language

    before = language()
    set_language(lang)
    try:
        model = SideBySideModel(_table([_row(1, "1234567.89", day=16)]))
        money = model.data(model.index(0, _column(model, "total")))
        date = model.data(model.index(0, _column(model, "date")))
        if lang == "ru":
            assert money == "1\u00a0234\u00a0567,89\u00a0₽" and date == "16.01.2026"
        else:
            assert money == "1,234,567.89\u00a0₽" and date == "2026-01-16"
    finally:
        set_language(before)
