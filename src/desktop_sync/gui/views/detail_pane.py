"""The selected row's whole text under a table, and a record's name cut in its middle.

A table's cells are cut at a 1366×768 laptop's widths (a reason of 150 characters in a
400 px column); the tooltip alone made a person hover each row. As maestral-qt's sync
issues list and vorta's archive details do, the row's whole text is a pane under the
table: every field on a line of its own, wrapped to the pane's width, selectable to
copy. It is built for the one selected row only, so a table of 34,000 rows keeps its
uniform row heights and nothing is measured row by row on the GUI thread.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QFrame,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QWidget,
)

from desktop_sync.i18n import tr

DETAIL_HEIGHT = 130  # px: five wrapped lines of the pane's font, the splitter can widen it


def esc(text: str) -> str:
    """Text as HTML shows it: markup characters escaped, line breaks kept."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def fields_html(title: str, note: str, fields: Iterable[tuple[str, str]]) -> str:
    """«**Record** / section» and then «Label: text» for each field with text; a field's
    lines (one change a line) stay lines."""
    parts = [f"<b>{esc(title)}</b>"]
    if note:
        parts.append(f"<br><span style='color:gray'>{esc(note)}</span>")
    for label, text in fields:
        if text:
            parts.append(f"<p style='margin-top:4px; margin-bottom:0'><i>{esc(label)}:</i> "
                         f"{esc(text)}</p>")  # fmt: skip
    return "".join(parts)


class DetailPane(QTextBrowser):
    """Read-only, wrapped at the pane's width, selectable by mouse and keyboard."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.setOpenLinks(False)
        self.setReadOnly(True)
        self.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(60)
        self.setPlaceholderText(tr("Select a row to read it in full here."))

    def show_html(self, text: str) -> None:
        self.setHtml(text)


class MiddleElide(QStyledItemDelegate):
    """A column whose text is cut in its middle: «Картридж HP…(вариант 25)», the start and
    the end of a name (the variant, an invoice's date) both kept."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle
