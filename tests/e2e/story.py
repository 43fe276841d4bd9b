"""What people do in 1C, per configuration: the e2e suite runs the same scenarios on
Бухгалтерия 3.0 and on Управление торговлей 11.

In BP 3.0 a CRM invoice becomes a ``СчетНаОплатуПокупателю``; payments name it in
``РасшифровкаПлатежа.СчетНаОплату_Key`` and a shipment in ``СчетНаОплатуПокупателю_Key``.
In UT 11 it becomes a ``ЗаказКлиента``; payments name the order's settlement object
(``ОбъектРасчетов_Key``) and a shipment the order (``ЗаказКлиента``). The helpers make
documents as the accountant's form does (accounts and keys copied from seeded ones) and
post them, so the sandbox's posting rules run.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from desktop_sync.connectors.onec import OnecClient
from desktop_sync.sandbox.onec import OnecSandbox, bp30, ut11
from desktop_sync.sandbox.onec.ut11_seed import settlement_ref

NO_REF = "00000000-0000-0000-0000-000000000000"
KINDS = ("bank", "refund", "card", "cash")


@dataclass(frozen=True)
class Doc:
    set_name: str
    ref: str


class Story:
    configuration = ""
    invoices = ""
    counterparties = ""
    products = ""
    shipments = ""
    returns = ""
    payment_sets: ClassVar[dict[str, str]] = {}

    def __init__(self, sandbox: OnecSandbox) -> None:
        self.sb = sandbox

    def client(self) -> OnecClient:
        return OnecClient(
            self.sb.url, self.sb.user, self.sb.password, configuration=self.configuration
        )

    def row(self, set_name: str, ref: str) -> dict[str, Any]:
        rec = self.sb.store.get(set_name, ref)
        assert rec is not None, (set_name, ref)
        return rec

    def invoice(self, ref: str) -> dict[str, Any]:
        return self.row(self.invoices, ref)

    def _like(self, set_name: str) -> dict[str, Any]:
        return copy.deepcopy(next(iter(self.sb.store.rows[set_name].values())))

    def _post(self, set_name: str, values: dict[str, Any]) -> Doc:
        rec = self.sb.add(set_name, **values)
        ref = str(rec["Ref_Key"])
        self.sb.post(set_name, ref)
        return Doc(set_name, ref)

    def unpost(self, doc: Doc) -> None:
        self.sb.unpost(doc.set_name, doc.ref)

    def shipped(self, shipment_ref: str) -> Decimal:
        return sum((r["Сумма"] for r in self.row(self.shipments, shipment_ref)["Товары"]),
                   Decimal(0))  # fmt: skip

    def redate_invoice(self, ref: str, when: dt.datetime) -> None:
        self.sb.edit(self.invoices, ref, Date=when)

    def reprice_shipment(self, ref: str, when: dt.datetime, factor: Decimal) -> None:
        """The same goods shipped later at another price (unposted, edited, posted)."""
        rows = copy.deepcopy(self.row(self.shipments, ref)["Товары"])
        for row in rows:
            row["Цена"] = (row["Цена"] * factor).quantize(Decimal("0.01"))
            row["Сумма"] = (row["Цена"] * row["Количество"]).quantize(Decimal("0.01"))
            if "СуммаСНДС" in row:
                row["СуммаСНДС"] = row["Сумма"]
        self.sb.unpost(self.shipments, ref)
        self.sb.edit(self.shipments, ref, Date=when, Товары=rows)
        self.sb.post(self.shipments, ref)

    # per configuration ------------------------------------------------------------------

    def payment(
        self,
        allocations: list[tuple[str, Decimal]],
        number: str,
        day: int,
        kind: str = "bank",
        *,
        allocate: bool = True,
        purpose: str = "",
    ) -> Doc:
        raise NotImplementedError

    def shipment(self, invoice_ref: str, number: str, share: Decimal = Decimal(1)) -> Doc:
        raise NotImplementedError

    def return_one(self, invoice_ref: str, shipment_ref: str, number: str) -> Decimal:
        """One unit of the shipment's first row comes back; its price is returned."""
        raise NotImplementedError


