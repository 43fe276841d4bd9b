"""The lookup card's «Печать счёта (PDF)»: through the door, in the worker, to the file
the person chose; the PDF holds the invoice and the seller's bank read from 1C."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.sandbox.dataset import ORGANIZATION_INN
from tests.gui.sandbox_env import sandbox_env
from tests.gui.test_window_e2e import fast_open
from tests.printing.pdf_reading import pdf_text


@pytest.fixture
def window(qtbot, tmp_path: Path):
    with sandbox_env(tmp_path / "home") as env:
        controller = MainController(env.paths, "demo", open_service=fast_open)
        qtbot.addWidget(controller.window)
        controller.window.show()
        yield controller
        controller.shutdown()


def test_print_button_saves_the_pdf_off_the_gui_thread(qtbot, window, tmp_path, monkeypatch):
    c = window
    qtbot.waitUntil(lambda: c.snapshot is not None, timeout=30_000)
    qtbot.waitUntil(lambda: c.svc is not None and not c.runner.busy, timeout=30_000)
    inv = next(iter(c.snapshot.onec.invoices.values()))
    c.lookup.query.setText(f"{inv.number}/{inv.date.year}")
    c.lookup.search()
    assert c.lookup.print_button.isEnabled()
    target = tmp_path / "out" / "счёт.pdf"
    asked: list[str] = []

    def save_as(parent, caption, suggested, filters):
        asked.append(suggested)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    qtbot.mouseClick(c.lookup.print_button, Qt.MouseButton.LeftButton)
    assert c.runner.busy  # the read and the rendering run in the worker
    qtbot.waitUntil(lambda: target.exists() and not c.runner.busy, timeout=60_000)
    assert asked and asked[0].endswith(".pdf") and inv.number in Path(asked[0]).name
    text = pdf_text(target.read_bytes())
    assert inv.number in text and ORGANIZATION_INN in text
    assert str(target) in c.window.message.text()


def test_an_invoice_only_in_the_crm_cannot_be_printed(qtbot, window) -> None:
    c = window
    qtbot.waitUntil(lambda: c.snapshot is not None, timeout=30_000)
    inv = next(iter(c.snapshot.onec.invoices.values()))
    (found,) = c.lookup.finder(f"{inv.number}/{inv.date.year}")
    crm_only = dataclasses.replace(found, onec_ref=None, crm_id=found.crm_id or 7)
    c.lookup.finder = lambda _q: [crm_only]
    c.lookup.search()
    assert c.lookup.selected() == crm_only
    assert not c.lookup.print_button.isEnabled()  # the printed form is 1C's document
