"""A CRM invoice not at the profile's send stage says why it stays «Только в CRM» (seen
on the demo's screenshot: СЧ-0004 at «Передать в 1С» showed no reason), in the state
column, the tooltip, the lookup card and `desktop-sync status`, as a UT 11 draft does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop_sync.cli.main import cli
from desktop_sync.i18n import set_language
from desktop_sync.readmodel import INVOICE, build_views, find_invoices
from desktop_sync.readmodel.rows import SyncState
from tests.e2e.conftest import World, make_world


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch)  # send stage DT31_1:S «Отправлен клиенту»


def test_a_crm_invoice_not_at_the_send_stage_says_why(world: World) -> None:
    set_language("ru")
    try:
        with world.service() as svc:
            snap, plan = svc.prepare()
            links = svc.links(INVOICE)
            waiting = sorted(
                cid
                for cid, ci in snap.crm.invoices.items()
                if ci.stage_id == "DT31_1:UC_TO1C" and not ci.xml_id
            )
            assert waiting, "the seed has CRM invoices at «Передать в 1С»"
            rows = {r.crm_id: r for r in build_views(snap, {INVOICE: links}, plan).invoices.rows}
            number = snap.crm.invoices[waiting[0]].invoice.number
            (found,) = [
                s
                for s in find_invoices(snap, links, number, notes=plan.notes)
                if s.crm_id == waiting[0]
            ]
            status = svc.invoice_status(f"crm:{waiting[0]}")
    finally:
        set_language("en")
    row = rows[str(waiting[0])]
    assert row.state is SyncState.ONLY_CRM
    assert row.note == "в 1С со стадии «Отправлен клиенту»"
    assert "уходит в 1С, когда его переводят на стадию «Отправлен клиенту»" in row.detail
    assert "«Отправлен клиенту»" in found.note
    assert "«Отправлен клиенту»" in status.note


def test_status_and_the_card_say_it_too(world: World) -> None:
    from desktop_sync.gui.controllers.lookup import status_html

    set_language("ru")
    try:
        with world.service() as svc:
            snap = svc.prepare()[0]
            cid = min(
                c
                for c, ci in snap.crm.invoices.items()
                if ci.stage_id == "DT31_1:UC_TO1C" and not ci.xml_id
            )
            card = status_html(svc.invoice_status(f"crm:{cid}"))
    finally:
        set_language("en")
    said = "В 1С его нет: счёт CRM уходит в 1С, когда его переводят на стадию «Отправлен клиенту»"
    assert said in card
    env = {**world.env(), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    out = CliRunner().invoke(cli, ["status", f"crm:{cid}"], env=env)
    assert out.exit_code == 0, out.output
    assert "Not in 1C: a CRM invoice goes to 1C once it is moved to the stage «Отправлен" in (
        out.output
    )
