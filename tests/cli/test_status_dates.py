"""`desktop-sync status` and the window's lookup card write dates and amounts as the
language does (the tables' way): 2026-03-14 and 7,353.68 ₽ in English, 14.03.2026 and
7 353,68 ₽ in Russian — the header, each payment and each shipment. `status --json`
keeps the payments list as the CRM shows it (written there as dd.mm.yyyy whatever the
language). On the sandboxes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop_sync.cli.main import cli
from desktop_sync.domain.entities import Invoice
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import set_language
from desktop_sync.readmodel import INVOICE, find_invoices
from tests.e2e.conftest import World, make_world

DOTTED = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
RU_MONEY = re.compile(r"\d,\d{2}\s₽")  # 7 353,68 ₽
EN_MONEY = re.compile(r"\d\.\d{2}\s₽")  # 7,353.68 ₽


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch)


def _paid_and_shipped(snap: Snapshot) -> Invoice:
    """A 1C invoice of the seed with a payment and a posted shipment."""
    paid = {a.invoice_ref for p in snap.onec.payments.values() for a in p.allocations}
    shipped = {s.invoice_ref for s in snap.onec.shipments.values() if s.posted and not s.deleted}
    return min(
        (i for i in snap.onec.invoices.values() if i.onec_ref in paid & shipped),
        key=lambda i: (i.date, i.number),
    )


def _status(world: World, lang: str, query: str, *more: str) -> str:
    env = {**world.env(), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    set_language(lang)
    try:
        out = CliRunner().invoke(cli, ["status", query, *more], env=env)
    finally:
        set_language("en")
    assert out.exit_code == 0, out.output
    return out.output


def test_status_and_the_card_write_dates_as_the_language(world: World) -> None:
    from desktop_sync.gui.controllers.lookup import status_html

    with world.service() as svc:
        snap = svc.prepare()[0]
        links = svc.links(INVOICE)
    inv = _paid_and_shipped(snap)
    query = f"{inv.number}/{inv.date.year}"
    english = _status(world, "en", query)
    russian = _status(world, "ru", query)
    header = english.splitlines()[0]
    assert f"of {inv.date.isoformat()} —" in header, english
    payments = [line for line in english.splitlines() if line.startswith("  • ")]
    assert payments and all(ISO.search(line) for line in payments), english
    assert not DOTTED.search(english), english
    assert EN_MONEY.search(english) and not RU_MONEY.search(english), english  # amounts too
    assert f"от {inv.date:%d.%m.%Y} —" in russian.splitlines()[0], russian
    assert not ISO.search(russian), russian
    assert RU_MONEY.search(russian) and not EN_MONEY.search(russian), russian
    # the JSON keeps the CRM's payments list as written there
    assert all(DOTTED.search(p) for p in _json_payments(world, query))

    (found,) = [s for s in find_invoices(snap, links, query) if s.onec_ref == inv.onec_ref]
    card = status_html(found)
    assert found.shipments and all(ISO.search(s) for s in found.shipments)
    assert not DOTTED.search(card), card
    assert not RU_MONEY.search(card), card
    set_language("ru")
    try:
        (found,) = [s for s in find_invoices(snap, links, query) if s.onec_ref == inv.onec_ref]
        card = status_html(found)
    finally:
        set_language("en")
    assert all(DOTTED.search(s) for s in found.shipments)
    assert not ISO.search(card), card
    assert not EN_MONEY.search(card), card


def _json_payments(world: World, query: str) -> list[str]:
    import json

    data = json.loads(_status(world, "en", query, "--json"))
    assert data["payments"], data
    return list(data["payments"])