class BpStory(Story):
    configuration = "bp30"
    invoices = bp30.INVOICES
    counterparties = bp30.COUNTERPARTIES
    products = bp30.PRODUCTS
    shipments = bp30.SHIPMENTS
    returns = "Document_ВозвратТоваровОтПокупателя"
    payment_sets: ClassVar[dict[str, str]] = {
        "bank": "Document_ПоступлениеНаРасчетныйСчет",
        "refund": "Document_СписаниеСРасчетногоСчета",
        "card": "Document_ОперацияПоПлатежнойКарте",
        "cash": "Document_ПриходныйКассовыйОрдер",
    }

    def payment(
        self,
        allocations: list[tuple[str, Decimal]],
        number: str,
        day: int,
        kind: str = "bank",
        *,
        allocate: bool = True,
        purpose: str = "",
    ) -> Doc:
        set_name = self.payment_sets[kind]
        like = self._like(set_name)
        template = like["РасшифровкаПлатежа"][0]
        first = self.invoice(allocations[0][0])
        rows = []
        for n, (ref, amount) in enumerate(allocations, start=1):
            row = copy.deepcopy(template)
            row.update(
                LineNumber=n,
                ДоговорКонтрагента_Key=self.invoice(ref)["ДоговорКонтрагента_Key"],
                СчетНаОплату_Key=ref if allocate else NO_REF,
                СуммаПлатежа=amount,
                СуммаВзаиморасчетов=amount,
            )
            rows.append(row)
        for name in ("Ref_Key", "DataVersion", "Posted", "Number"):
            like.pop(name, None)
        like.update(
            Number=number,
            Date=dt.datetime(2026, 3, day, 10),
            Организация_Key=first["Организация_Key"],
            Контрагент_Key=first["Контрагент_Key"],
            СуммаДокумента=sum((a for _r, a in allocations), Decimal(0)),
            РасшифровкаПлатежа=rows,
        )
        if "НазначениеПлатежа" in like:
            like["НазначениеПлатежа"] = purpose or "Оплата по счёту"
        if kind == "bank":
            like["ВидОперации"] = "ОплатаПокупателя"
        elif kind == "refund":
            like["ВидОперации"] = "ВозвратПокупателю"
        return self._post(set_name, like)

    def shipment(self, invoice_ref: str, number: str, share: Decimal = Decimal(1)) -> Doc:
        """A Реализация "на основании" the invoice."""
        inv = self.invoice(invoice_ref)
        like = next(r for r in self.sb.store.rows[self.shipments].values() if r["Товары"])
        row_like = like["Товары"][0]
        rows = []
        for n, row in enumerate(inv["Товары"], start=1):
            qty = (row["Количество"] * share).quantize(Decimal("0.001"))
            rows.append(
                {
                    "LineNumber": n,
                    "Номенклатура_Key": row["Номенклатура_Key"],
                    "Количество": qty,
                    "Цена": row["Цена"],
                    "Сумма": (row["Цена"] * qty).quantize(Decimal("0.01")),
                    "СтавкаНДС": row["СтавкаНДС"],
                    "СуммаНДС": Decimal("0"),
                    "СчетУчета_Key": row_like["СчетУчета_Key"],
                    "СчетДоходов_Key": row_like["СчетДоходов_Key"],
                    "СчетРасходов_Key": row_like["СчетРасходов_Key"],
                }
            )
        return self._post(
            self.shipments,
            {
                "Number": number,
                "Date": dt.datetime(2026, 3, 20, 15),
                "ВидОперации": "Товары",
                "Организация_Key": inv["Организация_Key"],
                "Склад_Key": like["Склад_Key"],
                "Контрагент_Key": inv["Контрагент_Key"],
                "ДоговорКонтрагента_Key": inv["ДоговорКонтрагента_Key"],
                "СчетНаОплатуПокупателю_Key": invoice_ref,
                "ВалютаДокумента_Key": like["ВалютаДокумента_Key"],
                "СуммаВключаетНДС": True,
                "СуммаДокумента": sum((r["Сумма"] for r in rows), Decimal(0)),
                "Товары": rows,
                "Услуги": [],
                "СчетУчетаРасчетовСКонтрагентом_Key": like["СчетУчетаРасчетовСКонтрагентом_Key"],
                "СчетУчетаРасчетовПоАвансам_Key": like["СчетУчетаРасчетовПоАвансам_Key"],
            },
        )

    def return_one(self, invoice_ref: str, shipment_ref: str, number: str) -> Decimal:
        shipped_row = self.row(self.shipments, shipment_ref)["Товары"][0]
        back: Decimal = shipped_row["Цена"]
        like = self._like(self.returns)
        ret_row = like["Товары"][0]
        ret_row.update(
            Номенклатура_Key=shipped_row["Номенклатура_Key"],
            Количество=Decimal(1),
            Цена=back,
            Сумма=back,
            СтавкаНДС=shipped_row["СтавкаНДС"],
        )
        for name in ("Ref_Key", "DataVersion", "Posted", "Number"):
            like.pop(name, None)
        inv = self.invoice(invoice_ref)
        like.update(
            Number=number,
            Date=dt.datetime(2026, 3, 22, 12),
            Контрагент_Key=inv["Контрагент_Key"],
            ДоговорКонтрагента_Key=inv["ДоговорКонтрагента_Key"],
            ДокументРеализации_Key=shipment_ref,
            СуммаДокумента=back,
            Товары=[ret_row],
        )
        self._post(self.returns, like)
        return back


