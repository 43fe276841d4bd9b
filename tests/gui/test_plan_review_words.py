"""The plan review says a conflict as the Inbox does: a counterparty by its name with
ИНН/КПП, a CRM invoice without a company «нет в CRM», the rows that differ by product —
never a 1C reference (a GUID), «None» or «crm:». Before, the Inbox showed words
(engine/inbox_words) while the review's waiting rows and its pane showed the plan's raw
values. Real sandboxes on loopback (tests/e2e's world, conflicts made as
tests/cli/test_inbox_words makes them), the window's own Synchronize."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QTreeWidgetItem

from desktop_sync.engine.records import ItemKind
from desktop_sync.engine.service import SyncService
from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.gui.controllers.plan_review import NoteRole
from desktop_sync.i18n import language, set_language, tr
from tests.cli.test_inbox_words import make_conflicts
from tests.e2e.conftest import World, make_world
from tests.killing import HANG

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
RAW = re.compile(r"\bNone\b|crm:|contact/\d")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch)


def _rows(item: QTreeWidgetItem) -> Iterator[QTreeWidgetItem]:
    for i in range(item.childCount()):
        child = item.child(i)
        if child is not None:
            yield child
            yield from _rows(child)


def _review(c: Any, qtbot: Any) -> Any:
    """Synchronize in the window: its plan review, filled."""
    c.synchronize()
    qtbot.waitUntil(lambda: c.plan_dialog is not None and c.plan_dialog.filled,
                    timeout=int(HANG * 1000))  # fmt: skip
    return c.plan_dialog


def _no_raw_values(text: str) -> None:
    assert not GUID.search(text), text
    assert not RAW.search(text), text


def test_the_plan_review_says_a_conflict_in_the_inbox_words(qtbot: Any, world: World) -> None:
    buyer, moved_to = make_conflicts(world)  # the conflicts are in the Inbox and the plan
    was = language()
    c = MainController(
        world.paths, world.profile.name,
        open_service=lambda p, a: SyncService.open(p, a, crm_throttle=False),
    )  # fmt: skip
    qtbot.addWidget(c.window)
    try:
        qtbot.waitUntil(lambda: c.snapshot is not None and not c.runner.busy,
                        timeout=int(HANG * 1000))  # fmt: skip
        for lang, missing, inn in (("ru", "нет в CRM", "ИНН"), ("en", "not in the CRM", "INN")):
            set_language(lang)
            dialog = _review(c, qtbot)
            root = dialog.tree.invisibleRootItem()
            texts = [r.text(col) for r in _rows(root) for col in range(4)]
            _no_raw_values("\n".join(texts))
            conflicts = [
                (i, it) for i, it in enumerate(dialog.items) if it.kind is ItemKind.CONFLICT
            ]
            assert len(conflicts) >= 4
            shown = "\n".join(texts)
            assert missing in shown and f"{buyer} ({inn} " in shown
            assert f"{moved_to} ({inn} " in shown
            waiting = [r for r in _rows(root) if isinstance(r.data(0, NoteRole), int)]
            assert len(waiting) == len(dialog.items)
            for row in waiting:  # the pane under the tree, each waiting row selected
                dialog.tree.setCurrentItem(row)
                _no_raw_values(dialog.detail.toPlainText())
            inbox = {e.dedup_key: e for e in c.inbox.model.entries()}
            said = 0
            for index, item in conflicts:  # the same words as the Inbox's cells
                entry = inbox.get(item.key)
                if entry is None:
                    continue
                cells = tr("1C: {onec}; CRM: {crm}").format(
                    onec=_cell(c, entry, "onec"), crm=_cell(c, entry, "crm")
                )
                assert waiting[index].text(3) == cells
                said += 1
            assert said >= 4
            dialog.reject()
            qtbot.waitUntil(lambda: c.plan_dialog is None and not c.runner.busy,
                            timeout=int(HANG * 1000))  # fmt: skip
    finally:
        set_language(was)
        c.shutdown()


def _cell(c: Any, entry: Any, column: str) -> str:
    """What the Inbox's table shows of ``entry`` in ``column``."""
    from desktop_sync.gui.models.inbox_model import COLUMNS

    model = c.inbox.model
    row = model.entries().index(entry)
    col = [key for key, _ in COLUMNS].index(column)
    return str(model.data(model.index(row, col)))
