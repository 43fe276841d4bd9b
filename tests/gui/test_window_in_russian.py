"""Everything the window shows reads in Russian when the language is Russian: every tab,
the plan review, the summary, the wizard, the schedule, the tray's menu and «О программе»,
on the demo before and after a Synchronize. The words each widget shows (labels, buttons,
menus, headers, cells, tooltips, placeholders, choices) are scanned for English prose as
the command line's are (tests/cli/test_russian_output.latin_words)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import pytest

from desktop_sync.i18n import language, set_language
from tests.cli.test_russian_output import latin_words
from tests.gui.sandbox_env import demo_env, loaded_window
from tests.gui.screens import every_screen

# Latin words of the demo's records and of what the window names as it is written
DATA = {"e", "PDF", "Windows", "Linux", "macOS", "ODATA"}
KEPT = {"English", "Ctrl"}  # a language's own name, a key's
KEPT |= {"CSV", "XLSX", "UTC", "catalog"}  # formats, time zones, the CRM's scope names
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
DOTTED_DAY = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
RU_MONEY = re.compile(r"\d+,\d{2}\s₽")  # 7 353,68 ₽
EN_MONEY = re.compile(r"\d+\.\d{2}\s₽")  # 7,353.68 ₽


@pytest.fixture
def russian() -> Iterator[None]:
    """Russian, and the application as the window's start makes it (Qt's own words)."""
    from desktop_sync.gui.app import create_app, qt_in_language

    before = language()
    set_language("ru")
    app = create_app()
    yield
    set_language(before)
    qt_in_language(app)


def texts(root) -> Iterator[tuple[str, str]]:
    """(where, words) of every visible widget under ``root`` and of its menus."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QComboBox,
        QGroupBox,
        QLabel,
        QLineEdit,
        QMenu,
        QTabBar,
        QTextEdit,
        QWidget,
    )

    yield "title", root.windowTitle()
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible() and not isinstance(w, QMenu):
            continue
        name = type(w).__name__
        yield f"{name} tooltip", w.toolTip()
        if isinstance(w, QLabel):
            yield name, html.unescape(re.sub(r"<[^>]+>", " ", w.text()))
        elif isinstance(w, QAbstractButton):
            yield name, w.text().replace("&", "")
        elif isinstance(w, QLineEdit):
            yield f"{name} placeholder", w.placeholderText()
        elif isinstance(w, QComboBox):
            yield from ((name, w.itemText(i)) for i in range(w.count()))
        elif isinstance(w, QTabBar):
            yield from ((name, w.tabText(i)) for i in range(w.count()))
        elif isinstance(w, QGroupBox):
            yield name, w.title()
        elif isinstance(w, QTextEdit):  # the panes under the tables: a row's whole text
            yield name, w.toPlainText()
            yield f"{name} placeholder", w.placeholderText()
        elif isinstance(w, QMenu):
            yield name, w.title().replace("&", "")
            for a in w.actions():  # without the shortcut: «Копировать\tCtrl+C»
                yield name, a.text().replace("&", "").split("\t")[0]
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            model = w.model()
            for c in range(model.columnCount()):
                yield f"{name} header", str(model.headerData(c, Qt.Orientation.Horizontal) or "")
            for r in range(min(model.rowCount(), 60)):
                for c in range(model.columnCount()):
                    index = model.index(r, c)
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        value = model.data(index, role)
                        if isinstance(value, str):
                            yield f"{name} cell", value


def english(root) -> list[tuple[str, str, set[str]]]:
    """English prose in what ``root`` shows (Russian window)."""
    found = []
    for where, text in texts(root):
        text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses
        words = latin_words(text) - DATA - KEPT if text else set()
        words |= set(ISO_DAY.findall(text))  # a date as English writes it
        words |= set(EN_MONEY.findall(text))  # an amount as English writes it
        if words:
            found.append((where, text[:120], words))
    return found


def russian_words(
    root, data: Collection[str] = (), kept: re.Pattern[str] | None = None
) -> list[tuple[str, str, set[str]]]:
    """Russian words in what ``root`` shows of its own (English window): the records'
    data set aside (cells, choices, «names», the tables' values in ``data``, what
    ``kept`` matches)."""
    found = []
    for where, text in texts(root):
        text = kept.sub(" ", text) if kept is not None else text
        days = set(DOTTED_DAY.findall(text))  # a date as Russian writes it, anywhere
        days |= set(RU_MONEY.findall(text))  # an amount as Russian writes it
        if days:
            found.append((where, text[:120], days))
        if where.endswith(("cell", "QComboBox")):
            continue
        for value in data:  # longest first: «АО «Луч» (филиал)» before «АО «Луч»»
            text = text.replace(value, " ")
        text = re.sub(r"«[^»\n]*»", " ", text)
        words = set(re.findall(r"[А-Яа-яЁё]+", text)) - {"Русский"}  # its own name
        if words:
            found.append((where, text[:120], words))
    return found


