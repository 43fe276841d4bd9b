"""Bitrix24 behind the CRM port (``desktop_sync.crm.port``): the real client, over
loopback, used only through the port's protocols."""

from __future__ import annotations

from decimal import Decimal

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.port import as_port
from desktop_sync.crm.changes import BasePrice, CompanyTitle, ProductFields, RequisiteName
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


def test_changes_through_the_port_one_outcome_per_record(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    """The update writers' changes (``crm.changes``) reach the portal as Bitrix24 keeps
    them; a record the portal refuses fails alone, the others are written."""
    port = as_port(client)
    company_id = next(iter(portal.store.companies.rows))
    requisite_id = next(iter(portal.store.requisites.rows))
    made = port.catalog.add_product(
        Product("Port change product", ProductKind.GOODS, vat_rate=VatRate.VAT22),
        xml_id="port-ref-2",
    )
    outcomes = port.changes.write(
        [
            [CompanyTitle(company_id, "ООО «Через порт»")],
            [RequisiteName(requisite_id, "Иванов Иван Иванович", organisation=False)],
            [ProductFields(made, service=False, name="Бумага через порт"),
             BasePrice(made, Decimal("123.45"))],
            [CompanyTitle(999_999, "нет такой")],
        ],
        what="port test",
    )  # fmt: skip
    assert outcomes[:3] == [None, None, None]
    assert isinstance(outcomes[3], Exception)
    assert portal.store.companies.rows[company_id]["TITLE"] == "ООО «Через порт»"
    assert portal.store.requisites.rows[requisite_id]["RQ_NAME"] == "Иванов Иван Иванович"
    assert portal.store.products.rows[made]["name"] == "Бумага через порт"
    prices = [p for p in portal.store.prices.rows.values() if p["productId"] == made]
    assert [Decimal(str(p["price"])) for p in prices] == [Decimal("123.45")]
    port.changes.write_alone([BasePrice(made, Decimal("100.00"))], what="port test")
    prices = [p for p in portal.store.prices.rows.values() if p["productId"] == made]
    assert [Decimal(str(p["price"])) for p in prices] == [Decimal("100.00")]  # updated, not added
