"""The journal in a person's words (issue 19, item 5): records by name, flows in words,
changes with field names, no ids or internals; double-click opens the record's history."""

from __future__ import annotations

import re
from pathlib import Path

from desktop_sync.engine.service import SyncService
from desktop_sync.i18n import language, set_language
from tests.gui.sandbox_env import loaded_window, sandbox_env

INTERNALS = re.compile(
    r"\bF\d\b|changes:|source_id|target_id|^\d+(/\d+)?$|[0-9a-f]{8}-[0-9a-f]{4}-", re.I
)


def test_journal_names_records_and_opens_history(qtbot, tmp_path: Path) -> None:
    before = language()
    set_language("ru")
    try:
        with sandbox_env(tmp_path / "home") as env:
            with SyncService.open(env.profile, env.paths, crm_throttle=False) as svc:
                svc.run(trigger="cli")
            with loaded_window(qtbot, env) as c:
                qtbot.waitUntil(lambda: bool(c.journal.ops), timeout=30_000)
                model = c.journal.ops_model
                assert model.rowCount() > 0
                texts = [
                    str(model.data(model.index(r, col)) or "")
                    for r in range(model.rowCount())
                    for col in (0, 2, 5)
                ]
                leaked = sorted({t for t in texts if INTERNALS.search(t)})
                assert leaked == [], f"internals shown in the journal: {leaked[:5]}"
                names = [str(model.data(model.index(r, 2))) for r in range(model.rowCount())]
                assert any("«" in n or "ООО" in n or "ИП" in n for n in names), names[:5]
                # double-click: the record's history
                c.journal.ops_table.doubleClicked.emit(model.index(0, 2))
                qtbot.waitUntil(lambda: c.records.history_dialog is not None, timeout=10_000)
                assert c.records.history_dialog.model.rowCount() >= 1
                c.records.history_dialog.close()
    finally:
        set_language(before)
