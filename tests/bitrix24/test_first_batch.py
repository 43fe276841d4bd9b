"""The reference lists of a sync's first read ride in its first batch (issue 18).

The webhook's permissions (``scope``) and the invoice pipeline's stages used to be
requests of their own on every first read; they are commands of the read's first batch
now. Over loopback, against the sandbox portal.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox

ALONE = ("scope", "crm.category.list", "crm.status.list")


def test_stages_and_permissions_come_with_the_first_batch(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    before = {m: portal.stats.calls[m] for m in ALONE}
    lists = client.read_lists()
    assert {m: portal.stats.calls[m] for m in ALONE} == before  # none a request of its own
    assert client.missing_scopes() == []
    assert {m: portal.stats.calls[m] for m in ALONE} == before
    assert lists.stages == client.invoices.stages()


def test_a_default_pipeline_that_is_not_the_first_is_asked_for(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    default = portal.store.categories[0]
    portal.store.categories.insert(
        0, {**default, "id": 99, "name": "Другая", "isDefault": "N"}
    )  # the guess (the first pipeline) is wrong
    lists = client.read_lists()
    assert lists.stages and lists.stages == client.invoices.stages(int(default["id"]))


def test_a_full_read_lists_the_requisites_chosen_on_invoices(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    invoice = next(i for i in client.invoices.read() if i.company_id)
    company = next(
        c for c in client.companies.read() if c.counterparty.crm_id == invoice.company_id
    )
    requisite = company.counterparty.requisites[0].crm_id or 0
    client.invoices.link_invoice_requisite(invoice.invoice.crm_id or 0, requisite)
    before = portal.stats.subcalls["crm.requisite.link.get"]
    lists = client.read_lists()
    assert lists.chosen == {invoice.invoice.crm_id: requisite}  # in the scans' batches
    assert portal.stats.subcalls["crm.requisite.link.get"] == before


def test_a_full_read_takes_the_fewest_requests_its_pages_allow(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    """Every list's pages 50 to a batch, the rows of the invoices in the same batches as
    the lists (each list's size comes with its first page; the invoices go first)."""
    st = medium.store
    sizes = (st.companies, st.requisites, st.products, st.prices, st.items, st.product_rows)
    pages = sum(len(t.rows) // 50 + 1 for t in sizes)
    requests, commands = medium.stats.requests, sum(medium.stats.subcalls.values())
    lists = make_client(medium.webhook).read_lists()
    assert sum(len(i.invoice.lines) for i in lists.invoices) == len(st.product_rows.rows)
    requests = medium.stats.requests - requests
    commands = sum(medium.stats.subcalls.values()) - commands
    assert requests == -(-commands // 50)  # every batch full but the last
    # beyond the 180 pages: the reference lists and checks (14) in the first batch, and
    # pages asked past the end of a group of rows (its size is only estimated)
    assert pages == 180 and commands < 220
    assert requests == 5  # was 6: four batches of the lists, then two of the rows


def test_a_portal_that_refuses_a_list_of_owners_still_gives_the_rows(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    from desktop_sync.sandbox.bitrix24 import registry
    from desktop_sync.sandbox.bitrix24.errors import bad_argument

    scopes, original = registry.METHODS["crm.item.productrow.list"]

    def strict(ctx: registry.Ctx, params: dict[str, object]) -> registry.Outcome:
        flt = params.get("filter")
        if isinstance(flt, dict) and isinstance(flt.get("=ownerId"), list):
            raise bad_argument("Invalid filter: field 'ownerId' has invalid value")
        return original(ctx, params)

    registry.METHODS["crm.item.productrow.list"] = (scopes, strict)
    try:
        lists = client.read_lists()
    finally:
        registry.METHODS["crm.item.productrow.list"] = (scopes, original)
    assert sum(len(i.invoice.lines) for i in lists.invoices) == len(portal.store.product_rows.rows)
