"""The main window's logic: profiles, reading, the plan, applying, inbox, journal.

Every call that touches the network, the keyring or the journal runs in a worker
(:class:`desktop_sync.gui.workers.Runner`, one thread: the service is used by one
task at a time), and everything the window shows of a read is built there too
(:mod:`.reading`); the GUI thread only hands finished tables to its views. The
schedule, the tray, the language menu, the progress strip and the filter bar are
small classes of their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from desktop_sync.config import AppPaths, ConfigError, Profile
from desktop_sync.engine.profiles_door import ProfilesDoor
from desktop_sync.engine.records import (
    InboxRecord,
    LinkValues,
    Plan,
    RunSummary,
    Snapshot,
)
from desktop_sync.engine.service import ConnectError, SyncService
from desktop_sync.gui.controllers import help as help_menu
from desktop_sync.gui.controllers import reading
from desktop_sync.gui.controllers.filters import TableFilters
from desktop_sync.gui.controllers.inbox import InboxWidget
from desktop_sync.gui.controllers.inbox_actions import InboxActions
from desktop_sync.gui.controllers.journal import JournalWidget, RunEntry
from desktop_sync.gui.controllers.journal_actions import JournalActions
from desktop_sync.gui.controllers.language import LanguageMenu, apply_saved_language, gui_settings
from desktop_sync.gui.controllers.lookup import LookupWidget
from desktop_sync.gui.controllers.lookup_print import LookupPrinting
from desktop_sync.gui.controllers.plan_review import PlanReviewDialog
from desktop_sync.gui.controllers.progress import ProgressStrip
from desktop_sync.gui.controllers.reading import Loaded, status_line
from desktop_sync.gui.controllers.schedule import ScheduleDialog, Scheduler
from desktop_sync.gui.controllers.tray import Tray
from desktop_sync.gui.controllers.wizard import ConnectionWizard
from desktop_sync.gui.gcpolicy import CollectorPolicy
from desktop_sync.gui.release import Release
from desktop_sync.gui.resources import app_icon
from desktop_sync.gui.views.main_window import MainWindowView
from desktop_sync.gui.views.summary_dialog import SummaryDialog
from desktop_sync.gui.workers import AFTER_PAINT_MS, REPAINT_FIRST_MS, Runner
from desktop_sync.i18n import tr
from desktop_sync.readmodel import Views

log = logging.getLogger(__name__)

OpenService = Callable[[Profile, AppPaths], SyncService]
Opened = tuple[SyncService, tuple[list[InboxRecord], list[RunEntry]]]


class MainController(QObject):
    def __init__(
        self, paths: AppPaths, profile_name: str | None = None,
        open_service: OpenService | None = None,
    ) -> None:  # fmt: skip
        """``open_service`` builds the service for a profile (default ``SyncService.open``)."""
        super().__init__()
        self.paths = paths
        self.open_service = open_service or reading.open_service
        self.settings = gui_settings(paths)
        self.window = w = MainWindowView()
        w.setWindowIcon(app_icon())
        self.runner = Runner(self)
        self.collector = CollectorPolicy(self)
        self.release = Release(self)  # the previous read, freed a piece at a time
        self.shown: Loaded | None = None
        self.runner.busy_changed.connect(self.collector.set_busy)
        self.svc: SyncService | None = None
        self.profile: Profile | None = None
        self.profiles: dict[str, Profile] = {}
        self.snapshot: Snapshot | None = None
        self.plan: Plan | None = None
        self.invoice_links: list[LinkValues] = []
        self.plan_dialog: PlanReviewDialog | None = None
        self.summary_dialog: SummaryDialog | None = None
        self.wizard: ConnectionWizard | None = None
        self.schedule_dialog: ScheduleDialog | None = None
        self.last_summary: RunSummary | None = None
        self.last_error = ""
        self._closing = False
        self._quit_when_idle = ""  # "close" | "quit": what to do once the worker stops
        self._refresh_pending = False  # a refresh asked for while the worker was busy
        self._summary_pending: RunSummary | None = None  # shown once the re-read is done
        self.progress = ProgressStrip(w)
        self.filters = TableFilters(w, self)
        self.language = LanguageMenu(w, self.settings)
        self.tray = Tray(self)
        self.scheduler = Scheduler(self, self)
        self.inbox = InboxWidget()
        self.journal = JournalWidget()
        self.lookup = LookupWidget()
        self.inbox_tab = w.add_tab(self.inbox, tr("Inbox"))
        self.journal_tab = w.add_tab(self.journal, tr("Journal"))
        self.lookup_tab = w.add_tab(self.lookup, tr("Invoice lookup"))
        self.records = JournalActions(self)
        self.decisions = InboxActions(self)
        self.printing = LookupPrinting(self)  # the lookup card's printed invoice
        self._connect()
        w.installEventFilter(self)
        self._busy_changed(False)
        self.load_profiles(profile_name)

    def _connect(self) -> None:
        w = self.window
        w.act_refresh.triggered.connect(self.refresh)
        w.act_sync.triggered.connect(self.synchronize)
        w.sync_button.clicked.connect(self.synchronize)
        w.act_cancel.triggered.connect(self.cancel)
        w.cancel_button.clicked.connect(self.cancel)
        w.act_new_profile.triggered.connect(lambda: self.open_wizard(None))
        w.act_edit_profile.triggered.connect(lambda: self.open_wizard(self.profile))
        w.act_open_log.triggered.connect(lambda: help_menu.open_log(self.paths))
        w.act_quit.triggered.connect(self.quit)
        w.act_about.triggered.connect(lambda: help_menu.about(self.window))
        w.act_schedule.triggered.connect(self.open_schedule)
        w.profile.currentIndexChanged.connect(self._profile_chosen)
        self.inbox.open_url.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))
        self.runner.busy_changed.connect(self._busy_changed)
        self.tray.open_requested.connect(self.show_window)
        self.tray.sync_requested.connect(self._sync_from_tray)
        self.tray.quit_requested.connect(self.quit)
        self.tray.inbox_requested.connect(self.open_inbox)  # the notification says what waits
        w.tabs.currentChanged.connect(self._tab_changed)
        for i in range(len(MainWindowView.DATA_TABS)):
            w.tabs.setTabToolTip(i, tr("Double-click a row to see its history in the journal."))
        w.tables["stock"].notice_action.connect(
            lambda: self.open_wizard(self.profile, warehouses=True)
        )
        for table in w.tables.values():
            for view in table.views:
                view.doubleClicked.connect(
                    lambda index, m=table.model: self.records.show_history(m.row_at(index.row()))
                )

    # -- profiles ------------------------------------------------------------------------

    def load_profiles(self, select: str | None = None) -> None:
        try:
            profiles = ProfilesDoor(self.paths).load()
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
        self.snapshot, self.plan = None, None
        self.lookup.finder = lambda _q: []  # nothing read of this profile yet
        self.window.demo_badge.setVisible(profile.demo)
        self.lookup.portal = profile.crm_url
        self.inbox.portal = profile.crm_url
        if not profile.demo:  # a demo's sandboxes end with it: never reopen it by default
            self.settings.setValue("profile", profile.name)
        self.window.onec_state.set_state("busy", tr("connecting…"))
        self.window.crm_state.set_state("busy", tr("connecting…"))
        self.scheduler.follow(profile)
        open_service, paths = self.open_service, self.paths

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> Opened:
            if old is not None:
                old.close()
            svc = open_service(profile, paths)
            try:
                return svc, reading.journal_state(svc)
            except BaseException:
                svc.close()
                raise

        self.runner.start(task, name="open profile", on_done=self._opened,
                          on_failed=self._connect_failed)  # fmt: skip

    def _opened(self, result: Opened) -> None:
        svc, (inbox, runs) = result
        if self.profile is None or svc.profile.uuid != self.profile.uuid:
            self.runner.start(lambda _p, _c: svc.close(), name="close")
            return
        self.svc = svc
        self.decisions.show(inbox)
        self.journal.set_runs(runs)
        self.window.sync_button.setEnabled(True)
        self.refresh()

    # -- reading -------------------------------------------------------------------------

    def refresh(self) -> None:
        self._read("refresh", self._loaded)

    def synchronize(self) -> None:
        """Read both systems, then show the plan for review."""
        if self.svc is None or self.runner.busy or self.plan_dialog is not None:
            return
        self.last_error = ""
        self._read("synchronize", self._review)

    def _read(self, name: str, then: Callable[[Loaded], None]) -> None:
        if self.svc is None:
            return
        if self.runner.busy:  # run it once the worker is free: never dropped silently
            self._refresh_pending = True
            return
        self._refresh_pending = False
        warehouse_map = dict(self.profile.warehouses) if self.profile else {}
        self.progress.start(tr("Reading both systems…"))
        self._set_phase("reading")
        task = reading.read_task(self.svc, warehouse_map)
        self.runner.start(task, name=name, on_done=then, on_failed=self._connect_failed,
                          on_progress=self.progress.show, delay_ms=REPAINT_FIRST_MS)  # fmt: skip

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
        dialog.open_soon(AFTER_PAINT_MS)  # its first paint after the re-read's tables' paint

    def _loaded(self, loaded: Loaded) -> None:
        self.window.tabs.setUpdatesEnabled(False)  # painted a turn later (issue 18)
        QTimer.singleShot(1, self, lambda: self.window.tabs.setUpdatesEnabled(True))
        self.release.later(self.shown)
        self.shown = loaded
        self.progress.end()
        self.window.show_stock_notice(self.profile is None or bool(self.profile.warehouses))
        self._set_phase("read")
        self.snapshot = loaded.snapshot
        self.plan = loaded.plan
        self.invoice_links = loaded.invoice_links
        self.lookup.finder = loaded.find_invoices  # answers from this read
        self.window.onec_state.set_state("ok", tr("connected"))
        self.window.crm_state.set_state("ok", tr("connected"))
        self.set_views(loaded.views)
        self.journal.set_names(loaded.names)
        self.decisions.decided = 0  # this read's plan holds them
        self.decisions.show(loaded.inbox, {item.key for item in loaded.plan.items})
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
        self.filters.update_counts()

    def _connect_failed(self, message: str, exc: object) -> None:
        self.progress.end()
        self._set_phase("read" if self.snapshot is not None else "unread")
        self.window.statusBar().clearMessage()
        self._show_pending_summary()
        onec, crm = self.window.onec_state, self.window.crm_state
        unchecked = [onec, crm]
        if isinstance(exc, ConnectError):
            text = str(exc)
            bad = crm if "Битрикс24" in text or "Bitrix24" in text else onec
            bad.set_state("error", tr("cannot connect"))
            unchecked.remove(bad)
        for pill in unchecked:
            if pill.state == "busy":
                pill.set_state("unknown", tr("not checked"))
        self.show_error(message)

    # -- synchronizing -------------------------------------------------------------------

    def _review(self, loaded: Loaded) -> None:
        self._loaded(loaded)  # the dialog after the tables' paint: no handler is long
        QTimer.singleShot(AFTER_PAINT_MS, lambda: self._open_review(loaded))

    def _open_review(self, loaded: Loaded) -> None:
        if self._closing or self.plan_dialog is not None:
            return
        dialog = PlanReviewDialog(loaded.plan, self.window, loaded.plan_rows, loaded.items)
        self.plan_dialog = dialog
        dialog.accepted.connect(lambda: self.apply(loaded.plan, dialog.excluded()))
        dialog.finished.connect(self._review_closed)
        dialog.open_soon()

    def _review_closed(self, _result: int) -> None:
        if self.plan_dialog is not None:
            self.plan_dialog.deleteLater()
        self.plan_dialog = None

    def apply(self, plan: Plan, exclude: set[str], trigger: str = "manual") -> None:
        svc = self.svc
        if svc is None:
            return
        self.progress.start(tr("Applying the changes…"))
        self.window.statusBar().showMessage(tr("Applying the changes…"))

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> RunSummary:
            return svc.apply(plan, exclude, progress, cancel, trigger=trigger)

        self.runner.start(task, name="apply", on_done=self._applied, delay_ms=REPAINT_FIRST_MS,
                          on_failed=self._apply_failed, on_progress=self.progress.show)  # fmt: skip

    def _applied(self, summary: RunSummary) -> None:
        """The summary follows the re-read, so it and the tables tell the same story."""
        self.progress.end()
        self.last_summary = summary
        self._summary_pending = summary
        self.refresh()
        if self.svc is None:
            self._show_pending_summary()
            return
        text = tr("Done; reading both systems again to show the result…")
        self.progress.start(text)
        self.window.statusBar().showMessage(text)

    def _apply_failed(self, message: str, exc: object) -> None:
        self.progress.end()
        self.show_error(message)
        self.refresh()

    def cancel(self) -> None:
        if self.runner.busy:
            self.runner.cancel_all()
            self.progress.cancelling()

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

    def _tab_changed(self, index: int) -> None:
        self.filters.show_for_tab(index)
        if index == self.lookup_tab:
            self.lookup.query.setFocus()

    # -- the window, the tray, the dialogs ---------------------------------------------

    def _sync_from_tray(self) -> None:
        self.show_window()
        self.synchronize()

    def open_inbox(self) -> None:
        self.show_window()
        self.window.tabs.setCurrentIndex(self.inbox_tab)

    def show_window(self) -> None:
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    def show_error(self, message: str) -> None:
        self.last_error = message
        self.window.show_message(message, "error")

    def _failed(self, message: str, exc: object) -> None:
        self.show_error(message)

    def open_wizard(self, profile: Profile | None, warehouses: bool = False) -> None:
        """The connection wizard; ``warehouses``: straight to the warehouse mapping."""
        wizard = ConnectionWizard(
            self.paths, self.runner, profile, self.window, frozenset(self.profiles)
        )
        self.wizard = wizard
        wizard.saved.connect(self.load_profiles)
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
            self.profiles = ProfilesDoor(self.paths).load()
        except ConfigError as exc:
            self.show_error(str(exc))
            return
        if self.profile is None or name != self.profile.name or name not in self.profiles:
            return
        self.profile = self.profiles[name]  # the service keeps its connection
        self.window.show_message(self.scheduler.follow(self.profile), "info")

    # -- closing -------------------------------------------------------------------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close and not self._closing:
            if self.tray.icon is not None and self.scheduler.timer.isActive():
                self.window.hide()
                self.tray.notify(
                    tr("desktop-sync keeps running"),
                    tr("Automatic synchronization goes on; the tray icon opens the window."),
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
        self.scheduler.stop()
        self.runner.wait(30_000)
        if self.svc is not None:
            try:
                self.svc.close()
            except Exception:
                log.exception("closing the service")
            self.svc = None
        self.tray.hide()
        self.collector.stop()


__all__ = ["MainController", "apply_saved_language"]
