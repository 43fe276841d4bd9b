"""A simulated business: a manager in Bitrix24 and an accountant in 1C, day after day.

Every action goes through the systems' public APIs (``people.py``), drawn from a
``random.Random`` seeded per run, so a failure is replayed by its seed. The
generator writes what it did to ``log`` and records in ``expected`` every inbox
item its actions must cause under ../shared/domain.md (both sides changed the same
field, an invalid ИНН, a buyer that is a private person, a product only in the CRM…).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from desktop_sync.sandbox.onec.ut11_seed import settlement_ref

from . import issued as f8
from .invariants import CRM_ID_IN_COMMENT, DEAL_COMMENT, base_price_type
from .people import CrmUser, OnecUser, PersonError
from .persons import MOST, Person, new_person

NO_REF = "00000000-0000-0000-0000-000000000000"
CENT = Decimal("0.01")
NEW_STAGE = "DT31_1:N"
SEND_STAGE = "DT31_1:S"
SHIP_STAGE = "DT31_1:UC_SHIP"  # F10: the client confirmed delivery; 1C makes the sale
# F9/F10 on deals: the sandbox's pipeline 1 «Опт»
DEAL_PIPELINE = 1
DEAL_NEW, DEAL_SEND, DEAL_SHIP = "C1:NEW", "C1:UC_AGREED", "C1:UC_SHIP"
START = dt.date(2026, 3, 2)  # day 1 of the simulation (a Monday; VAT 22 % already)

# the rates a manager picks on a CRM row: 22 %, 10 %, 0 %, without VAT
CRM_RATES: tuple[Decimal | None, ...] = (Decimal(22), Decimal(10), Decimal(0), None)
BP_VAT_KINDS = ("Общая", "Льготная", "Нулевая", "БезНДС")


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def inn10(rng: random.Random, valid: bool = True) -> str:
    """An organization's ИНН with its check digit (broken on purpose when not ``valid``)."""
    digits = [rng.randint(0, 9) for _ in range(9)]
    digits[0] = rng.randint(1, 9)
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 % 10
    if not valid:
        check = (check + 1 + rng.randint(0, 8)) % 10
    return "".join(map(str, digits)) + str(check)


@dataclass(frozen=True)
class Expect:
    """An inbox item an action must cause: its key starts with ``prefix`` (one of
    several separated by ``|``) and, when given, its label or key contains ``needle``."""

    prefix: str
    why: str
    needle: str = ""
    required: bool = True  # False: allowed (a consequence the engine may or may not name)

    def matches(self, key: str, label: str) -> bool:
        return key.startswith(tuple(self.prefix.split("|"))) and (
            not self.needle or self.needle in key or self.needle in label
        )


@dataclass
class CrmCompany:
    crm_id: int
    name: str
    inn: str
    kpp: str
    valid: bool = True


@dataclass
class CrmInvoice:
    crm_id: int
    company_id: int | None
    contact_id: int | None = None
    sent: bool = False  # moved to the "send to 1C" stage