class UtStory(Story):
    configuration = "ut11"
    invoices = ut11.ORDERS
    counterparties = ut11.COUNTERPARTIES
    products = ut11.PRODUCTS
    shipments = ut11.SHIPMENTS
    returns = ut11.RETURNS
    payment_sets: ClassVar[dict[str, str]] = {
        "bank": ut11.BANK_RECEIPTS,
        "refund": ut11.BANK_REFUNDS,
        "card": ut11.CARD_PAYMENTS,
        "cash": ut11.CASH_RECEIPTS,
    }

    def payment(
        self,
        allocations: list[tuple[str, Decimal]],
        number: str,
        day: int,
        kind: str = "bank",
        *,
        allocate: bool = True,
        purpose: str = "",
    ) -> Doc:
        """A payment as the cashier enters it in UT: the order's settlement object in
        ``РасшифровкаПлатежа`` (none when the bank statement did not say)."""
        set_name = self.payment_sets[kind]
        first = self.invoice(allocations[0][0])
        extra: dict[str, Any] = {}
        if kind == "cash":
            extra["Касса_Key"] = next(iter(self.sb.store.rows[ut11.CASH_DESKS]))
        else:
            like = self._like(ut11.BANK_RECEIPTS)
            extra["БанковскийСчет_Key"] = like["БанковскийСчет_Key"]
        rows = []
        for n, (ref, amount) in enumerate(allocations, start=1):
            order = self.invoice(ref)
            rows.append(
                {
                    "LineNumber": n,
                    "Партнер_Key": order["Партнер_Key"],
                    "Договор_Key": order["Договор_Key"],
                    "ОбъектРасчетов_Key": settlement_ref(ref) if allocate else NO_REF,
                    "Сумма": amount,
                    "СуммаВзаиморасчетов": amount,
                }
            )
        return self._post(
            set_name,
            {
                "Number": number,
                "Date": dt.datetime(2026, 3, day, 10),
                "ХозяйственнаяОперация": "ВозвратОплатыКлиенту"
                if kind == "refund"
                else "ПоступлениеОплатыОтКлиента",
                "Организация_Key": first["Организация_Key"],
                "Контрагент_Key": first["Контрагент_Key"],
                "Валюта_Key": first["Валюта_Key"],
                "СуммаДокумента": sum((a for _r, a in allocations), Decimal(0)),
                "НазначениеПлатежа": purpose or "Оплата по заказу",
                "РасшифровкаПлатежа": rows,
                **extra,
            },
        )

    def _header(self, order: dict[str, Any]) -> dict[str, Any]:
        return {
            k: order[k]
            for k in ("Организация_Key", "Партнер_Key", "Контрагент_Key", "Соглашение_Key",
                      "Договор_Key", "Склад_Key", "Валюта_Key", "ЦенаВключаетНДС")
        }  # fmt: skip

    def shipment(self, invoice_ref: str, number: str, share: Decimal = Decimal(1)) -> Doc:
        """A Реализация on the order (UT fills ЗаказКлиента in the header and the rows)."""
        order = self.invoice(invoice_ref)
        fields_of = {f.name for f in self.sb.store.schema.sets[self.shipments].tabular[0].fields}
        link = {"ЗаказКлиента": invoice_ref, "ЗаказКлиента_Type": "StandardODATA." + ut11.ORDERS}
        rows = []
        for row in order["Товары"]:
            qty = (row["Количество"] * share).quantize(Decimal("0.001"))
            amount = (row["Цена"] * qty).quantize(Decimal("0.01"))
            new = {k: v for k, v in row.items() if k in fields_of} | link
            new.update(Количество=qty, КоличествоУпаковок=qty, Сумма=amount)
            if "СуммаСНДС" in new:
                new["СуммаСНДС"] = amount
            rows.append(new)
        return self._post(
            self.shipments,
            {
                **self._header(order),
                **link,
                "Number": number,
                "Date": dt.datetime(2026, 3, 20, 15),
                "СуммаДокумента": sum((r["Сумма"] for r in rows), Decimal(0)),
                "Товары": rows,
            },
        )

    def return_one(self, invoice_ref: str, shipment_ref: str, number: str) -> Decimal:
        first = self.row(self.shipments, shipment_ref)["Товары"][0]
        back: Decimal = first["Цена"]
        self._post(
            self.returns,
            {
                **self._header(self.invoice(invoice_ref)),
                "Number": number,
                "Date": dt.datetime(2026, 3, 22, 12),
                "СуммаДокумента": back,
                "Товары": [
                    {k: v for k, v in first.items() if not k.startswith("ЗаказКлиента")}
                    | {
                        "LineNumber": 1,
                        "Количество": Decimal(1),
                        "КоличествоУпаковок": Decimal(1),
                        "Сумма": back,
                        "СуммаСНДС": back,
                        "ДокументРеализации": shipment_ref,
                        "ДокументРеализации_Type": "StandardODATA." + self.shipments,
                    }
                ],
            },
        )
        return back


STORIES: dict[str, type[Story]] = {"bp30": BpStory, "ut11": UtStory}
