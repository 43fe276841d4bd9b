"""One English spelling of "synchronize": the window's button says «Synchronize», so its
menu, dialog titles, messages and command output say "synchronization" too (they mixed
«Synchronisation» and «Synchronize», seen on the screenshots). Russian is unchanged."""

from __future__ import annotations

from desktop_sync.i18n import catalog
from tests.test_i18n import _tr_literals

# gui/controllers/main_controller.py: being changed by other work; it follows next.
PENDING: set[str] = set()


def test_synchronize_is_spelled_one_way() -> None:
    british = {
        text: where
        for text, where in _tr_literals().items()
        if "ynchronis" in text and text not in PENDING
    }
    assert british == {}
    assert [m for m in catalog("ru") if "ynchronis" in m and m not in PENDING] == []
    assert catalog("ru")["&Synchronization"] and catalog("ru")["Synchronization finished"]
