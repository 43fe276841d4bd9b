"""The main window's logic: profiles, reading, the plan, applying, inbox, journal, schedule.

Every call that touches the network, the keyring or the journal runs in a worker
(:class:`desktop_sync.gui.workers.Runner`, one thread: the service is used by one
task at a time). The GUI thread only builds widgets from the results.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, QSettings, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from desktop_sync.config import AppPaths, ConfigError, Profile, ProfileStore
from desktop_sync.engine.model import Outcome, Plan, Progress, RunSummary, Stage
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.readmodel import (
    COUNTERPARTY,
    INVOICE,
    PAYMENT,
    PRODUCT,
    Mark,
    Views,
    build_views,
    find_invoices,
)
from desktop_sync.gui import journal_names, labels
from desktop_sync.gui.controllers.history import History, HistoryDialog, history_task
from desktop_sync.gui.controllers.inbox import InboxWidget
from desktop_sync.gui.controllers.journal import JournalWidget, OpEntry, RunEntry, write_csv
from desktop_sync.gui.controllers.lookup import LookupWidget
from desktop_sync.gui.controllers.plan_review import PlanReviewDialog, PlanRow, plan_rows
from desktop_sync.gui.controllers.wizard import ConnectionWizard, ScheduleDialog
from desktop_sync.gui.gcpolicy import CollectorPolicy
from desktop_sync.gui.models.inbox_model import InboxEntry
from desktop_sync.gui.models.side_by_side import RowFilter
from desktop_sync.gui.resources import app_icon
from desktop_sync.gui.views.main_window import MainWindowView
from desktop_sync.gui.views.summary_dialog import SummaryDialog
from desktop_sync.gui.workers import Runner
from desktop_sync.i18n import LANG_ENV, language, ntr, set_language, tr

log = logging.getLogger(__name__)

_STAGE_TR = {
    Stage.CONNECT: lambda: tr("Connecting to both systems"),
    Stage.RESUME: lambda: tr("Finishing writes an earlier run left unfinished"),
    Stage.READ_ONEC: lambda: tr("Reading 1C"),
    Stage.READ_CRM: lambda: tr("Reading the CRM"),
    Stage.PLAN: lambda: tr("Working out what to change"),
    Stage.APPLY: lambda: tr("Applying the changes"),
    Stage.DONE: lambda: tr("Done"),
}


@dataclass
class Loaded:
    """What one read brings back to the GUI thread."""

    snapshot: Snapshot
    plan: Plan
    views: Views
    invoice_links: list[Any]
    inbox: list[InboxEntry]
    runs: list[RunEntry]
    read_at: dt.datetime
    plan_rows: dict[Any, list[PlanRow]]


def _journal_state(svc: Any) -> tuple[list[InboxEntry], list[RunEntry]]:
    inbox = [InboxEntry.from_row(r) for r in svc.journal.inbox()]
    runs = [RunEntry.from_row(r) for r in svc.journal.runs(limit=200)]
    return inbox, runs


def _marks(svc: Any, inbox: list[InboxEntry]) -> list[Mark]:
    marks = [Mark(e.entity_type, e.record_id, e.kind, f"{e.field}: {e.message}") for e in inbox]
    runs = svc.journal.runs(limit=1)
    if runs and runs[0].mode == "apply":
        for op in svc.journal.operations(runs[0].id):
            if op.state == "failed":
                for rid in (op.source_id, op.target_id):
                    if rid:
                        marks.append(Mark(op.entity_type, rid, "error", op.error or op.reason))
    return marks


@dataclass(frozen=True)
class _RecordRef:
    """What the history dialog needs of a record found from the journal, not a table."""

    onec_id: str | None
    crm_id: str | None
    onec: dict[str, str] | None
    crm: dict[str, str] | None
    key: str

    def state_text(self) -> str:
        return tr("Not in the tables now")


def status_line(pending: int, inbox: list[InboxEntry], plan: Plan) -> str:
    """What Synchronize will do, in the same numbers as the Inbox tab.

    The Inbox is the one list of what waits; the read finds items the journal does not
    hold yet, and says they join the Inbox with the next synchronisation.
    """
    waiting = {e.key for e in inbox}
    new = sum(1 for item in plan.items if item.key not in waiting)
    text = tr("{ops} changes are ready to apply. In the Inbox: {items}.").format(
        ops=pending, items=len(inbox)
    )
    if new:
        text += " " + tr("{new} more will join it when you synchronize.").format(new=new)
    return text


def _open_service(profile: Profile, paths: AppPaths) -> Any:
    from urllib.parse import urlsplit

    from desktop_sync.engine.service import SyncService

    # the demo's sandbox portal runs without rate limits: no client-side throttle either
    host = urlsplit(profile.crm_url).hostname or ""
    local_demo = profile.demo and host in ("127.0.0.1", "localhost", "::1")
    return SyncService.open(profile, paths, crm_throttle=not local_demo)


def _read_task(svc: Any, warehouse_map: dict[str, str]) -> Callable[..., Loaded]:
    """Read both systems and build everything the window shows, off the GUI thread."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> Loaded:
        snap, plan = svc.prepare(progress, cancel)
        inbox, runs = _journal_state(svc)
        links = {t: svc.journal.links(t) for t in (COUNTERPARTY, PRODUCT, INVOICE, PAYMENT)}
        views = build_views(snap, links, plan, _marks(svc, inbox), warehouse_map)
        return Loaded(snap, plan, views, links[INVOICE], inbox, runs,
                      dt.datetime.now().astimezone(), plan_rows(plan))  # fmt: skip

    return task


