"""The main window's layout: toolbar, filters, the side-by-side tabs, the progress strip.

Only layout and styling; :mod:`desktop_sync.gui.controllers.main_controller` gives
it life.
"""

from __future__ import annotations

import html
from typing import ClassVar

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QScreen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStatusBar,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.gui import fmt
from desktop_sync.gui.models.side_by_side import STATE_COLOURS, SideBySideModel, row_story
from desktop_sync.gui.views.side_by_side_view import SideBySideView
from desktop_sync.i18n import N_, tr
from desktop_sync.readmodel import (
    COUNTERPARTY,
    COUNTERPARTY_COLUMNS,
    INVOICE,
    INVOICE_COLUMNS,
    PAYMENT,
    PAYMENT_COLUMNS,
    PRODUCT,
    PRODUCT_COLUMNS,
    STOCK,
    STOCK_COLUMNS,
    SyncState,
    Table,
)

STYLE = """
QLabel[sideTitle="true"] { font-weight: 600; padding: 2px 6px; border-left: 4px solid #1565c0; }
QLabel#crmTitle { border-left-color: #6a1b9a; }
QPushButton#syncButton { font-weight: 600; padding: 6px 18px; background: #1565c0; color: white;
    border: 1px solid #0d47a1; border-radius: 4px; }
QPushButton#syncButton:disabled { background: #90a4ae; border-color: #78909c; }
QPushButton#syncButton:hover { background: #1976d2; }
QLabel[pill="true"] { padding: 2px 8px; border-radius: 9px; border: 1px solid palette(mid); }
QLabel#messageLine { padding: 4px 8px; border-radius: 4px; }
QLabel#messageLine[level="error"] { background: rgba(198, 40, 40, 0.12); color: palette(text); }
QLabel#messageLine[level="info"] { background: rgba(21, 101, 192, 0.10); color: palette(text); }
QFrame#progressStrip { border-top: 1px solid palette(mid); }
QLabel#rowDetail { padding-top: 2px; }
"""
# Each tab's columns, known before anything is read: the panes are laid out when the
# window is made, not in the turn that shows the first read (issue 18: no stall over 50 ms)
EMPTY = {
    "invoices": Table(INVOICE, INVOICE_COLUMNS, ()),
    "payments": Table(PAYMENT, PAYMENT_COLUMNS, ()),
    "stock": Table(STOCK, STOCK_COLUMNS, ()),
    "counterparties": Table(COUNTERPARTY, COUNTERPARTY_COLUMNS, ()),
    "products": Table(PRODUCT, PRODUCT_COLUMNS, ()),
}
_NO_ROW = N_("Select a row to see its state in full here.")


class ConnectionPill(QLabel):
    """``● 1C: connected`` — colour and words."""

    COLOURS: ClassVar[dict[str, str]] = {
        "unknown": "#78909c",
        "ok": "#2e7d32",
        "busy": "#b26a00",
        "error": "#c62828",
    }
    MAX_TEXT_WIDTH = 200  # pixels of text before it is elided (the tooltip has it all)

    def __init__(self, system: str) -> None:
        super().__init__()
        self.system = system
        self.setProperty("pill", True)
        # as tall as its text: a wrapped badge beside it never stretches it into a box
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.set_state("unknown", tr("not checked"))

    def set_state(self, state: str, text: str) -> None:
        self.state = state
        colour = self.COLOURS.get(state, "#78909c")
        # a long error never widens the window: the pill shows its start, the tooltip all
        short = self.fontMetrics().elidedText(
            f"{self.system}: {text}", Qt.TextElideMode.ElideRight, self.MAX_TEXT_WIDTH
        )
        self.setText(f'<span style="color:{colour}">●</span> {html.escape(short)}')
        self.setToolTip(f"{self.system}: {text}")


class FilterBar(QWidget):
    def __init__(self) -> None:
        super().__init__()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Search: number, name, INN, amount…"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        self.pending = QCheckBox(tr("Changes and decisions only"))
        self.pending.setToolTip(
            tr("Rows Synchronize will change, and rows that wait for your decision")
        )
        self.period = QCheckBox(tr("Period"))
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        today = QDate.currentDate()
        for d, value in ((self.date_from, today.addMonths(-3)), (self.date_to, today)):
            d.setCalendarPopup(True)
            d.setDate(value)
            d.setEnabled(False)
            d.setDisplayFormat(fmt.date_edit_format())
        self.counterparty = QLineEdit()
        self.counterparty.setPlaceholderText(tr("Counterparty"))
        self.counterparty.setClearButtonEnabled(True)
        self.counterparty.setMaximumWidth(200)
        self.state = QComboBox()
        self.state.addItem(tr("All states"), None)
        for s in SyncState:
            self.state.addItem(s.label, s)
            self.state.setItemData(
                self.state.count() - 1, STATE_COLOURS[s], Qt.ItemDataRole.ToolTipRole
            )
        # long state names never force the window wider than a laptop's screen
        self.state.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.state.setMinimumContentsLength(14)
        self.record = QComboBox()  # the invoices tab: smart invoices, deals (F9), or both
        self.record.addItem(tr("Invoices and deals"), "")
        self.record.addItem(tr("Smart invoice"), tr("Smart invoice"))
        self.record.addItem(tr("Deal"), tr("Deal"))
        self.search.setMinimumWidth(160)
        self.count = QLabel()  # shown in the window's status bar (MainWindowView)
        self.count.setObjectName("rowCount")
        lay.addWidget(self.search, 2)
        lay.addWidget(self.pending)
        lay.addWidget(self.period)
        lay.addWidget(self.date_from)
        lay.addWidget(QLabel("–"))
        lay.addWidget(self.date_to)
        lay.addWidget(self.counterparty, 1)
        lay.addWidget(self.state)
        lay.addWidget(self.record)


