"""The window's invoice lookup card says why a UT 11 draft order is not in the CRM, as
`desktop-sync status` says it («В CRM его нет: заказ клиента УТ 11 уходит в CRM после
проведения в 1С; …»), not «В CRM пока нет.» (seen on the UT 11 screenshot)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.i18n import set_language
from desktop_sync.readmodel import INVOICE, find_invoices
from tests.e2e.conftest import World, make_world, set_profile
from tests.e2e.test_issued_invoices import SINCE, issue, onec_invoice


@pytest.fixture
def ut_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for world in make_world(tmp_path, monkeypatch, configuration="ut11"):
        set_profile(world, ("onec.invoices_since", SINCE), ("print.invoice_pdf", "off"))
        yield world


def test_the_lookup_card_of_a_ut_draft_says_it_goes_once_posted(ut_world: World) -> None:
    from desktop_sync.gui.controllers.lookup import status_html

    world = ut_world
    draft = issue(world, 13, (2,), posted=False)
    query = f"{onec_invoice(world, draft).number}/2026"
    set_language("ru")
    try:
        with world.service() as svc:
            snap, plan = svc.prepare()
            links = svc.links(INVOICE)
        (found,) = find_invoices(snap, links, query, notes=plan.notes)
        card = status_html(found)
        (plain,) = find_invoices(snap, links, query)  # no plan: nothing to say
        plain_card = status_html(plain)
    finally:
        set_language("en")
    assert found.crm_id is None
    assert "В CRM его нет: заказ клиента УТ 11 уходит в CRM после проведения в 1С" in card
    assert "В CRM пока нет." not in card
    assert "В CRM пока нет." in plain_card


def test_the_windows_lookup_gives_the_plans_reason_for_a_draft(qtbot, tmp_path: Path) -> None:
    """The window's finder passes the read's plan notes (the card said «Not in the CRM
    yet.» for the demo's UT 11 drafts before)."""
    from tests.gui.sandbox_env import demo_env, loaded_window

    with (
        demo_env(tmp_path / "home", configuration="ut11") as env,
        loaded_window(qtbot, env) as c,
    ):
        assert c.plan is not None and c.plan.notes, "the UT 11 demo has draft orders"
        # the first 1C draft's note (a CRM invoice not at the send stage has one too)
        ref = next(r for _k, r, _s, _t in c.plan.notes if r in c.snapshot.onec.invoices)
        draft = c.snapshot.onec.invoices[ref]
        c.lookup.query.setText(f"{draft.number}/{draft.date.year}")
        c.lookup.search()
        assert c.lookup.results and c.lookup.results[0].note
        assert "goes to the CRM once it is posted in 1C" in c.lookup.detail.toHtml()
