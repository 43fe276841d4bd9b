"""Bitrix24 behind the CRM port (``desktop_sync.crm.port``): the real client, over
loopback, used only through the port's protocols."""

from __future__ import annotations

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.port import as_port
from desktop_sync.crm.port import (
    CrmCatalog,
    CrmCompanies,
    CrmCustomFields,
    CrmInventory,
    CrmInvoices,
    CrmPayments,
    CrmPort,
    CrmTimeline,
)
from desktop_sync.crm.types import CrmLists, Known
from desktop_sync.domain.entities import Product, ProductKind
from desktop_sync.domain.vat import VatRate
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox


def test_the_client_and_each_of_its_parts_are_the_port(client: Bitrix24Client) -> None:
    port = as_port(client)
    assert isinstance(port, CrmPort)
    parts = {
        CrmCompanies: port.companies,
        CrmCatalog: port.catalog,
        CrmInvoices: port.invoices,
        CrmPayments: port.payments,
        CrmTimeline: port.timeline,
        CrmCustomFields: port.userfields,
        CrmInventory: port.inventory,
    }
    assert [kind.__name__ for kind, part in parts.items() if not isinstance(part, kind)] == []


def test_a_product_made_through_the_port_is_found_by_its_key(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    port = as_port(client)
    product = Product("Port test product", ProductKind.GOODS, vat_rate=VatRate.VAT22)
    assert port.catalog.find_product_by_xml_id("port-ref-1") is None
    made = port.catalog.add_product(product, xml_id="port-ref-1")
    assert port.catalog.find_product_by_xml_id("port-ref-1") == made
    assert portal.store.products.rows[made]["xmlId"] == "port-ref-1"


def test_the_read_through_the_port_sees_every_list(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    port = as_port(client)
    lists = port.read_lists(stores=True)
    assert isinstance(lists, CrmLists)
    assert len(lists.products) == len(portal.store.products)
    assert len(lists.invoices) == len(portal.store.items)
    again = port.read_lists(known=Known(), stores=False)
    assert again.stores is None
