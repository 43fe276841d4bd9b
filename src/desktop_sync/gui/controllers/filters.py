"""The filter bar over the side-by-side tables: search, counterparty, period, state, and the
line that counts what the current tab shows."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QObject

from desktop_sync.gui.debounce import debounced
from desktop_sync.gui.models.side_by_side import RowFilter
from desktop_sync.gui.views.main_window import MainWindowView
from desktop_sync.i18n import tr


def _day(d: QDate) -> dt.date:
    return dt.date(d.year(), d.month(), d.day())


class TableFilters(QObject):
    """Typing waits 150 ms before filtering (one filter per pause, not per key)."""

    def __init__(self, window: MainWindowView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        f = window.filters
        self.timer = debounced(self, 150, self.apply)
        f.search.textChanged.connect(lambda _t: self.timer.start())
        f.counterparty.textChanged.connect(lambda _t: self.timer.start())
        f.pending.toggled.connect(self.apply)
        f.state.currentIndexChanged.connect(self.apply)
        f.record.currentIndexChanged.connect(self.apply)
        f.period.toggled.connect(self._period_toggled)
        f.date_from.dateChanged.connect(self.apply)
        f.date_to.dateChanged.connect(self.apply)

    def _period_toggled(self, on: bool) -> None:
        self.window.filters.date_from.setEnabled(on)
        self.window.filters.date_to.setEnabled(on)
        self.apply()

    def current(self) -> RowFilter:
        f = self.window.filters
        state = f.state.currentData()
        period = f.period.isChecked()
        return RowFilter(
            pending_only=f.pending.isChecked(),
            date_from=_day(f.date_from.date()) if period else None,
            date_to=_day(f.date_to.date()) if period else None,
            counterparty=f.counterparty.text().strip(),
            states=frozenset({state}) if state is not None else frozenset(),
            search=f.search.text().strip(),
            record=str(f.record.currentData() or ""),
        )

    def apply(self, *_: object) -> None:
        self.timer.stop()
        rf = self.current()
        for model in self.window.models.values():
            model.set_filter(rf)
        self.update_counts()

    def show_for_tab(self, index: int) -> None:
        """The bar and its count belong to the data tabs, not the Inbox or the Journal."""
        data_tab = index < len(MainWindowView.DATA_TABS)
        self.window.filters.setVisible(data_tab)
        self.window.filters.count.setVisible(data_tab)
        self.window.filters.record.setVisible(index == 0)  # the invoices tab (F9: deals)
        self.update_counts()

    def update_counts(self) -> None:
        w = self.window
        index = w.tabs.currentIndex()
        if index >= len(MainWindowView.DATA_TABS):
            return
        model = w.models[MainWindowView.DATA_TABS[index]]
        waiting = model.waiting_count()
        # this tab's rows, named so: the line on the left counts the plan's changes on
        # every tab (85 changes, of which this tab's 10 rows take some)
        w.filters.count.setText(
            tr(
                "{tab}: {shown} of {total} rows · to change: {changes} · wait for you: {waiting}"
            ).format(
                tab=w.tabs.tabText(index).replace("&", ""),
                shown=model.rowCount(),
                total=model.total_count(),
                changes=model.pending_count() - waiting,
                waiting=waiting,
            )
        )
