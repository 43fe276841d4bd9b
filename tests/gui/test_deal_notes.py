"""A deal that will not go to 1C says why, as a CRM invoice not at the send stage does
(be0052a): «Только в CRM: в 1С со стадии «Согласовано»» in the state column, the whole
sentence in the tooltip, the lookup card and `desktop-sync status deal:ID`; a deal whose
own smart invoice carries the sale says that. On the sandboxes (the seed's wholesale
pipeline: deals at «Согласовано», the send stage, and one at «Новая»)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop_sync.cli.main import cli
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.i18n import set_language
from desktop_sync.readmodel import DEAL, INVOICE, build_views, find_invoices
from desktop_sync.readmodel.rows import SyncState
from tests.e2e.conftest import World, make_world, set_profile

SEND = "C1:UC_AGREED"  # «Согласовано»


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    gen = make_world(tmp_path, monkeypatch)
    world = next(gen)
    set_profile(world, ("deal.1.send", SEND))
    yield world
    gen.close()


def _status(world: World, query: str) -> str:
    env = {**world.env(), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    out = CliRunner().invoke(cli, ["status", query], env=env)
    assert out.exit_code == 0, out.output
    return out.output


def test_a_deal_not_at_the_send_stage_says_why(world: World) -> None:
    from desktop_sync.gui.controllers.lookup import status_html

    with world.service() as svc:
        snap = svc.prepare()[0]
    (waiting,) = [d for d, ci in snap.crm.deals.items() if ci.stage_id == "C1:NEW"]
    title = snap.crm.deals[waiting].title
    set_language("ru")
    try:
        with world.service() as svc:
            snap, plan = svc.prepare()
            links = {INVOICE: svc.links(INVOICE), DEAL: svc.links(DEAL)}
        rows = {r.key: r for r in build_views(snap, links, plan).invoices.rows}
        (found,) = find_invoices(
            snap, links[INVOICE], title, notes=plan.notes, deal_links=links[DEAL]
        )
        card = status_html(found)
    finally:
        set_language("en")
    row = rows[f"crm-deal:{waiting}"]
    assert row.state is SyncState.ONLY_CRM
    assert row.note == "в 1С со стадии «Согласовано»"
    assert "сделка уходит в 1С, когда её переводят на стадию «Согласовано»" in row.detail
    assert found.deal and found.crm_id == waiting
    assert "Этой сделки нет в 1С: сделка уходит в 1С, когда её переводят" in card
    assert "/crm/deal/details/" not in card  # no portal given: no link
    out = _status(world, f"deal:{waiting}")
    assert f"In the CRM: deal {waiting} «{title}», stage «Новая»" in out, out
    assert "This deal is not in 1C: a deal goes to 1C once it is moved to the stage " in out
    # the deals at the send stage go (or wait for a person): no such note
    sent = [d for d, ci in snap.crm.deals.items() if ci.stage_id == SEND]
    assert sent and all("со стадии" not in rows[f"crm-deal:{d}"].detail for d in sent)


def test_a_deal_carried_by_its_own_smart_invoice_says_so(world: World) -> None:
    with world.service() as svc:
        snap = svc.prepare()[0]
    deal_id = min(d for d, ci in snap.crm.deals.items() if ci.stage_id == SEND)
    deal = snap.crm.deals[deal_id]
    with Bitrix24Client(world.crm.webhook, throttle=False) as crm:
        invoice_id = crm.invoices.add_invoice(
            {"title": "Счёт по сделке", "companyId": deal.company_id, "parentId2": deal_id,
             "stageId": "DT31_1:N"},
            xml_id=f"test-{deal_id}",
        )  # fmt: skip
        number = crm.invoices.get(invoice_id).invoice.number
    with world.service() as svc:
        snap, plan = svc.prepare()
        links = {INVOICE: svc.links(INVOICE), DEAL: svc.links(DEAL)}
    row = next(
        r for r in build_views(snap, links, plan).invoices.rows if r.key == f"crm-deal:{deal_id}"
    )
    assert row.state is SyncState.ONLY_CRM  # not sent: its smart invoice carries the sale
    assert row.note == f"to 1C as its invoice {number}"
    assert f"smart invoice {number} (id {invoice_id}) carries the sale to 1C" in row.detail
    out = _status(world, f"deal:{deal_id}")
    assert "This deal is not in 1C: the deal's own smart invoice" in out, out