@dataclass
class Business:
    onec: OnecUser
    crm: CrmUser
    configuration: str
    sets: Any  # tests.e2e.story.Story subclass: the set names of the configuration
    rng: random.Random
    log: list[str] = field(default_factory=list)
    expected: list[Expect] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    companies: dict[int, CrmCompany] = field(default_factory=dict)
    invoices: dict[int, CrmInvoice] = field(default_factory=dict)
    day: int = 0
    serial: int = 0
    _products: list[dict[str, Any]] = field(default_factory=list)
    _templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)  # keys a person will decide on
    to_confirm: list[tuple[str, str]] = field(default_factory=list)  # (payment, invoice) refs
    confirmed: list[tuple[str, str]] = field(default_factory=list)
    # Invoices to a CRM contact (a private person) are off until the defect found by this
    # simulation is fixed: the engine keys companies and contacts by the bare CRM id in one
    # dict, so an invoice of contact 6 goes to 1C for company 6's counterparty (seed 1,
    # day 2). DESKTOP_SYNC_SIM_STRICT=1 turns them on.
    contact_invoices: bool = False
    # F10: CRM invoice id -> its 1C invoice (BP) / order (UT), moved to the "ship" stage
    closing: dict[int, str] = field(default_factory=dict)
    deals: dict[int, int] = field(default_factory=dict)  # F9: deal id -> its company
    closing_deals: set[int] = field(default_factory=set)  # deals moved to their "ship"
    # F8: the profile's start day for invoices issued in 1C; those the accountant issued
    issued_since: dt.date | None = None
    issued: list[str] = field(default_factory=list)
    issued_paid: set[str] = field(default_factory=set)
    # private persons (contacts without a company) buying; ("invoice" | "deal", CRM id) ->
    # the contact buying
    persons: dict[int, Person] = field(default_factory=dict)
    bought: dict[tuple[str, int], int] = field(default_factory=dict)

    # --- bookkeeping ------------------------------------------------------------------

    @property
    def today(self) -> dt.date:
        return START + dt.timedelta(days=self.day - 1)

    def at(self, hour: int) -> dt.datetime:
        return dt.datetime.combine(self.today, dt.time(hour, self.rng.randint(0, 59)))

    def note(self, who: str, text: str) -> None:
        self.log.append(f"day {self.day:>2} {who}: {text}")
        self.counts["actions"] += 1

    def expect(self, prefix: str, why: str, needle: str = "", *, required: bool = True) -> None:
        self.expected.append(Expect(prefix, why, needle, required))

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    # --- reading what a person sees ----------------------------------------------------

    def crm_products(self) -> list[dict[str, Any]]:
        """The catalog products a manager can pick: active, with a price."""
        rows = self.crm.list_all(
            "catalog.product.list",
            {"select": ["id", "iblockId", "name", "xmlId", "active"], "filter": {"iblockId": 25}},
            key="products",
        )
        return [r for r in rows if r.get("active") in ("Y", True)]

    def linked_products(self) -> list[dict[str, Any]]:
        """Products the CRM got from 1C (their xmlId is a 1C reference)."""
        refs = {
            str(p["Ref_Key"]).lower()
            for p in self.onec.list(self.sets.products, select="Ref_Key,DeletionMark,IsFolder")
            if not p.get("DeletionMark") and not p.get("IsFolder")
        }
        return [p for p in self.crm_products() if str(p.get("xmlId") or "").lower() in refs]

    def onec_invoices_from_crm(self) -> list[dict[str, Any]]:
        """1C invoices (BP) / orders (UT) the sync made from CRM invoices."""
        rows = self.onec.list(self.sets.invoices)
        return [
            r
            for r in rows
            if "desktop-sync" in str(r.get("Комментарий") or "") and not r.get("DeletionMark")
        ]

    def template(self, set_name: str, need_rows: str = "") -> dict[str, Any]:
        """A posted document of that kind, as the accountant copies one in the form."""
        if set_name not in self._templates:
            rows = self.onec.list(set_name, top=20)
            pick = next((r for r in rows if not need_rows or r.get(need_rows)), rows[0])
            self._templates[set_name] = pick
        return dict(self._templates[set_name])

    # --- the manager, in Bitrix24 ---------------------------------------------------------

    def m_new_company(self) -> str | None:
        n = self.next_serial()
        valid = self.rng.random() > 0.12
        inn = inn10(self.rng, valid)
        kpp = f"{inn[:4]}01001"
        name = f"ООО «Сим {self.day}-{n}»"
        cid = int(
            self.crm.call(
                "crm.company.add",
                {
                    "fields": {
                        "TITLE": name,
                        "COMPANY_TYPE": "CUSTOMER",
                        "CURRENCY_ID": "RUB",
                        "OPENED": "Y",
                    }
                },
            )
        )
        self.crm.call(
            "crm.requisite.add",
            {
                "fields": {
                    "ENTITY_TYPE_ID": 4,
                    "ENTITY_ID": cid,
                    "PRESET_ID": 1,
                    "NAME": "Организация",
                    "RQ_COMPANY_NAME": name,
                    "RQ_COMPANY_FULL_NAME": f"Общество «Сим {self.day}-{n}»",
                    "RQ_INN": inn,
                    "RQ_KPP": kpp,
                }
            },
        )
        self.companies[cid] = CrmCompany(cid, name, inn, kpp, valid)
        return f"company {cid} «{name}» ИНН {inn}{'' if valid else ' (invalid)'} КПП {kpp}"

    def m_branch(self) -> str | None:
        heads = [c for c in self.companies.values() if c.valid and c.kpp.endswith("01001")]
        if not heads:
            return None
        head = self.rng.choice(heads)
        n = self.next_serial()
        kpp = f"{head.inn[:4]}0{self.rng.randint(2, 9)}00{self.rng.randint(1, 9)}"
        if any(c.inn == head.inn and c.kpp == kpp for c in self.companies.values()):
            return None
        name = f"{head.name} (филиал {n})"
        cid = int(
            self.crm.call(
                "crm.company.add",
                {
                    "fields": {
                        "TITLE": name,
                        "COMPANY_TYPE": "CUSTOMER",
                        "CURRENCY_ID": "RUB",
                        "OPENED": "Y",
                    }
                },
            )
        )
        self.crm.call(
            "crm.requisite.add",
            {
                "fields": {
                    "ENTITY_TYPE_ID": 4,
                    "ENTITY_ID": cid,
                    "PRESET_ID": 1,
                    "NAME": "Организация",
                    "RQ_COMPANY_NAME": name,
                    "RQ_INN": head.inn,
                    "RQ_KPP": kpp,
                }
            },
        )
        self.companies[cid] = CrmCompany(cid, name, head.inn, kpp)
        return f"branch company {cid} «{name}» ИНН {head.inn} КПП {kpp}"

    def m_contact(self) -> str | None:
        n = self.next_serial()
        cid = int(
            self.crm.call(
                "crm.contact.add",
                {
                    "fields": {
                        "NAME": "Иван",
                        "LAST_NAME": f"Симов-{n}",
                        "TYPE_ID": "CLIENT",
                        "OPENED": "Y",
                    }
                },
            )
        )
        if self.companies and self.rng.random() < 0.5:
            company = self.rng.choice(list(self.companies))
            self.crm.call("crm.contact.update", {"id": cid, "fields": {"COMPANY_ID": company}})
        return f"contact {cid} «Симов-{n} Иван»"

    def _rows(self, included: str = "") -> list[dict[str, Any]]:
        """1–4 catalog rows. VAT is included in all rows' prices or in none, except now
        and then: 1C has one setting per document, so such an invoice waits in the inbox
        (F1:vat_included) until the manager corrects it."""
        products = self._products or self.linked_products()
        self._products = products
        included = included or ("Y" if self.rng.random() < 0.8 else "N")
        rows = []
        for _ in range(self.rng.randint(1, 4)):
            p = self.rng.choice(products)
            rate = self.rng.choice(CRM_RATES)
            price = Decimal(self.rng.randint(1000, 900000)) / 100  # kopecks
            row: dict[str, Any] = {
                "productId": int(p["id"]),
                "productName": p["name"],
                "price": price,
                "quantity": Decimal(self.rng.choice((1, 1, 2, 3, 5, 10, 12))),
                "taxRate": rate,
                "taxIncluded": included if self.rng.random() > 0.03 else "YN".replace(included, ""),
                "measureCode": 796,
            }
            if self.rng.random() < 0.2:  # a discount, per cent
                row.update(discountTypeId=2, discountRate=Decimal(self.rng.choice((3, 5, 10))))
            rows.append(row)
        return rows

    def m_new_invoice(self) -> str | None:
        buyers = list(self.companies.values())
        if not buyers:
            return None
        to_contact = self.rng.random() < 0.06 and self.contact_invoices
        fields: dict[str, Any] = {
            "title": f"Счёт симуляции {self.day}-{self.next_serial()}",
            "stageId": NEW_STAGE,
            "currencyId": "RUB",
            "opportunity": 0,
        }
        buyer = self.rng.choice(buyers)
        contact_id = None
        if to_contact:
            contact_id = int(
                self.crm.call(
                    "crm.contact.add",
                    {
                        "fields": {
                            "NAME": "Пётр",
                            "LAST_NAME": f"Покупатель-{self.serial}",
                            "OPENED": "Y",
                        }
                    },
                )
            )
            fields["contactId"] = contact_id
        else:
            fields["companyId"] = buyer.crm_id
        item = self.crm.call("crm.item.add", {"entityTypeId": 31, "fields": fields})["item"]
        crm_id = int(item["id"])
        rows = self._rows()
        only_crm = self.rng.random() < 0.04
        if only_crm:  # the manager types a product of her own into the catalog
            pid = self._crm_only_product()
            rows[0].update(productId=pid, productName=f"Товар менеджера {self.serial}")
        self.crm.call(
            "crm.item.productrow.set", {"ownerType": "SI", "ownerId": crm_id, "productRows": rows}
        )
        self.invoices[crm_id] = CrmInvoice(crm_id, None if to_contact else buyer.crm_id, contact_id)
        who = f"contact {contact_id}" if to_contact else f"company {buyer.crm_id}"
        text = f"invoice {crm_id} for {who}, {len(rows)} rows" + (
            " (one a CRM-only product)" if only_crm else ""
        )
        if only_crm:
            self.invoices[crm_id].sent = False
            self._only_crm.add(crm_id)
        if self.rng.random() < 0.5:
            text += "; " + self._send(crm_id)
        return text

    _only_crm: set[int] = field(default_factory=set)

    def _crm_only_product(self) -> int:
        pid = self.crm.call(
            "catalog.product.add",
            {
                "fields": {
                    "iblockId": 25,
                    "name": f"Товар менеджера {self.serial}",
                    "active": "Y",
                    "vatIncluded": "Y",
                    "measure": 1,
                }
            },
        )["element"]["id"]
        self._products = []  # the catalog changed
        return int(pid)

    def _send(self, crm_id: int) -> str:
        inv = self.invoices[crm_id]
        self.crm.call(
            "crm.item.update", {"entityTypeId": 31, "id": crm_id, "fields": {"stageId": SEND_STAGE}}
        )
        inv.sent = True
        # a private person's (a contact's) invoice is sent as a company's (issue 22)
        if inv.company_id is not None and not self.companies[inv.company_id].valid:
            self.expect(
                "F7:requisite_crm:",
                f"invoice {crm_id}: the buyer's ИНН is invalid",
                needle=self.companies[inv.company_id].name,
            )
            self.expect("F1:", f"invoice {crm_id} waits for its buyer", str(crm_id), required=False)
        rows = self._rows_of(crm_id)
        if len({r.get("taxIncluded") for r in rows}) > 1:
            self.expect(f"F1:vat_included:{crm_id}", f"invoice {crm_id} mixes VAT in and on top")
        for n in self._by_characteristics(crm_id):
            self.expect(
                f"F1:row{n}_characteristic:{crm_id}",
                f"invoice {crm_id} row {n}: a UT product sold by characteristics",
            )
        if crm_id in self._only_crm:
            self.expect(
                "F1:product", f"invoice {crm_id} names a CRM-only product", needle=str(crm_id)
            )
        return "moved to the send stage"

    def _rows_of(self, crm_id: int) -> list[dict[str, Any]]:
        rows = self.crm.call(
            "crm.item.productrow.list", {"filter": {"=ownerType": "SI", "=ownerId": crm_id}}
        )
        return list(rows["productRows"] if isinstance(rows, dict) else rows)

    def _by_characteristics(self, crm_id: int) -> list[int]:
        """Rows (1-based) naming a UT product sold by characteristics: the CRM row cannot
        say which one, so the order waits for the accountant."""
        if self.configuration != "ut11":
            return []
        rows = self._rows_of(crm_id)
        xml = {int(p["id"]): str(p.get("xmlId") or "").lower() for p in self.crm_products()}
        with_chars = {
            str(p["Ref_Key"]).lower()
            for p in self.onec.list(self.sets.products)
            if p.get("ИспользованиеХарактеристик") not in (None, "", "НеИспользовать")
        }
        rows = sorted(rows, key=lambda r: (int(r.get("sort") or 0), int(r.get("id") or 0)))
        return [
            n
            for n, r in enumerate(rows, start=1)
            if xml.get(int(r.get("productId") or 0)) in with_chars
        ]

    def m_edit_rows(self) -> str | None:
        drafts = [i for i in self.invoices.values() if not i.sent]
        if not drafts:
            return None
        inv = self.rng.choice(drafts)
        rows = self.crm.call(
            "crm.item.productrow.list", {"filter": {"=ownerType": "SI", "=ownerId": inv.crm_id}}
        )
        rows = rows["productRows"] if isinstance(rows, dict) else rows
        new = [
            {
                k: r[k]
                for k in (
                    "productId",
                    "productName",
                    "price",
                    "quantity",
                    "taxRate",
                    "taxIncluded",
                    "discountTypeId",
                    "discountRate",
                    "measureCode",
                )
                if k in r
            }
            for r in rows
        ]
        what = self.rng.choice(("qty", "price", "add", "drop"))
        if what == "qty" and new:
            new[0]["quantity"] = Decimal(self.rng.randint(1, 20))
        elif what == "price" and new:
            new[-1]["price"] = Decimal(self.rng.randint(1000, 500000)) / 100
        elif what == "drop" and len(new) > 1:
            new.pop()
        else:
            new += self._rows(str(new[0].get("taxIncluded") or "Y") if new else "")[:1]
        self.crm.call(
            "crm.item.productrow.set",
            {"ownerType": "SI", "ownerId": inv.crm_id, "productRows": new},
        )
        return f"invoice {inv.crm_id}: rows edited ({what})"

    def m_send(self) -> str | None:
        drafts = [i for i in self.invoices.values() if not i.sent]
        if not drafts:
            return None
        inv = self.rng.choice(drafts)
        return f"invoice {inv.crm_id}: " + self._send(inv.crm_id)

    def m_rename_company(self) -> str | None:
        """The manager corrects a company's name (only the company, not its requisite)."""
        mine = [c for c in self.companies.values() if c.valid and c.crm_id in self._in_onec()]
        if not mine:
            return None
        c = self.rng.choice(mine)
        c.name = c.name.rstrip("»") + " плюс»" if "»" in c.name else c.name + " плюс"
        self.crm.call("crm.company.update", {"id": c.crm_id, "fields": {"TITLE": c.name}})
        self._renamed_crm.add(c.crm_id)
        return f"company {c.crm_id} renamed «{c.name}»"

    def _in_onec(self) -> set[int]:
        inns = {
            (str(r.get("ИНН") or ""), str(r.get("КПП") or ""))
            for r in self.onec.list(self.sets.counterparties, select="ИНН,КПП")
        }
        return {c.crm_id for c in self.companies.values() if (c.inn, c.kpp) in inns}

    # --- the accountant, in 1C --------------------------------------------------------

    def a_new_counterparty(self) -> str | None:
        n = self.next_serial()
        inn = inn10(self.rng)
        values: dict[str, Any] = {
            "Description": f"ООО «Поставщик {self.day}-{n}»",
            "НаименованиеПолное": f"Общество «Поставщик {self.day}-{n}»",
            "ИНН": inn,
            "КПП": f"{inn[:4]}01001",
        }
        if self.configuration == "bp30":
            values["ЮридическоеФизическоеЛицо"] = "ЮридическоеЛицо"
        else:
            like = self.template(self.sets.counterparties)
            for k in ("Партнер_Key", "ЮрФизЛицо", "ЮридическоеФизическоеЛицо"):
                if k in like:
                    values[k] = like[k]
        rec = self.onec.add(self.sets.counterparties, values)
        return f"counterparty {rec['Ref_Key']} «{values['Description']}» (a supplier)"

    def _customer_products(self) -> list[dict[str, Any]]:
        linked = {str(p.get("xmlId")).lower() for p in self.crm_products()}
        rows = self.onec.list(self.sets.products)
        return [
            r
            for r in rows
            if str(r["Ref_Key"]).lower() in linked
            and not r.get("DeletionMark")
            and not r.get("IsFolder")
        ]

    def a_rename_product(self) -> str | None:
        ps = self._customer_products()
        if not ps:
            return None
        p = self.rng.choice(ps)
        name = str(p["Description"]).split(" (ред.")[0] + f" (ред. {self.day})"
        self.onec.edit(
            self.sets.products, p["Ref_Key"], {"Description": name, "НаименованиеПолное": name}
        )
        self._products = []
        return f"product {p['Ref_Key']} renamed «{name}»"

    def a_product_vat(self) -> str | None:
        if self.configuration != "bp30":
            return None
        ps = [p for p in self._customer_products() if p.get("ВидСтавкиНДС")]
        if not ps:
            return None
        p = self.rng.choice(ps)
        kind = self.rng.choice([k for k in BP_VAT_KINDS if k != p.get("ВидСтавкиНДС")])
        self.onec.edit(self.sets.products, p["Ref_Key"], {"ВидСтавкиНДС": kind})
        return f"product {p['Ref_Key']} «{p['Description']}»: ВидСтавкиНДС → {kind}"

    def a_product_unit(self) -> str | None:
        ps = self._customer_products()
        units_set = (
            "Catalog_КлассификаторЕдиницИзмерения"
            if self.configuration == "bp30"
            else "Catalog_УпаковкиЕдиницыИзмерения"
        )
        units = [  # units of measure (a ОКЕИ code), not one product's packages (UT)
            u
            for u in self.onec.list(units_set)
            if not u.get("IsFolder")
            and str(u.get("Code") or "").strip().isdigit()
            and u.get("Owner") in (None, "", NO_REF)
        ]
        if not ps or len(units) < 2:
            return None
        p = self.rng.choice(ps)
        unit = self.rng.choice([u for u in units if u["Ref_Key"] != p.get("ЕдиницаИзмерения_Key")])
        self.onec.edit(self.sets.products, p["Ref_Key"], {"ЕдиницаИзмерения_Key": unit["Ref_Key"]})
        return f"product {p['Ref_Key']} «{p['Description']}»: unit → {unit.get('Description')}"

    def a_set_price(self) -> str | None:
        """A new price through the price-setting document, as 1C users do: a copy of an
        earlier one (same price type), one or two products, posted."""
        ps = self._customer_products()
        if not ps:
            return None
        set_name = "Document_УстановкаЦенНоменклатуры"
        like = self.template(set_name, "Товары")
        row_like = dict(like["Товары"][0])
        base = base_price_type(self.onec, self.configuration)
        if self.configuration == "ut11":
            row_like["ВидЦены_Key"] = base
            like["ВидыЦен"] = [{"LineNumber": 1, "ВидЦены_Key": base}]
            like["Статус"] = "Согласован"
        else:
            like["ТипЦен_Key"] = base
        rows = []
        for n, p in enumerate(self.rng.sample(ps, min(len(ps), self.rng.randint(1, 2))), 1):
            row = dict(row_like)
            price = Decimal(self.rng.randint(5000, 2000000)) / 100
            row.update(LineNumber=n, Номенклатура_Key=p["Ref_Key"], Цена=price)
            if "Характеристика_Key" in row:
                row["Характеристика_Key"] = NO_REF
            rows.append(row)
        values = {
            k: v
            for k, v in like.items()
            if k not in ("Ref_Key", "DataVersion", "Posted", "Number", "Товары") and "@" not in k
        }
        # one price per product and moment: a second document the same minute gets its own
        when = self.at(9).replace(second=self.next_serial() % 60)
        values.update(Date=when, Товары=rows)
        rec = self.onec.add(set_name, values)
        self.onec.post(set_name, rec["Ref_Key"])
        return f"price-setting {rec['Ref_Key']}: " + ", ".join(
            f"{r['Номенклатура_Key']} {r['Цена']}" for r in rows
        )

    def a_rename_counterparty(self) -> str | None:
        """The accountant renames a counterparty the CRM has; if the manager renamed the
        same company since the last sync, that is a conflict for a person."""
        cps = self.onec.list(self.sets.counterparties)
        mine = {(c.inn, c.kpp): c for c in self.companies.values() if c.valid}
        cands = [
            r for r in cps if (r.get("ИНН"), r.get("КПП")) in mine and not r.get("DeletionMark")
        ]
        if not cands:
            return None
        r = self.rng.choice(cands)
        name = str(r["Description"]).split(" (1С")[0] + f" (1С {self.day})"
        self.onec.edit(self.sets.counterparties, r["Ref_Key"], {"Description": name})
        self._renamed_onec[mine[(r["ИНН"], r["КПП"])].crm_id] = str(r["Ref_Key"])
        return f"counterparty {r['Ref_Key']} renamed «{name}»"

    _renamed_crm: set[int] = field(default_factory=set)
    _renamed_onec: dict[int, str] = field(default_factory=dict)

    def a_mark_product_deleted(self) -> str | None:
        if self.rng.random() < 0.5:
            return None
        n = self.next_serial()
        rec = self.onec.add(
            self.sets.products,
            {"Description": f"Черновик {n}", "НаименованиеПолное": f"Черновик {n}"},
        )
        self.onec.mark_deleted(self.sets.products, rec["Ref_Key"])
        return f"product {rec['Ref_Key']} «Черновик {n}» created and marked for deletion"

    def a_mark_invoice_deleted(self) -> str | None:
        """The accountant marks a 1C invoice made from the CRM for deletion (nothing paid
        or shipped on it): 1C no longer has it, the CRM still does — a conflict for a
        person (../shared/domain.md: Deletion)."""
        touched = {inv for _s, inv in self._shipments} | {
            str(r.get("СчетНаОплату_Key")) for r in self._allocated_rows()
        }
        touched |= set(self.closing.values())  # a sales document asked for: shipped
        if self.configuration == "ut11":
            touched |= {
                inv["Ref_Key"]
                for inv in self._sent_invoices()
                if settlement_ref(str(inv["Ref_Key"]))
                in {str(r.get("ОбъектРасчетов_Key")) for r in self._allocated_rows()}
            }
        cands = [i for i in self._sent_invoices() if str(i["Ref_Key"]) not in touched]
        if not cands or self.rng.random() < 0.5:
            return None
        inv = self.rng.choice(cands)
        self.onec.mark_deleted(self.sets.invoices, inv["Ref_Key"])
        self.expect(f"F2:deleted:{inv['Ref_Key']}", f"invoice {inv['Number']} marked deleted")
        return f"invoice {inv['Number']} ({inv['Ref_Key']}) marked for deletion"

    def a_edit_invoice(self) -> str | None:
        """The accountant adds one to a row's quantity of a 1C invoice made from the CRM
        (nothing paid, shipped or asked to ship on it; UT: unposted, written, posted): 1C
        leads it, the CRM invoice follows, and its printed form gets a new version (F11)."""
        touched = {inv for _s, inv in self._shipments} | {
            str(r.get("СчетНаОплату_Key")) for r in self._allocated_rows()
        }
        touched |= set(self.closing.values())
        if self.configuration == "ut11":
            paid = {str(r.get("ОбъектРасчетов_Key")) for r in self._allocated_rows()}
            touched |= {
                i["Ref_Key"]
                for i in self._sent_invoices()
                if settlement_ref(str(i["Ref_Key"])) in paid
            }
        cands = [
            i
            for i in self._sent_invoices()
            if str(i["Ref_Key"]) not in touched
            and not i.get("DeletionMark")
            and i.get("Товары")
            and i.get("СуммаВключаетНДС", i.get("ЦенаВключаетНДС", True))
        ]
        if not cands:
            return None
        inv = self.rng.choice(cands)
        rows = [dict(r) for r in inv["Товары"]]
        row = rows[self.rng.randrange(len(rows))]
        amount, vat = Decimal(str(row["Сумма"])), Decimal(str(row["СуммаНДС"]))
        rate = next(
            (r for r in (0, 5, 7, 10, 18, 20, 22)
             if (amount * r / (100 + r)).quantize(Decimal("0.01")) == vat),
            None,
        )  # fmt: skip
        if rate is None:
            return None
        qty = Decimal(str(row["Количество"])) + 1
        row["Количество"] = qty
        if "КоличествоУпаковок" in row:
            row["КоличествоУпаковок"] = qty
        row["Сумма"] = money(Decimal(str(row["Цена"])) * qty)
        row["СуммаНДС"] = money(row["Сумма"] * rate / (100 + rate))
        if "СуммаСНДС" in row:
            row["СуммаСНДС"] = row["Сумма"]
        total = sum((Decimal(str(r["Сумма"])) for r in rows), Decimal(0))
        ref = str(inv["Ref_Key"])
        if self.configuration == "ut11":
            self.onec.unpost(self.sets.invoices, ref)
        self.onec.edit(self.sets.invoices, ref, {"Товары": rows, "СуммаДокумента": total})
        if self.configuration == "ut11":
            self.onec.post(self.sets.invoices, ref)
        return f"invoice {inv['Number']} ({ref}): a row's quantity now {qty}, total {total}"

    def a_issue_invoice(self) -> str | None:
        """F8: the accountant issues an invoice in 1C (a phone order of a known customer:
        a copy of one made from the CRM, without its comment), posted; the sync makes it a
        CRM invoice with its PDF."""
        cands = [i for i in self._sent_invoices() if i.get("Товары")]
        if self.issued_since is None or not cands:
            return None
        like = self.rng.choice(cands)
        when = max(self.at(10), dt.datetime.combine(self.issued_since, dt.time(10)))
        rows = self.rng.randint(1, len(like["Товары"]))
        made = f8.issue(self.onec, self.sets.invoices, like, when, rows)
        self.issued.append(str(made["Ref_Key"]))
        return f"issued in 1C: invoice {made.get('Number')} ({made['Ref_Key']}), {rows} rows"

    def a_pay_issued(self) -> str | None:
        """A customer pays 40 % of an invoice issued in 1C (F3 shows it on the CRM one)."""
        invoices = {str(r["Ref_Key"]): r for r in self.onec.list(self.sets.invoices)}
        owed = [
            invoices[r]
            for r in self.issued
            if r in invoices and r not in self.issued_paid and not invoices[r].get("DeletionMark")
        ]
        if not owed:
            return None
        inv = self.rng.choice(owed)
        amount = money(Decimal(str(inv["СуммаДокумента"])) * Decimal("0.4"))
        ref = self._payment([(inv, amount)], "bank")
        self._payments.append(("bank", ref))
        self.issued_paid.add(str(inv["Ref_Key"]))
        return f"bank receipt {ref}: 40 % of invoice {inv['Number']} issued in 1C, {amount}"

    # payments ------------------------------------------------------------------------

    def _sent_invoices(self) -> list[dict[str, Any]]:
        """1C documents made from CRM invoices (not from deals: F9's are left to F9)."""
        return [
            r
            for r in self.onec_invoices_from_crm()
            if r.get("СуммаДокумента") and not DEAL_COMMENT.search(str(r.get("Комментарий") or ""))
        ]

    def a_payment(self) -> str | None:
        invs = self._sent_invoices()
        if not invs:
            return None
        inv = self.rng.choice(invs)
        total = Decimal(str(inv["СуммаДокумента"]))
        mode = self.rng.choice(("full", "part", "part", "several", "over"))
        alloc = [(inv, total)]
        if mode == "part":
            alloc = [(inv, money(total * Decimal(self.rng.randint(10, 70)) / 100))]
        elif mode == "over":
            alloc = [(inv, total + Decimal(self.rng.randint(100, 5000)))]
        elif mode == "several":
            same = [
                i
                for i in invs
                if i["Контрагент_Key"] == inv["Контрагент_Key"] and i["Ref_Key"] != inv["Ref_Key"]
            ]
            if same:
                other = self.rng.choice(same)
                alloc.append((other, money(Decimal(str(other["СуммаДокумента"])) / 2)))
        kind = self.rng.choice(("bank", "bank", "cash", "card"))
        ref = self._payment(alloc, kind)
        self._payments.append((kind, ref))
        return f"{kind} receipt {ref} ({mode}): " + ", ".join(
            f"{a[0]['Number']} {a[1]}" for a in alloc
        )

    _payments: list[tuple[str, str]] = field(default_factory=list)

    def a_unallocated_payment(self) -> str | None:
        """A bank statement that names no invoice, only «по счёту № N» in its purpose:
        the sync proposes the invoice and waits for the accountant to confirm."""
        field = "СчетНаОплату_Key" if self.configuration == "bp30" else "ОбъектРасчетов_Key"

        def named(inv: dict[str, Any]) -> str:
            ref = str(inv["Ref_Key"])
            return ref if self.configuration == "bp30" else settlement_ref(ref)

        allocated = {str(r.get(field)) for r in self._allocated_rows()}
        owed = [i for i in self._sent_invoices() if named(i) not in allocated]
        if not owed:
            return None
        inv = self.rng.choice(owed)
        number = str(inv["Number"]).split("-")[-1].lstrip("0")
        ref = self._payment(
            [(inv, Decimal(str(inv["СуммаДокумента"])))], "bank", allocate=False, number=number
        )
        self._payments.append(("bank", ref))
        self.expect("F3:allocate", f"payment {ref} names no invoice", needle=ref)
        self.to_confirm.append((ref, str(inv["Ref_Key"])))
        return f"bank receipt {ref} naming no invoice, purpose «по счёту № {number}»"

    def _allocated_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for set_name in set(self.sets.payment_sets.values()):
            for d in self.onec.list(set_name):
                rows += d.get("РасшифровкаПлатежа") or []
        return rows

    def a_refund(self) -> str | None:
        invs = self._sent_invoices()
        if not invs:
            return None
        inv = self.rng.choice(invs)
        amount = Decimal(self.rng.randint(100, 2000))
        ref = self._payment([(inv, amount)], "refund")
        self._payments.append(("refund", ref))
        return f"refund {ref}: {inv['Number']} −{amount}"

    def a_unpost_payment(self) -> str | None:
        if not self._payments:
            return None
        waiting = {p for p, _i in self.to_confirm}
        payments = [(k, r) for k, r in self._payments if r not in waiting]
        if not payments:
            return None
        kind, ref = self.rng.choice(payments)
        set_name = self.sets.payment_sets[kind]
        doc = self.onec.get(set_name, ref)
        if doc.get("Posted"):
            self.onec.unpost(set_name, ref)
            return f"{kind} {ref} un-posted"
        self.onec.post(set_name, ref)
        return f"{kind} {ref} posted again"

    def _payment(
        self,
        alloc: list[tuple[dict[str, Any], Decimal]],
        kind: str,
        *,
        allocate: bool = True,
        number: str = "",
    ) -> str:
        set_name = self.sets.payment_sets[kind]
        first = alloc[0][0]
        if self.configuration == "bp30":
            like = self.template(set_name, "РасшифровкаПлатежа")
            row_like = dict(like["РасшифровкаПлатежа"][0])
            rows = []
            for n, (inv, amount) in enumerate(alloc, start=1):
                row = dict(row_like)
                row.update(
                    LineNumber=n,
                    ДоговорКонтрагента_Key=inv["ДоговорКонтрагента_Key"],
                    СчетНаОплату_Key=inv["Ref_Key"] if allocate else NO_REF,
                    СуммаПлатежа=amount,
                    СуммаВзаиморасчетов=amount,
                )
                rows.append(row)
            values = {
                k: v
                for k, v in like.items()
                if k not in ("Ref_Key", "DataVersion", "Posted", "Number")
                and not k.endswith("@navigationLinkUrl")
            }
            values.update(
                Date=self.at(11),
                Организация_Key=first["Организация_Key"],
                Контрагент_Key=first["Контрагент_Key"],
                СуммаДокумента=sum((a for _i, a in alloc), Decimal(0)),
                РасшифровкаПлатежа=rows,
            )
            if "НазначениеПлатежа" in values:
                values["НазначениеПлатежа"] = f"Оплата по счёту № {number or first['Number']}"
            if kind == "bank":
                values["ВидОперации"] = "ОплатаПокупателя"
            elif kind == "refund":
                values["ВидОперации"] = "ВозвратПокупателю"
        else:
            extra: dict[str, Any] = {}
            if kind == "cash":
                extra["Касса_Key"] = self.onec.list("Catalog_Кассы", top=1)[0]["Ref_Key"]
            else:
                like = self.template("Document_ПоступлениеБезналичныхДенежныхСредств")
                extra["БанковскийСчет_Key"] = like["БанковскийСчет_Key"]
            rows = [
                {
                    "LineNumber": n,
                    "Партнер_Key": inv["Партнер_Key"],
                    "Договор_Key": inv["Договор_Key"],
                    "ОбъектРасчетов_Key": settlement_ref(inv["Ref_Key"]) if allocate else NO_REF,
                    "Сумма": amount,
                    "СуммаВзаиморасчетов": amount,
                }
                for n, (inv, amount) in enumerate(alloc, start=1)
            ]
            values = {
                "Date": self.at(11),
                "ХозяйственнаяОперация": "ВозвратОплатыКлиенту"
                if kind == "refund"
                else "ПоступлениеОплатыОтКлиента",
                "Организация_Key": first["Организация_Key"],
                "Контрагент_Key": first["Контрагент_Key"],
                "Валюта_Key": first["Валюта_Key"],
                "СуммаДокумента": sum((a for _i, a in alloc), Decimal(0)),
                "НазначениеПлатежа": f"Оплата по счёту № {number}"
                if number
                else f"Оплата по заказу № {first['Number']}",
                "РасшифровкаПлатежа": rows,
                **extra,
            }
        rec = self.onec.add(set_name, values)
        self.onec.post(set_name, rec["Ref_Key"])
        return str(rec["Ref_Key"])

    # shipments -----------------------------------------------------------------------

    def a_shipment(self) -> str | None:
        invs = [i for i in self._sent_invoices() if i.get("Товары")]
        if not invs:
            return None
        inv = self.rng.choice(invs)
        share = self.rng.choice((Decimal(1), Decimal(1), Decimal("0.5")))
        if self.configuration == "bp30":
            like = self.template(self.sets.shipments, "Товары")
            row_like = like["Товары"][0]
            rows = []
            for n, row in enumerate(inv["Товары"], start=1):
                qty = (Decimal(str(row["Количество"])) * share).quantize(Decimal("0.001"))
                price = Decimal(str(row["Цена"]))
                rows.append(
                    {
                        "LineNumber": n,
                        "Номенклатура_Key": row["Номенклатура_Key"],
                        "Количество": qty,
                        "Цена": price,
                        # the invoice's row, in part: its sum (after the discount) and VAT
                        "Сумма": money(Decimal(str(row["Сумма"])) * share),
                        "СтавкаНДС": row["СтавкаНДС"],
                        "СуммаНДС": money(Decimal(str(row["СуммаНДС"])) * share),
                        **{
                            k: row_like[k]
                            for k in ("СчетУчета_Key", "СчетДоходов_Key", "СчетРасходов_Key")
                        },
                    }
                )
            values: dict[str, Any] = {
                "Date": self.at(15),
                "ВидОперации": "Товары",
                "Организация_Key": inv["Организация_Key"],
                "Склад_Key": like["Склад_Key"],
                "Контрагент_Key": inv["Контрагент_Key"],
                "ДоговорКонтрагента_Key": inv["ДоговорКонтрагента_Key"],
                "СчетНаОплатуПокупателю_Key": inv["Ref_Key"],
                "ВалютаДокумента_Key": like["ВалютаДокумента_Key"],
                "СуммаВключаетНДС": bool(inv.get("СуммаВключаетНДС", True)),
                "Товары": rows,
                "Услуги": [],
                "СчетУчетаРасчетовСКонтрагентом_Key": like["СчетУчетаРасчетовСКонтрагентом_Key"],
                "СчетУчетаРасчетовПоАвансам_Key": like["СчетУчетаРасчетовПоАвансам_Key"],
            }
        else:
            link = {
                "ЗаказКлиента": inv["Ref_Key"],
                "ЗаказКлиента_Type": "StandardODATA." + self.sets.invoices,
            }
            rows = []
            for n, row in enumerate(inv["Товары"], start=1):
                qty = (Decimal(str(row["Количество"])) * share).quantize(Decimal("0.001"))
                amount = money(Decimal(str(row["Сумма"])) * share)
                vat = money(Decimal(str(row.get("СуммаНДС") or 0)) * share)
                new = {k: v for k, v in row.items() if not k.startswith("ЗаказКлиента")} | link
                new.update(
                    LineNumber=n, Количество=qty, КоличествоУпаковок=qty, Сумма=amount, СуммаНДС=vat
                )
                new["СуммаСНДС"] = amount if inv.get("ЦенаВключаетНДС", True) else amount + vat
                rows.append(new)
            values = {
                k: inv[k]
                for k in (
                    "Организация_Key",
                    "Партнер_Key",
                    "Контрагент_Key",
                    "Соглашение_Key",
                    "Договор_Key",
                    "Склад_Key",
                    "Валюта_Key",
                    "ЦенаВключаетНДС",
                )
            }
            values.update(link, Date=self.at(15), Товары=rows)
        included = bool(values.get("СуммаВключаетНДС", values.get("ЦенаВключаетНДС", True)))
        values["СуммаДокумента"] = sum(
            (r["Сумма"] + (Decimal(0) if included else r["СуммаНДС"]) for r in rows), Decimal(0)
        )
        rec = self.onec.add(self.sets.shipments, values)
        self.onec.post(self.sets.shipments, rec["Ref_Key"])
        self._shipments.append((str(rec["Ref_Key"]), str(inv["Ref_Key"])))
        return f"shipment {rec['Ref_Key']} of {inv['Number']} ({share:%})".replace("%)", ")")

    _shipments: list[tuple[str, str]] = field(default_factory=list)

    def a_return(self) -> str | None:
        if not self._shipments:
            return None
        ship_ref, inv_ref = self.rng.choice(self._shipments)
        ship = self.onec.get(self.sets.shipments, ship_ref)
        if not ship.get("Posted") or not ship.get("Товары"):
            return None
        first = ship["Товары"][0]
        shipped_qty = Decimal(str(first["Количество"]))
        if shipped_qty < 1:
            return None
        # one unit back, at the unit's share of the row's sum and VAT
        back = money(Decimal(str(first["Сумма"])) / shipped_qty)
        vat = money(Decimal(str(first.get("СуммаНДС") or 0)) / shipped_qty)
        included = bool(ship.get("СуммаВключаетНДС", ship.get("ЦенаВключаетНДС", True)))
        total = back if included else back + vat
        inv = self.onec.get(self.sets.invoices, inv_ref)
        if self.configuration == "bp30":
            like = self.template(self.sets.returns, "Товары")
            row = dict(like["Товары"][0])
            row.update(
                LineNumber=1,
                Номенклатура_Key=first["Номенклатура_Key"],
                Количество=Decimal(1),
                Цена=back,
                Сумма=back,
                СтавкаНДС=first["СтавкаНДС"],
                СуммаНДС=vat,
            )
            values = {
                k: v
                for k, v in like.items()
                if k not in ("Ref_Key", "DataVersion", "Posted", "Number")
                and not k.endswith("@navigationLinkUrl")
            }
            values.update(
                Date=self.at(16),
                Контрагент_Key=inv["Контрагент_Key"],
                ДоговорКонтрагента_Key=inv["ДоговорКонтрагента_Key"],
                ДокументРеализации_Key=ship_ref,
                СуммаВключаетНДС=included,
                СуммаДокумента=total,
                Товары=[row],
            )
        else:
            values = {
                k: inv[k]
                for k in (
                    "Организация_Key",
                    "Партнер_Key",
                    "Контрагент_Key",
                    "Соглашение_Key",
                    "Договор_Key",
                    "Склад_Key",
                    "Валюта_Key",
                    "ЦенаВключаетНДС",
                )
            }
            row = {k: v for k, v in first.items() if not k.startswith("ЗаказКлиента")}
            row.update(
                LineNumber=1,
                Количество=Decimal(1),
                КоличествоУпаковок=Decimal(1),
                Цена=back,
                Сумма=back,
                СуммаНДС=vat,
                СуммаСНДС=total,
                ПроцентРучнойСкидки=Decimal(0),
                СуммаРучнойСкидки=Decimal(0),
                ДокументРеализации=ship_ref,
                ДокументРеализации_Type="StandardODATA." + self.sets.shipments,
            )
            values.update(Date=self.at(16), СуммаДокумента=total, Товары=[row])
        rec = self.onec.add(self.sets.returns, values)
        self.onec.post(self.sets.returns, rec["Ref_Key"])
        return f"return {rec['Ref_Key']}: one unit of shipment {ship_ref} (−{total})"

    def a_unpost_shipment(self) -> str | None:
        if not self._shipments:
            return None
        ship_ref, _inv = self.rng.choice(self._shipments)
        doc = self.onec.get(self.sets.shipments, ship_ref)
        if doc.get("Posted"):
            self.onec.unpost(self.sets.shipments, ship_ref)
            return f"shipment {ship_ref} un-posted"
        self.onec.post(self.sets.shipments, ship_ref)
        return f"shipment {ship_ref} posted again"

    # closing documents (F10) ---------------------------------------------------------

    def m_request_closing(self) -> str | None:
        """The client confirmed delivery: the manager moves a sent invoice to "ship";
        the next sync asks 1C for the sales document based on its 1C document."""
        cands = []
        for inv in self._sent_invoices():
            m = CRM_ID_IN_COMMENT.search(str(inv.get("Комментарий") or ""))
            if m and int(m.group(1)) in self.invoices and int(m.group(1)) not in self.closing:
                cands.append((int(m.group(1)), str(inv["Ref_Key"]), str(inv["Number"])))
        if not cands:
            return None
        crm_id, ref, number = self.rng.choice(cands)
        self.crm.call(
            "crm.item.update", {"entityTypeId": 31, "id": crm_id, "fields": {"stageId": SHIP_STAGE}}
        )
        self.closing[crm_id] = ref
        return f"invoice {crm_id} ({number} in 1C) moved to the ship stage"

    def m_new_deal(self) -> str | None:
        """A deal in the pipeline «Опт» for a company with a valid ИНН, with catalog rows
        (VAT included; no UT product sold by characteristics), moved to «Согласовано»:
        the next sync makes its 1C invoice (BP) or order (UT), F9."""
        buyers = [c for c in self.companies.values() if c.valid]
        if not buyers:
            return None
        buyer = self.rng.choice(buyers)
        chars = self._characteristic_products()
        rows = [r | {"taxIncluded": "Y"} for r in self._rows("Y") if r["productId"] not in chars]
        if not rows:
            return None
        n = self.next_serial()
        deal_id = int(
            self.crm.call(
                "crm.deal.add",
                {
                    "fields": {
                        "TITLE": f"Сделка симуляции {self.day}-{n}",
                        "CATEGORY_ID": DEAL_PIPELINE,
                        "STAGE_ID": DEAL_NEW,
                        "COMPANY_ID": buyer.crm_id,
                        "CURRENCY_ID": "RUB",
                    }
                },
            )
        )
        self.crm.call(
            "crm.item.productrow.set", {"ownerType": "D", "ownerId": deal_id, "productRows": rows}
        )
        self.crm.call("crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": DEAL_SEND}})
        self.deals[deal_id] = buyer.crm_id
        return f"deal {deal_id} for company {buyer.crm_id}, {len(rows)} rows, agreed"

    def m_person_buys(self) -> str | None:
        """A private person (a contact, no company) buys by a smart invoice or a deal, at
        once agreed: F1/F9 make its 1C document for one «Физическое лицо» counterparty of
        that contact. A few persons per run, buying again on later days; some bear a 1C
        private person's exact name (never matched by it)."""
        if self.persons and (len(self.persons) >= MOST or self.rng.random() < 0.5):
            person = self.persons[self.rng.choice(sorted(self.persons))]
        else:
            n = self.next_serial()
            name, namesakes = new_person(self.onec, self.sets.counterparties, self.persons,
                                         self.rng, n)  # fmt: skip
            cid = int(self.crm.call("crm.contact.add", {"fields": Person(0, name).fields()}))
            person = self.persons[cid] = Person(cid, name, namesakes)
        cid = person.contact_id
        if self.rng.random() < 0.5:  # a smart invoice
            fields = {"title": f"Счёт симуляции {self.day}-{self.next_serial()}",
                      "stageId": NEW_STAGE, "currencyId": "RUB", "opportunity": 0,
                      "contactId": cid}  # fmt: skip
            item = self.crm.call("crm.item.add", {"entityTypeId": 31, "fields": fields})["item"]
            crm_id = int(item["id"])
            rows = self._rows()
            self.crm.call(
                "crm.item.productrow.set",
                {"ownerType": "SI", "ownerId": crm_id, "productRows": rows},
            )
            self.invoices[crm_id] = CrmInvoice(crm_id, None, cid)
            self.bought[("invoice", crm_id)] = cid
            return f"invoice {crm_id} for {person.label}: " + self._send(crm_id)
        chars = self._characteristic_products()
        rows = [r | {"taxIncluded": "Y"} for r in self._rows("Y") if r["productId"] not in chars]
        if not rows:
            return None
        fields = {"TITLE": f"Сделка симуляции {self.day}-{self.next_serial()}",
                  "CATEGORY_ID": DEAL_PIPELINE, "STAGE_ID": DEAL_NEW, "CONTACT_ID": cid,
                  "CURRENCY_ID": "RUB"}  # fmt: skip
        deal_id = int(self.crm.call("crm.deal.add", {"fields": fields}))
        self.crm.call(
            "crm.item.productrow.set", {"ownerType": "D", "ownerId": deal_id, "productRows": rows}
        )
        self.crm.call("crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": DEAL_SEND}})
        self.deals[deal_id] = 0  # no company
        self.bought[("deal", deal_id)] = cid
        return f"deal {deal_id} for {person.label}, {len(rows)} rows, agreed"

    def _characteristic_products(self) -> set[int]:
        """CRM products whose 1C product (UT) is sold by characteristics."""
        if self.configuration != "ut11":
            return set()
        with_chars = {
            str(p["Ref_Key"]).lower()
            for p in self.onec.list(self.sets.products)
            if p.get("ИспользованиеХарактеристик") not in (None, "", "НеИспользовать")
        }
        return {
            int(p["id"])
            for p in self.crm_products()
            if str(p.get("xmlId") or "").lower() in with_chars
        }

    def m_request_closing_deal(self) -> str | None:
        """A deal sent to 1C (its 1C number is on it) moves to «Закрывающие документы»."""
        cands = []
        for deal_id in sorted(set(self.deals) - self.closing_deals):
            deal = self.crm.call("crm.deal.get", {"id": deal_id})
            if deal.get("UF_CRM_DS_ONEC_NUMBER"):
                cands.append(deal_id)
        if not cands:
            return None
        deal_id = self.rng.choice(cands)
        self.crm.call("crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": DEAL_SHIP}})
        self.closing_deals.add(deal_id)
        return f"deal {deal_id} moved to «Закрывающие документы»"

    def a_post_closing(self) -> str | None:
        """The accountant checks a sales document the sync made and posts it."""
        field_name = (
            "ЗаказКлиента" if self.configuration == "ut11" else "СчетНаОплатуПокупателю_Key"
        )
        made = [
            d
            for d in self.onec.list(self.sets.shipments)
            if "[desktop-sync:" in str(d.get("Комментарий") or "")
            and not d.get("Posted")
            and not d.get("DeletionMark")
        ]
        if not made:
            return None
        doc = self.rng.choice(made)
        self.onec.post(self.sets.shipments, doc["Ref_Key"])
        self._shipments.append((str(doc["Ref_Key"]), str(doc.get(field_name))))
        return f"sales document {doc['Number']} made by the sync checked and posted"

    # stock ---------------------------------------------------------------------------

    def _goods(self) -> list[dict[str, Any]]:
        if self.configuration == "ut11":
            return [
                p
                for p in self._customer_products()
                if p.get("ТипНоменклатуры") == "Товар"
                and p.get("ИспользованиеХарактеристик") in (None, "", "НеИспользовать")
            ]
        return [p for p in self._customer_products() if not p.get("Услуга")]

    def _warehouses(self) -> list[dict[str, Any]]:
        return [w for w in self.onec.list("Catalog_Склады") if not w.get("IsFolder")]

    def _account(self, code: str) -> str:
        rows = self.onec.list("ChartOfAccounts_Хозрасчетный", select="Ref_Key,Code")
        return str(next(r["Ref_Key"] for r in rows if str(r.get("Code")).strip() == code))

    def a_goods_receipt(self) -> str | None:
        """Goods bought from a supplier arrive at a warehouse (posted)."""
        goods, whs = self._goods(), self._warehouses()
        if not goods or not whs:
            return None
        wh = self.rng.choice(whs)
        picked = self.rng.sample(goods, min(len(goods), self.rng.randint(1, 3)))
        qty = {str(p["Ref_Key"]): Decimal(self.rng.randint(1, 40)) for p in picked}
        price = {r: Decimal(self.rng.randint(1000, 300000)) / 100 for r in qty}
        if self.configuration == "bp30":
            contract = (
                next(
                    (
                        c
                        for c in self.onec.list("Catalog_ДоговорыКонтрагентов")
                        if c.get("ВидДоговора") == "СПоставщиком"
                    ),
                    None,
                )
                or self.onec.list("Catalog_ДоговорыКонтрагентов", top=1)[0]
            )
            inv = self.template(self.sets.invoices)
            goods_account, vat_account = self._account("41.01"), self._account("19.03")
            rows = [
                {
                    "LineNumber": n,
                    "Номенклатура_Key": r,
                    "Количество": q,
                    "Цена": price[r],
                    "Сумма": money(price[r] * q),
                    "СтавкаНДС": "НДС22",
                    "СуммаНДС": money(money(price[r] * q) * 22 / 122),
                    "СчетУчета_Key": goods_account,
                    "СчетУчетаНДС_Key": vat_account,
                }
                for n, (r, q) in enumerate(qty.items(), start=1)
            ]
            values: dict[str, Any] = {
                "Date": self.at(8),
                "ВидОперации": "Товары",
                "Организация_Key": inv["Организация_Key"],
                "Склад_Key": wh["Ref_Key"],
                "Контрагент_Key": contract["Owner_Key"],
                "ДоговорКонтрагента_Key": contract["Ref_Key"],
                "ВалютаДокумента_Key": inv["ВалютаДокумента_Key"],
                "СуммаВключаетНДС": True,
                "СчетУчетаРасчетовСКонтрагентом_Key": self._account("60.01"),
                "СчетУчетаРасчетовПоАвансам_Key": self._account("60.02"),
                "НомерВходящегоДокумента": f"ВХ-{self.next_serial()}",
                "Товары": rows,
            }
            set_name = "Document_ПоступлениеТоваровУслуг"
        else:
            order = self.template(self.sets.invoices, "Товары")
            row_like = dict(order["Товары"][0])
            supplier = next(
                c
                for c in self.onec.list("Catalog_ДоговорыКонтрагентов")
                if c.get("ТипДоговора") == "СПоставщиком"
            )
            rows = []
            for n, (r, q) in enumerate(qty.items(), start=1):
                row = {k: v for k, v in row_like.items() if not k.startswith("ЗаказКлиента")}
                amount = money(price[r] * q)
                row.update(
                    LineNumber=n,
                    КодСтроки=n,
                    Номенклатура_Key=r,
                    Характеристика_Key=NO_REF,
                    Упаковка_Key=NO_REF,
                    Количество=q,
                    КоличествоУпаковок=q,
                    Цена=price[r],
                    Сумма=amount,
                    СуммаСНДС=amount,
                    ПроцентРучнойСкидки=Decimal(0),
                    СуммаРучнойСкидки=Decimal(0),
                )
                rows.append(row)
            values = {k: order[k] for k in ("Организация_Key", "Валюта_Key", "ЦенаВключаетНДС")}
            values.update(
                Партнер_Key=supplier["Партнер_Key"],
                Контрагент_Key=supplier["Контрагент_Key"],
                Договор_Key=supplier["Ref_Key"],
            )
            values.update(
                Date=self.at(8),
                Склад_Key=wh["Ref_Key"],
                Товары=rows,
                ХозяйственнаяОперация="ЗакупкаУПоставщика",
                НомерВходящегоДокумента=f"ВХ-{self.next_serial()}",
            )
            set_name = "Document_ПриобретениеТоваровУслуг"
        values["СуммаДокумента"] = sum((r["Сумма"] for r in rows), Decimal(0))
        rec = self.onec.add(set_name, values)
        self.onec.post(set_name, rec["Ref_Key"])
        return f"goods receipt {rec['Ref_Key']} into «{wh['Description']}»: " + ", ".join(
            f"{r[:8]}×{q}" for r, q in qty.items()
        )

    def a_move(self) -> str | None:
        """Goods moved between warehouses: what the source holds, at most."""
        from desktop_sync.connectors.onec import OnecClient

        whs = self._warehouses()
        goods = {str(p["Ref_Key"]) for p in self._goods()}
        if len(whs) < 2 or not goods:
            return None
        src, dst = self.rng.sample(whs, 2)
        with OnecClient(
            self.onec.url, self.onec.user, self.onec.password, configuration=self.configuration
        ) as c:
            levels = (
                [lv for lv in c.stock_balance() if lv.warehouse_ref == src["Ref_Key"]]
                if self.configuration == "ut11"
                else [lv for lv in c.stock() if lv.warehouse_ref == src["Ref_Key"]]
            )
        have = [lv for lv in levels if lv.product_ref in goods and lv.quantity - lv.reserved >= 1]
        if not have:
            return None
        lv = self.rng.choice(have)
        qty = Decimal(self.rng.randint(1, int(min(lv.quantity - lv.reserved, 10))))
        return self.move(src, dst, lv.product_ref, qty)

    def move(self, src: dict[str, Any], dst: dict[str, Any], product: str, qty: Decimal) -> str:
        row: dict[str, Any] = {"LineNumber": 1, "Номенклатура_Key": product, "Количество": qty}
        values: dict[str, Any] = {
            "Date": self.at(13),
            "Организация_Key": self.template(self.sets.invoices)["Организация_Key"],
            "СкладОтправитель_Key": src["Ref_Key"],
            "СкладПолучатель_Key": dst["Ref_Key"],
            "Товары": [row],
        }
        if self.configuration == "bp30":
            row["СчетУчета_Key"] = self._account("41.01")
        else:
            row.update(КоличествоУпаковок=qty, Характеристика_Key=NO_REF, Упаковка_Key=NO_REF)
            values["ХозяйственнаяОперация"] = "ПеремещениеТоваров"
        rec = self.onec.add("Document_ПеремещениеТоваров", values)
        self.onec.post("Document_ПеремещениеТоваров", rec["Ref_Key"])
        return (
            f"move {rec['Ref_Key']}: {product[:8]}×{qty} "
            f"«{src['Description']}» → «{dst['Description']}»"
        )

    # --- a day --------------------------------------------------------------------------

    def actions(self) -> list[tuple[str, int, Callable[[], str | None]]]:
        return [
            ("manager", 5, self.m_new_company),
            ("manager", 2, self.m_branch),
            ("manager", 2, self.m_contact),
            ("manager", 9, self.m_new_invoice),
            ("manager", 4, self.m_edit_rows),
            ("manager", 5, self.m_send),
            ("manager", 1, self.m_rename_company),
            ("accountant", 1, self.a_new_counterparty),
            ("accountant", 2, self.a_rename_product),
            ("accountant", 1, self.a_product_vat),
            ("accountant", 1, self.a_product_unit),
            ("accountant", 2, self.a_set_price),
            ("accountant", 1, self.a_rename_counterparty),
            ("accountant", 1, self.a_mark_product_deleted),
            ("accountant", 1, self.a_mark_invoice_deleted),
            ("accountant", 1, self.a_edit_invoice),
            ("accountant", 2, self.a_issue_invoice),
            ("accountant", 2, self.a_pay_issued),
            ("accountant", 7, self.a_payment),
            ("accountant", 1, self.a_refund),
            ("accountant", 3, self.a_unallocated_payment),
            ("accountant", 2, self.a_unpost_payment),
            ("accountant", 4, self.a_shipment),
            ("accountant", 1, self.a_return),
            ("accountant", 1, self.a_unpost_shipment),
            ("manager", 3, self.m_request_closing),
            ("manager", 3, self.m_new_deal),
            ("manager", 2, self.m_person_buys),
            ("manager", 4, self.m_request_closing_deal),
            ("accountant", 2, self.a_post_closing),
            ("accountant", 2, self.a_goods_receipt),
            ("accountant", 2, self.a_move),
        ]

    def live_day(self, day: int, n_actions: int, disabled: frozenset[str] = frozenset()) -> None:
        self.day = day
        self._renamed_crm, self._renamed_onec = set(), {}
        table = [a for a in self.actions() if a[2].__name__ not in disabled]
        weights = [w for _who, w, _f in table]
        for _ in range(n_actions):
            who, _w, act = self.rng.choices(table, weights)[0]
            try:
                text = act()
            except PersonError as exc:
                raise AssertionError(f"day {day}: {act.__name__} refused: {exc}") from None
            if text:
                self.counts[act.__name__] += 1
                self.note(who, text)
        for crm_id in self._renamed_crm & set(self._renamed_onec):
            key = f"F7:conflict:counterparty:{self._renamed_onec[crm_id]}:name"
            self.expect(key, f"company {crm_id} renamed in both systems on day {day}")
            self.conflicts.append(key)
