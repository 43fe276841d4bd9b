"""Domain reads through the real client, over loopback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.domain.entities import CounterpartyKind, ProductKind
from desktop_sync.domain.vat import VatRate
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox


def test_every_invoice_of_the_medium_set_with_rows_and_no_503(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(medium.add_webhook())
    before = medium.stats.requests
    rejected = (medium.stats.rejected_503, medium.stats.rejected_429)
    invoices = client.invoices.read()
    assert (medium.stats.rejected_503, medium.stats.rejected_429) == rejected
    assert len(invoices) == len(medium.store.items)
    requests = medium.stats.requests - before
    assert requests <= 2 + len(invoices) // 50 + 1  # scan + one batch per 50 invoices
    rows_by_owner: dict[int, int] = {}
    for row in medium.store.product_rows:
        rows_by_owner[row["ownerId"]] = rows_by_owner.get(row["ownerId"], 0) + 1
    for inv in invoices:
        assert len(inv.invoice.lines) == rows_by_owner.get(inv.invoice.crm_id or 0, 0)
        assert isinstance(inv.opportunity, Decimal)
        assert inv.updated.tzinfo is not None
    # the CRM's total is the sum of rows with VAT: exact when VAT is in the price; with VAT
    # on top each row may differ by a kopeck (a real difference the engine reports)
    for inv in invoices[:300]:
        if all(ln.vat_included for ln in inv.invoice.lines):
            assert inv.invoice.total == inv.opportunity, inv.invoice.number
        else:
            slack = Decimal("0.01") * len(inv.invoice.lines)
            assert abs(inv.invoice.total - inv.opportunity) <= slack, inv.invoice.number


def test_every_list_of_the_medium_set(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(medium.add_webhook())
    companies = client.companies.read()
    assert len(companies) == len(medium.store.companies) - 1  # without our own company
    products = client.catalog.products()
    assert len(products) == len(medium.store.products)
    assert len(client.inventory.store_amounts()) == len(medium.store.store_products)
    assert len(client.companies.contacts()) == len(medium.store.contacts)


def test_companies_with_requisites_branch_and_sole_traders(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    companies = client.companies.read()
    with_two = [c for c in companies if len(c.counterparty.requisites) == 2]
    assert with_two, "a head company with its branch"
    head, branch = with_two[0].counterparty.requisites
    assert head.inn == branch.inn and head.kpp != branch.kpp
    traders = [c for c in companies if c.counterparty.kind is CounterpartyKind.SOLE_TRADER]
    assert traders and all(
        len(c.counterparty.inn) == 12 and not c.counterparty.kpp for c in traders
    )
    titles = [c.counterparty.name for c in companies]
    assert len(titles) != len(set(titles)), "a duplicate company"
    assert any("'" in t for t in titles) and any("«" in t for t in titles)
    assert all(c.origin_id is None and c.originator_id is None for c in companies)


def test_products_measures_vat_and_prices(client: Bitrix24Client) -> None:
    products = client.catalog.products()
    assert {p.product.kind for p in products} == {ProductKind.GOODS, ProductKind.SERVICE}
    # products loaded by 1C's standard exchange carry the 1C GUID in xmlId; those typed
    # in by hand keep the portal's default, their own id
    exchanged = [p for p in products if p.product.onec_ref is not None]
    by_hand = [p for p in products if p.product.onec_ref is None]
    assert exchanged and by_hand
    assert all(p.xml_id == p.product.onec_ref for p in exchanged)
    assert all(p.xml_id == str(p.product.crm_id) for p in by_hand)
    rates = {p.product.vat_rate for p in products}
    assert {VatRate.VAT22, VatRate.WITHOUT, VatRate.VAT0, VatRate.VAT10} <= rates
    assert all(p.product.unit is not None for p in products)
    assert all(isinstance(p.product.price, Decimal) for p in products)
    assert {u.okei for u in client.catalog.measures()} >= {"796", "006", "356"}
    assert [w.name for w in client.inventory.stores()] == ["Основной склад", "Склад «Южный»"]
    assert [p.base for p in client.catalog.price_types()] == [True, False]


def test_invoices_stages_and_rows(client: Bitrix24Client) -> None:
    stages = client.invoices.stages()
    assert [s.semantics for s in stages if s.id.endswith((":P", ":D"))] == ["success", "failure"]
    invoices = client.invoices.read()
    assert {i.stage_id for i in invoices} >= {"DT31_1:N", "DT31_1:S", "DT31_1:P", "DT31_1:D"}
    lines = [ln for i in invoices for ln in i.invoice.lines]
    assert any(not ln.vat_included for ln in lines) and any(ln.vat_included for ln in lines)
    assert any(ln.discount > 0 for ln in lines)
    assert all(i.xml_id is None for i in invoices)


def test_incremental_read_by_updated_time(client: Bitrix24Client, portal: Bitrix24Sandbox) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert client.invoices.read(updated_since=since) == []
    portal.move_stage(2, "DT31_1:P")
    portal.edit_row(
        next(r["id"] for r in portal.store.product_rows if r["ownerId"] == 5), quantity=Decimal(3)
    )
    changed = client.invoices.read(updated_since=since)
    assert [i.invoice.crm_id for i in changed] == [2, 5]
    assert changed[0].stage_id == "DT31_1:P"


def test_reconciliation_finds_deleted_invoices(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    before = set(client.invoices.invoice_ids())
    portal.delete_item(4)
    assert before - set(client.invoices.invoice_ids()) == {4}


def test_manager_sees_fewer_companies_and_invoices(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    admin = make_client(portal.webhook)
    manager = make_client(portal.manager_webhook())
    all_companies = admin.companies.read()
    mine = manager.companies.read()
    assert 0 < len(mine) < len(all_companies)
    assert all(c.assigned_by == 2 for c in mine)
    assert 0 < len(manager.invoices.read()) < len(admin.invoices.read())


def test_rows_of_a_group_beyond_one_page_are_read_on(client: Bitrix24Client) -> None:
    many = [{"productName": f"Позиция {n}", "price": n, "quantity": 1} for n in range(1, 71)]
    client.call("crm.item.productrow.set", {"ownerType": "SI", "ownerId": 3, "productRows": many})
    by_id = {i.invoice.crm_id: i for i in client.invoices.read()}
    assert len(by_id[3].invoice.lines) == 70
    assert by_id[3].opportunity == Decimal(sum(range(1, 71)))
    assert [ln.product_name for ln in by_id[3].invoice.lines][-1] == "Позиция 70"


def test_rows_fall_back_to_one_command_per_invoice(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    """A portal that refuses a list of owners gets one command per invoice."""
    from desktop_sync.sandbox.bitrix24 import registry
    from desktop_sync.sandbox.bitrix24.errors import bad_argument

    scopes, original = registry.METHODS["crm.item.productrow.list"]

    def strict(ctx: registry.Ctx, params: dict[str, object]) -> registry.Outcome:
        flt = params.get("filter")
        owner = flt.get("=ownerId") if isinstance(flt, dict) else None
        if isinstance(owner, list):
            raise bad_argument("Invalid filter: field 'ownerId' has invalid value")
        return original(ctx, params)

    registry.METHODS["crm.item.productrow.list"] = (scopes, strict)
    try:
        invoices = client.invoices.read()
    finally:
        registry.METHODS["crm.item.productrow.list"] = (scopes, original)
    assert all(inv.invoice.lines for inv in invoices)
    assert portal.stats.subcalls["crm.item.productrow.list"] > len(invoices)


def test_reference_lists_in_one_request_and_read_on_past_a_page() -> None:
    """Catalogs, measures, VAT rates and price types travel in one batch request; a
    portal with more than 50 measures (the whole ОКЕИ imported) has all of them read."""
    from desktop_sync.sandbox.bitrix24 import start

    with start(size="small", rate_limit=False) as portal:
        first = len(portal.store.measures)
        for n in range(70):
            portal.store.measures.append(
                {"id": 1000 + n, "code": f"{900 + n}", "measureTitle": f"Единица {n}",
                 "symbol": f"е{n}", "symbolIntl": "", "symbolLetterIntl": "", "isDefault": "N"}
            )  # fmt: skip
        with Bitrix24Client(portal.webhook, throttle=False) as c:
            portal.stats.reset()
            assert c.catalog.product_iblock() and c.catalog.vat_rates() and c.catalog.price_types()
            assert portal.stats.requests == 1 + 1  # the batch, then the measures' 2nd page
            assert len(c.catalog.measures()) == first + 70
            assert portal.stats.requests == 2  # read once per client
            c.forget()
            c.catalog.measures()
            assert portal.stats.requests == 4