class MainWindowView(QMainWindow):
    """Tabs: invoices, payments, stock, counterparties, products, inbox, journal, lookup."""

    DATA_TABS = ("invoices", "payments", "stock", "counterparties", "products")
    PREFERRED = QSize(1400, 820)

    @classmethod
    def first_size(cls) -> QSize:
        """1400×820 where the screen has room; else the screen's free area (a laptop)."""
        screen: QScreen | None = QGuiApplication.primaryScreen()  # None: no screen at all
        if screen is None:
            return cls.PREFERRED
        free = screen.availableGeometry().size()
        return cls.PREFERRED.boundedTo(QSize(free.width() - 16, free.height() - 40))

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(tr("desktop-sync — 1C and Bitrix24"))
        self.resize(self.first_size())
        self.setStyleSheet(STYLE)

        # actions
        self.act_sync = QAction(tr("Synchronize…"), self)
        self.act_sync.setShortcut(QKeySequence("Ctrl+S"))
        self.act_refresh = QAction(tr("Refresh"), self)
        self.act_refresh.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.act_cancel = QAction(tr("Cancel"), self)
        self.act_cancel.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.act_new_profile = QAction(tr("New connection…"), self)
        self.act_edit_profile = QAction(tr("Connection settings…"), self)
        self.act_open_log = QAction(tr("Open the log"), self)
        self.act_quit = QAction(tr("Quit"), self)
        self.act_quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.act_lang_ru = QAction("Русский", self)
        self.act_lang_en = QAction("English", self)
        for a in (self.act_lang_ru, self.act_lang_en):
            a.setCheckable(True)
        self.act_schedule = QAction(tr("Automatic synchronization…"), self)
        self.act_about = QAction(tr("About"), self)

        menu = self.menuBar()
        m_file = menu.addMenu(tr("&Connection"))
        m_file.addAction(self.act_new_profile)
        m_file.addAction(self.act_edit_profile)
        m_file.addSeparator()
        m_file.addAction(self.act_quit)
        m_sync = menu.addMenu(tr("&Synchronization"))
        m_sync.addAction(self.act_refresh)
        m_sync.addAction(self.act_sync)
        m_sync.addAction(self.act_cancel)
        m_sync.addSeparator()
        m_sync.addAction(self.act_schedule)
        m_settings = menu.addMenu(tr("S&ettings"))
        m_lang = m_settings.addMenu(tr("Language"))
        m_lang.addAction(self.act_lang_ru)
        m_lang.addAction(self.act_lang_en)
        m_help = menu.addMenu(tr("&Help"))
        m_help.addAction(self.act_open_log)
        m_help.addAction(self.act_about)

        central = QWidget()
        root = QVBoxLayout(central)
        root.setContentsMargins(10, 8, 10, 4)
        root.setSpacing(8)

        # top bar: profile, connections, refresh, synchronize
        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(QLabel(tr("Profile:")))
        self.profile = QComboBox()
        self.profile.setMinimumWidth(180)
        self.profile.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        top.addWidget(self.profile)
        self.onec_state = ConnectionPill(tr("1C"))
        self.crm_state = ConnectionPill(tr("Bitrix24"))
        top.addWidget(self.onec_state)
        top.addWidget(self.crm_state)
        self.demo_badge = QLabel(tr("Demo data: local sandboxes, not your 1C or CRM"))
        self.demo_badge.setObjectName("demoBadge")
        self.demo_badge.setStyleSheet(
            "QLabel#demoBadge { background: #fff3cd; color: #7a5200; border: 1px solid #e0b84c;"
            " border-radius: 9px; padding: 2px 10px; font-weight: bold; }"
        )
        self.demo_badge.setWordWrap(True)  # two short lines on a narrow screen
        self.demo_badge.setMaximumWidth(380)
        self.demo_badge.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.demo_badge.setVisible(False)
        top.addWidget(self.demo_badge)
        top.addStretch(1)
        self.last_read = QLabel()  # in the status bar: the top row stays laptop-narrow
        self.last_read.setObjectName("lastRead")
        self.refresh_button = QToolButton()
        self.refresh_button.setDefaultAction(self.act_refresh)
        self.refresh_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.refresh_button.setToolTip(tr("Read both systems again (F5)"))
        top.addWidget(self.refresh_button)
        self.sync_button = QPushButton(tr("Synchronize"))
        self.sync_button.setObjectName("syncButton")
        self.sync_button.setToolTip(tr("Read both systems, review the plan, apply it (Ctrl+S)"))
        self.sync_button.setDefault(True)
        top.addWidget(self.sync_button)
        root.addLayout(top)

        # one calm line for messages
        self.message = QLabel()
        self.message.setObjectName("messageLine")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        root.addWidget(self.message)

        self.filters = FilterBar()
        keep = self.filters.sizePolicy()  # hidden on Inbox/Journal/Lookup: the tabs stay put
        keep.setRetainSizeWhenHidden(True)
        self.filters.setSizePolicy(keep)
        root.addWidget(self.filters)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.models: dict[str, SideBySideModel] = {}
        self.tables: dict[str, SideBySideView] = {}
        titles = {
            "invoices": tr("Invoices"),
            "payments": tr("Payments"),
            "stock": tr("Stock"),
            "counterparties": tr("Counterparties"),
            "products": tr("Products"),
        }
        for key in self.DATA_TABS:
            model = SideBySideModel(EMPTY[key], parent=self)
            view = SideBySideView(model)
            self.models[key] = model
            self.tables[key] = view
            self.tabs.addTab(view, titles[key])
        root.addWidget(self.tabs, 1)

        # progress strip
        self.progress_strip = QFrame()
        self.progress_strip.setObjectName("progressStrip")
        strip = QHBoxLayout(self.progress_strip)
        strip.setContentsMargins(0, 4, 0, 0)
        self.progress_label = QLabel()
        # Ignored: the text (a record's name) never widens the window; a long one is cut
        # at the strip's edge. Before, each longer name grew the window, and every growth
        # repainted the tables while the worker ran (issue 18: no stall over 50 ms)
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(260)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton(tr("Cancel"))
        strip.addWidget(self.progress_label, 1)
        strip.addWidget(self.progress)
        strip.addWidget(self.cancel_button)
        # the selected row's state in full, in the strip's room while nothing runs: the
        # state column shows its start, this line the whole story (the tooltip too)
        self.row_detail = QLabel()
        self.row_detail.setObjectName("rowDetail")
        self.row_detail.setWordWrap(True)
        self.row_detail.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.row_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.row_detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        # one room for both, of one height: the strip's showing and hiding, a longer
        # record's name or row's story never resize the tables (issue 18: no stall)
        self.bottom = QStackedWidget()
        self.bottom.addWidget(self.row_detail)
        self.bottom.addWidget(self.progress_strip)
        lines = self.row_detail.fontMetrics().lineSpacing() * 2 + 6
        self.bottom.setFixedHeight(max(lines, self.progress_strip.sizeHint().height()))
        self.bottom.setCurrentWidget(self.row_detail)
        root.addWidget(self.bottom)
        for key, table in self.tables.items():
            table.selection.currentRowChanged.connect(self.show_row_detail)
            self.models[key].modelReset.connect(self.show_row_detail)
        self.tabs.currentChanged.connect(self.show_row_detail)
        self.show_row_detail()

        self.setCentralWidget(central)
        self.setStatusBar(QStatusBar())
        self.statusBar().addPermanentWidget(self.last_read)
        self.statusBar().addPermanentWidget(self.filters.count)  # rows shown / to act on

    def show_progress(self, shown: bool) -> None:
        """The progress strip while a read or an apply runs; the row's detail after."""
        self.bottom.setCurrentWidget(self.progress_strip if shown else self.row_detail)

    def show_row_detail(self, *_: object) -> None:
        """The current data tab's selected row: its state and its whole story."""
        index = self.tabs.currentIndex()
        self.row_detail.setToolTip("")
        if not 0 <= index < len(self.DATA_TABS):
            self.row_detail.setText("")
            return
        table = self.tables[self.DATA_TABS[index]]
        current = table.selection.currentIndex()
        model = self.models[self.DATA_TABS[index]]
        if not current.isValid() or current.row() >= model.rowCount():
            self.row_detail.setText(
                f'<span style="color: gray">{html.escape(tr(_NO_ROW))}</span>'
                if model.rowCount()
                else ""
            )
            return
        row = model.row_at(current.row())
        head, story = row_story(row, model.table)
        colour = STATE_COLOURS[row.state]
        self.row_detail.setText(
            f'<b style="color: {colour}">{html.escape(head)}</b>'
            + (f" — {html.escape(story)}" if story else "")
        )
        self.row_detail.setToolTip(f"{head}\n{row.detail}" if row.detail else "")

    def show_stock_notice(self, mapped: bool) -> None:
        """Stock goes to the CRM only for mapped warehouses: say so where it shows."""
        stock = self.tables["stock"]
        if mapped:
            stock.set_notice("")
            return
        stock.set_notice(
            tr(
                "No 1C warehouse is mapped to a CRM store, so stock is not sent to the "
                "CRM. Map the warehouses in the connection settings."
            ),
            tr("Map warehouses…"),
        )

    def add_tab(self, widget: QWidget, title: str) -> int:
        return self.tabs.addTab(widget, title)

    def show_message(self, text: str, level: str = "info") -> None:
        if not text:
            self.message.hide()
            return
        self.message.setProperty("level", level)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.show()
