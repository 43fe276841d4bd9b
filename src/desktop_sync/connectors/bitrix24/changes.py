"""The CRM port's changes (``desktop_sync.crm.changes``) as Bitrix24 commands: which
method and which fields each change is, the base price's own row, and the batches
(``updates.Updates``: 50 commands a request, a record's commands in one request and in
order, what a batch cannot carry call by call)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from desktop_sync.connectors.bitrix24.catalog import Catalog
from desktop_sync.connectors.bitrix24.deals import deal_update, deal_values
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.connectors.bitrix24.mapping import rows_set
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.connectors.bitrix24.updates import (
    Command,
    Updates,
    base_price,
    base_price_rows,
    base_price_type,
    invoice_fields,
    payment_paid,
    sync_fields,
)
from desktop_sync.crm.changes import (
    BasePrice,
    Change,
    CompanyTitle,
    InvoiceDate,
    InvoiceMarks,
    InvoiceRows,
    InvoiceStage,
    PaymentPaid,
    ProductFields,
    RequisiteName,
)

Rows = Mapping[int, int | None]  # product id -> its base price row (None: none yet)


class Changes:
    """Records' changes written to Bitrix24, one outcome per record."""

    def __init__(self, rest: RestClient, catalog: Catalog) -> None:
        self.rest = rest
        self.catalog = catalog
        self.batch = Updates(rest)

    def write(self, records: Sequence[Sequence[Change]], what: str) -> list[Exception | None]:
        """Each record's changes in as few batch requests as fit; its outcome: None (all
        written) or its first error. The base price rows are read first (one batch);
        when that read fails, the records with a price wait with its error."""
        out: dict[int, Exception | None] = {}
        priced = [n for n, record in enumerate(records) if _prices(record)]
        try:
            rows = self._price_rows([c for n in priced for c in _prices(records[n])])
        except Bitrix24Error as exc:
            rows = {}
            out.update(dict.fromkeys(priced, exc))
        sent: list[tuple[int, list[Command]]] = []
        for n, record in enumerate(records):
            if n in out:
                continue
            try:
                sent.append((n, [self.command(c, rows) for c in record]))
            except Bitrix24Error as exc:
                out[n] = exc
        answers = self.batch.run([c for _n, c in sent], what=what) if sent else []
        for (n, _c), error in zip(sent, answers, strict=True):
            out[n] = error
        return [out[n] for n in range(len(records))]

    def write_alone(self, record: Sequence[Change], what: str) -> None:
        """One record's changes, each its own request; the portal's error is raised."""
        rows = self._price_rows(_prices(record))
        for method, params in [self.command(c, rows) for c in record]:
            self.rest.call(method, params, what=what)

    def _price_rows(self, prices: Sequence[BasePrice]) -> Rows:
        if not prices:
            return {}
        ids = [p.product_id for p in prices]
        known = self.catalog.price_rows()  # listed by this run's read
        return base_price_rows(self.rest, base_price_type(self.catalog), ids, known)

    def command(self, change: Change, rows: Rows) -> Command:
        """The method and parameters of one change."""
        match change:
            case CompanyTitle(company_id, title):
                return "crm.company.update", {"id": company_id, "fields": {"TITLE": title}}
            case RequisiteName(requisite_id, name, organisation):
                field = "RQ_COMPANY_NAME" if organisation else "RQ_NAME"
                return "crm.requisite.update", {"id": requisite_id, "fields": {field: name}}
            case ProductFields():
                return _product(change)
            case BasePrice(product_id, price):
                base = base_price_type(self.catalog)
                return base_price(product_id, price, base, rows.get(product_id))
            case InvoiceRows(item_id, lines, deal):
                return rows_set("D" if deal else "SI", item_id, lines)
            case InvoiceDate(item_id, date, deal):
                if deal:
                    return deal_update(item_id, {"BEGINDATE": date})
                return invoice_fields(item_id, {"begindate": date})
            case InvoiceMarks(item_id, values, deal):
                if deal:
                    return deal_update(item_id, deal_values(values))
                return invoice_fields(item_id, sync_fields(values))
            case InvoiceStage(item_id, stage_id, deal):
                if deal:
                    return deal_update(item_id, {"STAGE_ID": stage_id})
                return invoice_fields(item_id, {"stageId": stage_id})
            case PaymentPaid(payment_id, paid):
                return payment_paid(payment_id, paid)


def _product(change: ProductFields) -> Command:
    fields: dict[str, object] = {}
    if change.name is not None:
        fields["name"] = change.name
    if change.measure_id is not None:
        fields["measure"] = change.measure_id
    if change.vat_id is not None:
        fields["vatId"] = change.vat_id
        fields["vatIncluded"] = "Y"
    method = "catalog.product.service.update" if change.service else "catalog.product.update"
    return method, {"id": change.product_id, "fields": fields}


def _prices(record: Sequence[Change]) -> list[BasePrice]:
    return [c for c in record if isinstance(c, BasePrice)]