def table_values(c) -> list[str]:
    """Every text value of the five tables' rows, longest first: the records' data."""
    w = c.window
    values = {
        v
        for key in w.DATA_TABS
        for row in w.models[key].rows()
        for side in (row.onec, row.crm)
        if side
        for v in side.values()
        if isinstance(v, str) and v
    }
    return sorted(values, key=len, reverse=True)


def walk(qtbot, c, scan: Callable[[str, object], None]) -> None:
    """Every screen of the demo (tests/gui/screens: the screenshots' walk, each data tab
    after the run too), ``scan``ned as a person sees it; then a field's context menu, the
    tray's menu and «О программе»."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QLineEdit, QMessageBox

    w = c.window
    w.resize(1366, 768)
    w.show()

    def wait(cond: Callable[[], object]) -> None:
        qtbot.waitUntil(lambda: bool(cond()), timeout=120_000)

    for name, widget in every_screen(c, wait, every_tab_after=True):
        scan(name, widget)
    for field in w.findChildren(QLineEdit):  # Qt's own menu: was Undo, Copy, Paste…
        menu = field.createStandardContextMenu()
        scan("a field's menu", menu)
        menu.deleteLater()
    if c.tray.menu is None:  # no tray offscreen: its menu made as a desktop with one has it
        c.tray.make()
    assert c.tray.menu is not None and c.tray.menu.actions()
    scan("tray", c.tray.menu)
    c.tray.hide()

    def about() -> None:
        box = next(b for b in w.findChildren(QMessageBox) if b.isVisible())
        scan("about", box)
        box.accept()

    QTimer.singleShot(200, about)
    w.act_about.trigger()


def test_every_screen_reads_in_russian(qtbot, tmp_path: Path, russian: None) -> None:
    seen: list[tuple[str, str, str, set[str]]] = []

    def scan(screen: str, root) -> None:
        qtbot.wait(10)
        seen.extend((screen, *f) for f in english(root))

    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as c:
        walk(qtbot, c, scan)
    assert not seen, "\n".join(sorted({str(s) for s in seen}))


def test_every_screen_reads_in_english(qtbot, tmp_path: Path) -> None:
    """The reverse: no Russian of the window's own in English (the records' names and
    the CRM's stage names are the data's)."""
    seen: list[tuple[str, str, str, set[str]]] = []

    assert language() == "en"
    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as c:
        data = table_values(c)

        def scan(screen: str, root) -> None:
            qtbot.wait(10)
            seen.extend((screen, *f) for f in russian_words(root, data))

        walk(qtbot, c, scan)
    assert not seen, "\n".join(sorted({str(s) for s in seen}))


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_empty_states_say_what_comes(qtbot, lang: str) -> None:
    """A new profile's journal said nothing at all (an empty table, an empty title); the
    lookup, which finds deals too (f7e5cf7), said «Счёт не найден.» and asked for an
    invoice only."""
    from desktop_sync.gui.controllers.journal import JournalWidget
    from desktop_sync.gui.controllers.lookup import LookupWidget

    set_language(lang)
    try:
        journal = JournalWidget()
        qtbot.addWidget(journal)
        journal.set_runs([])
        said = journal.ops_title.text()
        assert said.startswith("Запусков ещё не было" if lang == "ru" else "No runs yet"), said
        lookup = LookupWidget()
        qtbot.addWidget(lookup)
        deal = "сделк" if lang == "ru" else "deal"
        assert deal in lookup.query.placeholderText()
        lookup.query.setText("нет такого")
        lookup.search()
        assert deal in lookup.detail.toPlainText()
    finally:
        set_language("en")


def test_the_second_day_reads_in_russian(qtbot, tmp_path: Path, russian: None) -> None:
    """The demo's second day (tests/gui/screens.day_two): a decision, a second run, the
    window reopened; every screen of it, and the panes under the tables, in Russian."""
    from tests.gui.test_day_two import walk_day_two

    seen: list[tuple[str, str, str, set[str]]] = []

    def scan(screen: str, root, _c) -> None:
        qtbot.wait(10)
        seen.extend((screen, *f) for f in english(root))

    with demo_env(tmp_path / "home") as env:
        walk_day_two(qtbot, env, scan)
    assert not seen, "\n".join(sorted({str(s) for s in seen}))


# A payment as the CRM invoice's payments field holds it, written there in the CRM's own
# format («No. 29 of 14.03.2026: 329 167,78 ₽ (bank transfer)», engine/money.payment_line,
# e2fc7b3): the data written, shown as the plan and the journal write it.
CRM_LINE = re.compile(r"No\. \S+ of \d{2}\.\d{2}\.\d{4}: [\d\s]+,\d{2}\s₽")


def test_the_second_day_reads_in_english(qtbot, tmp_path: Path) -> None:
    from tests.gui.test_day_two import walk_day_two

    seen: list[tuple[str, str, str, set[str]]] = []
    assert language() == "en"

    def scan(screen: str, root, c) -> None:
        qtbot.wait(10)
        seen.extend((screen, *f) for f in russian_words(root, table_values(c), CRM_LINE))

    with demo_env(tmp_path / "home") as env:
        walk_day_two(qtbot, env, scan)
    assert not seen, "\n".join(sorted({str(s) for s in seen}))