class MainController(QObject):
    def __init__(
        self,
        paths: AppPaths,
        profile_name: str | None = None,
        open_service: Callable[[Profile, AppPaths], Any] | None = None,
    ) -> None:
        """``open_service`` builds the service for a profile (default ``SyncService.open``)."""
        super().__init__()
        self.paths = paths
        self.open_service = open_service or _open_service
        self.settings = QSettings(str(paths.config_dir / "gui.ini"), QSettings.Format.IniFormat)
        self.window = MainWindowView()
        self.window.setWindowIcon(app_icon())
        self.runner = Runner(self)
        self.collector = CollectorPolicy(self)
        self.runner.busy_changed.connect(self.collector.set_busy)
        self.svc: Any = None
        self.profile: Profile | None = None
        self.snapshot: Snapshot | None = None
        self.plan: Plan | None = None
        self.invoice_links: list[Any] = []
        self.plan_dialog: PlanReviewDialog | None = None
        self.summary_dialog: SummaryDialog | None = None
        self.wizard: ConnectionWizard | None = None
        self.history_dialog: HistoryDialog | None = None
        self.schedule_dialog: ScheduleDialog | None = None
        self.last_summary: RunSummary | None = None
        self.last_notification: tuple[str, str] | None = None  # what the tray said last
        self.last_error = ""
        self._closing = False
        self._quit_when_idle = ""  # "close" | "quit": what to do once the worker stops
        self._refresh_pending = False  # a refresh asked for while the worker was busy
        self._summary_pending: RunSummary | None = None  # shown once the re-read is done

        w = self.window
        self.inbox = InboxWidget()
        self.journal = JournalWidget()
        self.lookup = LookupWidget()
        self.inbox_tab = w.add_tab(self.inbox, tr("Inbox"))
        self.journal_tab = w.add_tab(self.journal, tr("Journal"))
        self.lookup_tab = w.add_tab(self.lookup, tr("Invoice lookup"))
        self.lookup.finder = self._find_invoices

        w.act_refresh.triggered.connect(self.refresh)
        w.act_sync.triggered.connect(self.synchronize)
        w.sync_button.clicked.connect(self.synchronize)
        w.act_cancel.triggered.connect(self.cancel)
        w.cancel_button.clicked.connect(self.cancel)
        w.act_new_profile.triggered.connect(lambda: self.open_wizard(None))
        w.act_edit_profile.triggered.connect(lambda: self.open_wizard(self.profile))
        w.act_open_log.triggered.connect(self.open_log)
        w.act_quit.triggered.connect(self.quit)
        w.act_about.triggered.connect(self.about)
        w.act_schedule.triggered.connect(self.open_schedule)
        w.act_lang_ru.triggered.connect(lambda: self.set_language("ru"))
        w.act_lang_en.triggered.connect(lambda: self.set_language("en"))
        w.act_lang_ru.setChecked(language() == "ru")
        w.act_lang_en.setChecked(language() == "en")
        w.profile.currentIndexChanged.connect(self._profile_chosen)
        self.inbox.resolve_requested.connect(self.resolve)
        self.inbox.open_url.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))
        self.journal.run_selected.connect(self.load_operations)
        self.journal.export_requested.connect(lambda p: self.export_journal(Path(p)))
        self.journal.record_requested.connect(self.show_operation_history)
        self.runner.busy_changed.connect(self._busy_changed)

        f = w.filters
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self.apply_filters)
        f.search.textChanged.connect(lambda _t: self._filter_timer.start())
        f.counterparty.textChanged.connect(lambda _t: self._filter_timer.start())
        f.pending.toggled.connect(self.apply_filters)
        f.state.currentIndexChanged.connect(self.apply_filters)
        f.period.toggled.connect(self._period_toggled)
        f.date_from.dateChanged.connect(self.apply_filters)
        f.date_to.dateChanged.connect(self.apply_filters)
        w.tabs.currentChanged.connect(self._tab_changed)
        for i in range(len(MainWindowView.DATA_TABS)):
            w.tabs.setTabToolTip(i, tr("Double-click a row to see its history in the journal."))
        w.tables["stock"].notice_action.connect(
            lambda: self.open_wizard(self.profile, warehouses=True)
        )
        for table in w.tables.values():
            for view in table.views:
                view.doubleClicked.connect(
                    lambda index, m=table.model: self.show_history(m.row_at(index.row()))
                )

        self.schedule = QTimer(self)
        self.schedule.timeout.connect(self.scheduled_run)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self._make_tray()
        w.installEventFilter(self)
        self._busy_changed(False)
        self.load_profiles(profile_name)

    # -- profiles ------------------------------------------------------------------------

    def load_profiles(self, select: str | None = None) -> None:
        try:
            profiles = ProfileStore(self.paths.profiles_file).load()
        except ConfigError as exc:
            self.show_error(str(exc))
            profiles = {}
        combo = self.window.profile
        combo.blockSignals(True)
        combo.clear()
        for name in sorted(profiles):
            combo.addItem(name, name)
        combo.blockSignals(False)
        self.profiles = profiles
        if not profiles:
            self.window.show_message(
                tr("No connection yet. Choose Connection → New connection… to set one up."),
                "info",
            )
            self.window.sync_button.setEnabled(False)
            return
        if select not in profiles:
            select = str(self.settings.value("profile", "")) or None
        if select not in profiles:
            select = "default" if "default" in profiles else sorted(profiles)[0]
        combo.blockSignals(True)  # opened once, below, not also by the index change
        combo.setCurrentIndex(combo.findData(select))
        combo.blockSignals(False)
        self._profile_chosen()

    def _profile_chosen(self, *_: object) -> None:
        name = self.window.profile.currentData()
        if not name or name not in self.profiles:
            return
        self.open_profile(self.profiles[name])

    def open_profile(self, profile: Profile) -> None:
        old, self.svc = self.svc, None
        self.profile = profile
        self.snapshot = None
        self.plan = None
        self.window.demo_badge.setVisible(profile.demo)
        self.lookup.portal = profile.crm_url
        self.inbox.portal = profile.crm_url
        if not profile.demo:  # a demo's sandboxes end with it: never reopen it by default
            self.settings.setValue("profile", profile.name)
        self.window.onec_state.set_state("busy", tr("connecting…"))
        self.window.crm_state.set_state("busy", tr("connecting…"))
        self._setup_schedule()

        open_service = self.open_service

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> Any:
            if old is not None:
                old.close()
            svc = open_service(profile, self.paths)
            try:
                return svc, _journal_state(svc)
            except BaseException:
                svc.close()
                raise

        self.runner.start(task, name="open profile", on_done=self._opened,
                          on_failed=self._connect_failed)  # fmt: skip

    def _opened(self, result: Any) -> None:
        svc, (inbox, runs) = result
        if self.profile is None or svc.profile.uuid != self.profile.uuid:
            self.runner.start(lambda _p, _c: svc.close(), name="close")
            return
        self.svc = svc
        self._show_inbox(inbox)
        self.journal.set_runs(runs)
        self.window.sync_button.setEnabled(True)
        self.refresh()

    # -- reading -------------------------------------------------------------------------

    def refresh(self) -> None:
        if self.svc is None:
            return
        if self.runner.busy:  # run it once the worker is free: never dropped silently
            self._refresh_pending = True
            return
        self._refresh_pending = False
        svc = self.svc
        warehouse_map = dict(self.profile.warehouses) if self.profile else {}
        self._start_progress(tr("Reading both systems…"))
        self._set_phase("reading")
        self.runner.start(_read_task(svc, warehouse_map), name="refresh", on_done=self._loaded,
                          on_failed=self._connect_failed, on_progress=self._progress)  # fmt: skip

    def _set_phase(self, phase: str) -> None:
        """The tables' empty states and the status line follow what is happening now."""
        for table in self.window.tables.values():
            table.set_phase(phase)
        if phase == "reading":
            self.window.statusBar().showMessage(tr("Reading both systems…"))

    def _show_pending_summary(self) -> None:
        summary, self._summary_pending = self._summary_pending, None
        if summary is None:
            return
        dialog = SummaryDialog(summary, self.window)
        self.summary_dialog = dialog
        dialog.accepted.connect(lambda: self.window.tabs.setCurrentIndex(self.inbox_tab))
        dialog.open()

    def _stock_notice(self) -> None:
        stock = self.window.tables["stock"]
        if self.profile is not None and not self.profile.warehouses:
            stock.set_notice(
                tr(
                    "No 1C warehouse is mapped to a CRM store, so stock is not sent to the "
                    "CRM. Map the warehouses in the connection settings."
                ),
                tr("Map warehouses…"),
            )
        else:
            stock.set_notice("")

    def _loaded(self, loaded: Loaded) -> None:
        self._end_progress()
        self._stock_notice()
        self._set_phase("read")
        self.snapshot = loaded.snapshot
        self.plan = loaded.plan
        self.invoice_links = loaded.invoice_links
        self.window.onec_state.set_state("ok", tr("connected"))
        self.window.crm_state.set_state("ok", tr("connected"))
        self.set_views(loaded.views)
        self.journal.set_names(journal_names.namer(loaded.snapshot))
        self._show_inbox(loaded.inbox)
        self.journal.set_runs(loaded.runs)
        pending = len(loaded.plan.operations)
        self.window.last_read.setText(tr("Read at {time}").format(time=f"{loaded.read_at:%H:%M}"))
        if not self.last_error:
            self.window.show_message("")
        self.window.statusBar().showMessage(status_line(pending, loaded.inbox, loaded.plan))
        self.lookup.search()
        self._show_pending_summary()

    def set_views(self, views: Views) -> None:
        for key, table in zip(MainWindowView.DATA_TABS, views.tables(), strict=True):
            self.window.models[key].set_table(table)
        self._update_counts()

    def _connect_failed(self, message: str, exc: object) -> None:
        self._end_progress()
        self._set_phase("read" if self.snapshot is not None else "unread")
        self.window.statusBar().clearMessage()
        self._show_pending_summary()
        from desktop_sync.engine.service import ConnectError

        if isinstance(exc, ConnectError):
            text = str(exc)
            crm = "Битрикс24" in text or "Bitrix24" in text
            bad, other = (
                (self.window.crm_state, self.window.onec_state)
                if crm
                else (self.window.onec_state, self.window.crm_state)
            )
            bad.set_state("error", tr("cannot connect"))
            if other.state == "busy":
                other.set_state("unknown", tr("not checked"))
        else:
            for pill in (self.window.onec_state, self.window.crm_state):
                if pill.state == "busy":
                    pill.set_state("unknown", tr("not checked"))
        self.show_error(message)

    # -- synchronizing -------------------------------------------------------------------

    def synchronize(self) -> None:
        """Read both systems, then show the plan for review."""
        if self.svc is None or self.runner.busy or self.plan_dialog is not None:
            return
        svc = self.svc
        warehouse_map = dict(self.profile.warehouses) if self.profile else {}
        self._start_progress(tr("Reading both systems…"))
        self._set_phase("reading")
        self.last_error = ""
        self.runner.start(_read_task(svc, warehouse_map), name="synchronize", on_done=self._review,
                          on_failed=self._connect_failed, on_progress=self._progress)  # fmt: skip

    def _review(self, loaded: Loaded) -> None:
        self._loaded(loaded)
        dialog = PlanReviewDialog(loaded.plan, self.window, loaded.plan_rows)
        self.plan_dialog = dialog
        dialog.accepted.connect(lambda: self.apply(loaded.plan, dialog.excluded()))
        dialog.finished.connect(self._review_closed)
        dialog.open()

    def _review_closed(self, _result: int) -> None:
        if self.plan_dialog is not None:
            self.plan_dialog.deleteLater()
        self.plan_dialog = None

    def apply(self, plan: Plan, exclude: set[str], trigger: str = "manual") -> None:
        if self.svc is None:
            return
        svc = self.svc
        self._start_progress(tr("Applying the changes…"))
        self.window.statusBar().showMessage(tr("Applying the changes…"))

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> RunSummary:
            return svc.apply(plan, exclude, progress, cancel, trigger=trigger)

        self.runner.start(task, name="apply", on_done=self._applied,
                          on_failed=self._apply_failed, on_progress=self._progress)  # fmt: skip

    def _applied(self, summary: RunSummary) -> None:
        """The summary follows the re-read, so it and the tables tell the same story."""
        self._end_progress()
        self.last_summary = summary
        self._summary_pending = summary
        self.refresh()
        if self.svc is None:
            self._show_pending_summary()
            return
        self._start_progress(tr("Done; reading both systems again to show the result…"))
        self.window.statusBar().showMessage(
            tr("Done; reading both systems again to show the result…")
        )

    def _apply_failed(self, message: str, exc: object) -> None:
        self._end_progress()
        self.show_error(message)
        self.refresh()

    def cancel(self) -> None:
        if self.runner.busy:
            self.runner.cancel_all()
            self.window.progress_label.setText(tr("Cancelling… the current step finishes first."))
            self.window.cancel_button.setEnabled(False)

    # -- progress ------------------------------------------------------------------------

    def _start_progress(self, text: str) -> None:
        w = self.window
        w.progress_label.setText(text)
        w.progress.setRange(0, 0)
        w.cancel_button.setEnabled(True)
        w.progress_strip.show()

    def _end_progress(self) -> None:
        self.window.progress_strip.hide()

    def _progress(self, p: Any) -> None:
        w = self.window
        if isinstance(p, Progress):
            stage = _STAGE_TR.get(p.stage, lambda: str(p.stage))()
            if p.total:
                w.progress.setRange(0, p.total)
                w.progress.setValue(p.done)
                w.progress.setFormat(f"{p.done} / {p.total}")
            else:
                w.progress.setRange(0, 0)
            text = f"{stage}: {p.current}" if p.current else stage
            if w.cancel_button.isEnabled():
                w.progress_label.setText(text)
        elif isinstance(p, str):
            w.progress_label.setText(p)

    def _busy_changed(self, busy: bool) -> None:
        w = self.window
        ready = not busy and self.svc is not None
        w.sync_button.setEnabled(ready)
        w.act_sync.setEnabled(ready)
        w.act_refresh.setEnabled(ready)
        w.act_cancel.setEnabled(busy)
        w.profile.setEnabled(not busy)
        if not busy and self._refresh_pending and not self._quit_when_idle:
            QTimer.singleShot(0, self.refresh)  # after the callback that freed the worker
        if not busy and self._quit_when_idle:
            then = self.quit if self._quit_when_idle == "quit" else self.window.close
            self._quit_when_idle = ""
            QTimer.singleShot(0, then)

    # -- filters -------------------------------------------------------------------------

    def _period_toggled(self, on: bool) -> None:
        self.window.filters.date_from.setEnabled(on)
        self.window.filters.date_to.setEnabled(on)
        self.apply_filters()

    def current_filter(self) -> RowFilter:
        f = self.window.filters
        state = f.state.currentData()
        period = f.period.isChecked()

        def day(d: QDate) -> dt.date:
            return dt.date(d.year(), d.month(), d.day())

        return RowFilter(
            pending_only=f.pending.isChecked(),
            date_from=day(f.date_from.date()) if period else None,
            date_to=day(f.date_to.date()) if period else None,
            counterparty=f.counterparty.text().strip(),
            states=frozenset({state}) if state is not None else frozenset(),
            search=f.search.text().strip(),
        )

    def apply_filters(self, *_: object) -> None:
        self._filter_timer.stop()
        rf = self.current_filter()
        for model in self.window.models.values():
            model.set_filter(rf)
        self._update_counts()

    def _tab_changed(self, index: int) -> None:
        data_tab = index < len(MainWindowView.DATA_TABS)
        self.window.filters.setVisible(data_tab)
        self.window.filters.count.setVisible(data_tab)  # a data tab's rows, not the Inbox's
        self._update_counts()
        if index == self.lookup_tab:
            self.lookup.query.setFocus()

    def _update_counts(self) -> None:
        w = self.window
        index = w.tabs.currentIndex()
        if index >= len(MainWindowView.DATA_TABS):
            return
        model = w.models[MainWindowView.DATA_TABS[index]]
        waiting = model.waiting_count()
        w.filters.count.setText(
            tr(
                "{shown} of {total} rows · Synchronize will change {changes} · "
                "wait for you: {waiting}"
            ).format(
                shown=model.rowCount(),
                total=model.total_count(),
                changes=model.pending_count() - waiting,
                waiting=waiting,
            )
        )

    # -- inbox ---------------------------------------------------------------------------

    def _show_inbox(self, entries: list[InboxEntry]) -> None:
        self.inbox.set_entries(entries)
        n = len(entries)
        self.window.tabs.setTabText(
            self.inbox_tab, tr("Inbox ({n})").format(n=n) if n else tr("Inbox")
        )
        if self.tray is not None:
            self.tray.setToolTip(
                "desktop-sync: "
                + ntr("{n} item waits for you", "{n} items wait for you", n).format(n=n)
                if n
                else "desktop-sync"
            )

    def resolve(self, ids: list[int], action: str, value: object) -> None:
        if self.svc is None:
            return
        svc = self.svc
        by = ""

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> list[InboxEntry]:
            for item_id in ids:
                svc.resolve(item_id, action, value, by=by)
            return [InboxEntry.from_row(r) for r in svc.journal.inbox()]

        def done(entries: list[InboxEntry]) -> None:
            self._show_inbox(entries)
            self.window.show_message(
                ntr(
                    "{n} decision recorded; the next synchronisation carries it out.",
                    "{n} decisions recorded; the next synchronisation carries them out.",
                    len(ids),
                ).format(n=len(ids)),
                "info",
            )

        self.runner.start(task, name="resolve", on_done=done, on_failed=self._failed)

    # -- journal -------------------------------------------------------------------------

    def load_operations(self, run_id: int) -> None:
        if self.svc is None:
            return
        svc = self.svc

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> Any:
            return run_id, [OpEntry.from_row(o) for o in svc.journal.operations(run_id)]

        self.runner.start(task, name="operations",
                          on_done=lambda r: self.journal.set_operations(*r),
                          on_failed=self._failed)  # fmt: skip

    def export_journal(self, path: Path) -> None:
        run = self.journal.current_run
        if self.svc is None or run is None:
            return
        svc = self.svc

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> int:
            ops = [OpEntry.from_row(o) for o in svc.journal.operations(run.id)]
            return write_csv(path, run, ops)

        self.runner.start(task, name="export", on_failed=self._failed,
                          on_done=lambda n: self.window.show_message(
                              tr("{n} operations exported to {path}").format(n=n, path=path),
                              "info"))  # fmt: skip

    def show_history(self, row: Any) -> None:
        """Why is this number different? Every journalled change of the record."""
        if self.svc is None or self.runner.busy:
            return

        def done(history: History) -> None:
            dialog = HistoryDialog(history, self.window)
            self.history_dialog = dialog
            dialog.open()

        self.runner.start(history_task(self.svc, row), name="history", on_done=done,
                          on_failed=self._failed)  # fmt: skip

    def show_operation_history(self, op: Any) -> None:
        """Double-click in the journal: every journalled change of that operation's record."""
        ids = {i for i in (op.source_id, op.target_id) if i}
        for model in self.window.models.values():  # the record's row, when a table has it
            for row in model.table.rows:
                if ids & {row.onec_id, row.crm_id}:
                    self.show_history(row)
                    return
        name = self.journal.ops_model.namer(op)
        one, crm = (
            (op.target_id, op.source_id)
            if op.target_system == "onec"
            else (op.source_id, op.target_id)
        )
        self.show_history(_RecordRef(one or None, crm or None, {"name": name}, None, name))

    # -- lookup --------------------------------------------------------------------------

    def _find_invoices(self, query: str) -> list[Any]:
        if self.snapshot is None:
            return []
        return find_invoices(self.snapshot, self.invoice_links, query)

    # -- schedule and tray ---------------------------------------------------------------

    def _setup_schedule(self) -> None:
        minutes = self.profile.schedule_minutes if self.profile else 0
        if minutes > 0:
            self.schedule.start(minutes * 60_000)
        else:
            self.schedule.stop()

    def scheduled_run(self) -> None:
        """A scheduled run applies what needs no person; never two runs at once."""
        if self.svc is None or self.runner.busy or self.plan_dialog is not None:
            log.info("scheduled run skipped: another run is going")
            return
        svc = self.svc

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> RunSummary:
            summary, _plan = svc.run(progress, cancel, trigger="schedule")
            return summary

        self._start_progress(tr("Automatic synchronisation…"))
        self.runner.start(task, name="scheduled run", on_done=self._scheduled_done,
                          on_failed=self._scheduled_failed, on_progress=self._progress)  # fmt: skip

    def _scheduled_done(self, summary: RunSummary) -> None:
        self._end_progress()
        self.last_summary = summary
        waiting = summary.counts.get("conflict", 0) + summary.counts.get("attention", 0)
        if summary.outcome in (Outcome.PARTIAL, Outcome.CANNOT_CONNECT) or waiting:
            title = (
                ntr("{n} item waits for you in the Inbox", "{n} items wait for you in the Inbox",
                    waiting).format(n=waiting)
                if waiting and summary.outcome not in (Outcome.PARTIAL, Outcome.CANNOT_CONNECT)
                else labels.outcome(summary.outcome)
            )  # fmt: skip
            self.notify(
                title,
                tr("Applied: {a}. Failed: {f}. Wait for you: {w}.").format(
                    a=summary.counts.get("applied", 0), f=summary.counts.get("failed", 0),
                    w=waiting)
                + (" " + tr("Click to open the Inbox.") if waiting else ""),
            )  # fmt: skip
        self.refresh()

    def _scheduled_failed(self, message: str, exc: object) -> None:
        self._end_progress()
        self.notify(tr("Automatic synchronisation did not run"), message)
        self.show_error(message)

    def _make_tray(self) -> None:
        from PySide6.QtWidgets import QMenu

        tray = QSystemTrayIcon(app_icon(), self)
        menu = QMenu()
        menu.addAction(tr("Open"), self.show_window)
        menu.addAction(tr("Synchronize now"), self._sync_from_tray)
        menu.addSeparator()
        menu.addAction(tr("Quit"), self.quit)
        tray.setContextMenu(menu)
        self._tray_menu = menu
        tray.activated.connect(lambda _r: self.show_window())
        tray.messageClicked.connect(self.open_inbox)  # the notification says what waits
        tray.setToolTip("desktop-sync")
        tray.show()
        self.tray = tray

    def _sync_from_tray(self) -> None:
        self.show_window()
        self.synchronize()

    def open_inbox(self) -> None:
        self.show_window()
        self.window.tabs.setCurrentIndex(self.inbox_tab)

    def notify(self, title: str, text: str) -> None:
        self.last_notification = (title, text)
        if self.tray is not None:
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10_000)

    def show_window(self) -> None:
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    # -- errors, settings, closing -------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.last_error = message
        self.window.show_message(message, "error")

    def _failed(self, message: str, exc: object) -> None:
        self.show_error(message)

    def open_log(self) -> None:
        from desktop_sync.logsetup import current_log_file

        where = current_log_file() or self.paths.gui_log_file
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(where)))

    def about(self) -> None:
        from desktop_sync import __version__

        QMessageBox.about(
            self.window, tr("About desktop-sync"),
            tr("desktop-sync {version}: supervised synchronisation of 1C and Bitrix24.").format(
                version=__version__),
        )  # fmt: skip

    def set_language(self, lang: str) -> None:
        """Saved for the next start, and said so; nothing switches half-way now.

        Menus, tables, dialogs and the journal's words all change together when the
        window opens again: a window half in one language and half in the other is
        worse than a restart.
        """
        self.settings.setValue("language", lang)
        self.window.act_lang_ru.setChecked(lang == "ru")
        self.window.act_lang_en.setChecked(lang == "en")
        if lang == language():
            self.window.show_message("")
            return
        if os.environ.get(LANG_ENV, "").strip():
            self.window.show_message(
                tr(
                    "This computer's settings fix the language of desktop-sync; "
                    "ask whoever installed it to change them."
                ),
                "info",
            )
            return
        self.window.show_message(tr("The language changes the next time the window opens."), "info")

    def open_wizard(self, profile: Profile | None, warehouses: bool = False) -> None:
        """The connection wizard; ``warehouses``: straight to the warehouse mapping."""
        wizard = ConnectionWizard(
            self.paths, self.runner, profile, self.window, frozenset(self.profiles)
        )
        self.wizard = wizard
        wizard.saved.connect(self._wizard_saved)
        wizard.finished.connect(lambda _r: self._wizard_closed(wizard))
        if warehouses and profile is not None:
            wizard.go_to_warehouses()
        wizard.open()

    def _wizard_closed(self, wizard: ConnectionWizard) -> None:
        if self.wizard is wizard:
            self.wizard = None

    def open_schedule(self) -> None:
        """A dialog of its own: how often, and at logon."""
        if self.profile is None:
            self.open_wizard(None)
            return
        dialog = ScheduleDialog(self.paths, self.runner, self.profile, self.window)
        self.schedule_dialog = dialog
        dialog.saved.connect(self._schedule_saved)
        dialog.finished.connect(lambda _r: setattr(self, "schedule_dialog", None))
        dialog.open()

    def _schedule_saved(self, name: str) -> None:
        try:
            self.profiles = ProfileStore(self.paths.profiles_file).load()
        except ConfigError as exc:
            self.show_error(str(exc))
            return
        if self.profile is not None and name == self.profile.name and name in self.profiles:
            self.profile = self.profiles[name]  # the service keeps its connection
            self._setup_schedule()
            minutes = self.profile.schedule_minutes
            self.window.show_message(
                ntr(
                    "Synchronised automatically every {n} minute.",
                    "Synchronised automatically every {n} minutes.",
                    minutes,
                ).format(n=minutes)
                if minutes
                else tr("Automatic synchronisation is off."),
                "info",
            )

    def _wizard_saved(self, name: str) -> None:
        self.load_profiles(name)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close and not self._closing:
            if self.tray is not None and self.schedule.isActive():
                self.window.hide()
                self.notify(
                    tr("desktop-sync keeps running"),
                    tr("Automatic synchronisation goes on; the tray icon opens the window."),
                )
                event.ignore()
                return True
            if self.runner.busy:  # never block the window on a request in flight
                self._quit_when_idle = "close"
                self.cancel()
                self.window.show_message(
                    tr("Finishing the current step, then the window closes."), "info"
                )
                event.ignore()
                return True
            self.shutdown()
        return super().eventFilter(obj, event)

    def quit(self) -> None:
        if self.runner.busy:
            self._quit_when_idle = "quit"
            self.cancel()
            return
        self.shutdown()
        self._closing = True
        self.window.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def shutdown(self) -> None:
        """Cancel what runs, wait for it, close the service. Safe to call twice."""
        self._closing = True
        self.schedule.stop()
        self.runner.wait(30_000)
        if self.svc is not None:
            try:
                self.svc.close()
            except Exception:
                log.exception("closing the service")
            self.svc = None
        if self.tray is not None:
            self.tray.hide()
        self.collector.stop()


def apply_saved_language(paths: AppPaths) -> None:
    """The language chosen in the window, unless DESKTOP_SYNC_LANG says otherwise."""
    if os.environ.get(LANG_ENV, "").strip():
        return  # the environment wins (an integrator's choice, a test's)
    settings = QSettings(str(paths.config_dir / "gui.ini"), QSettings.Format.IniFormat)
    lang = str(settings.value("language", "") or "")
    if lang in ("ru", "en"):
        set_language(lang)


__all__ = ["MainController", "apply_saved_language"]
