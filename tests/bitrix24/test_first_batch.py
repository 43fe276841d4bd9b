"""The reference lists of a sync's first read ride in its first batch (issue 18).

The webhook's permissions (``scope``) and the invoice pipeline's stages used to be
requests of their own on every first read; they are commands of the read's first batch
now. Over loopback, against the sandbox portal.
"""

from __future__ import annotations

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
