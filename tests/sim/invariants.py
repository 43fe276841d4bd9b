"""What must hold after every day's sync, read through both systems' public APIs.

(2) every linked pair agrees on the fields the sync owns; (4) no duplicates on either
side; "lost": a CRM invoice sent to 1C that has no 1C twin and waits for nobody.
The pairs are found the way a person would check them: a company and a counterparty
by ИНН/КПП, a product by the 1C reference in the CRM product's ``xmlId``, an invoice
by the CRM id the 1C document names in its comment. (1), (3) and (5) are checked by
the runner (``sim.py``), which sees the plans and the journal file.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from desktop_sync.sandbox.onec.ut11_seed import settlement_ref

from .people import CrmUser, OnecUser

CENT = Decimal("0.01")
NO_REF = "00000000-0000-0000-0000-000000000000"
BP_RATES = {
    "НДС22": Decimal(22),
    "НДС20": Decimal(20),
    "НДС10": Decimal(10),
    "НДС0": Decimal(0),
    "БезНДС": None,
}
BP_KIND_RATES = {
    "Общая": Decimal(22),
    "Льготная": Decimal(10),
    "Нулевая": Decimal(0),
    "БезНДС": None,
}
CRM_ID_IN_COMMENT = re.compile(r"\(id (\d+)\)")
DEAL_COMMENT = re.compile(r"(?:No\.|№) (\d+) «")  # a 1C document made from a deal (F9)


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(v: Any) -> Decimal:
    return Decimal(str(v)) if v not in (None, "") else Decimal(0)


def _uf(item: dict[str, Any], name: str) -> Any:
    """One of our custom fields on a smart invoice, whatever the key's spelling."""
    want = "dsx" + name.lower().replace("_", "")
    for k, v in item.items():
        flat = k.lower().replace("_", "")
        if flat.endswith(want[3:]) and "ds" in flat and flat.startswith("ufcrm"):
            return v
    return None


@dataclass
class Finding:
    check: str  # "pairs", "duplicates", "lost"
    record: str
    field: str
    onec: Any
    crm: Any
    defect: str = ""  # a known defect being fixed elsewhere (see KNOWN)

    def __str__(self) -> str:
        known = f"  [known: {self.defect}]" if self.defect else ""
        return (
            f"{self.check}: {self.record}: {self.field}: 1C {self.onec!r} / CRM {self.crm!r}{known}"
        )


@dataclass
class Snapshot:
    """What both systems say right now (read over HTTP, as a person's checklist)."""

    cps: list[dict[str, Any]] = field(default_factory=list)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)  # 1C unit ref -> ОКЕИ code
    ut_rates: dict[str, Decimal | None] = field(default_factory=dict)
    paid: dict[str, Decimal] = field(default_factory=dict)  # 1C invoice ref -> paid
    shipped: dict[str, Decimal] = field(default_factory=dict)
    companies: list[dict[str, Any]] = field(default_factory=list)
    requisites: list[dict[str, Any]] = field(default_factory=list)
    crm_products: list[dict[str, Any]] = field(default_factory=list)
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    rows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    measures: dict[int, str] = field(default_factory=dict)  # measure id -> ОКЕИ code
    vats: dict[int, Decimal | None] = field(default_factory=dict)
    base_prices: dict[str, Decimal] = field(default_factory=dict)  # 1C ref -> base price
    crm_prices: dict[int, Decimal] = field(default_factory=dict)  # CRM product -> base price
    compared: Counter[str] = field(default_factory=Counter)  # pairs checked, by kind
    shipments: list[dict[str, Any]] = field(default_factory=list)  # 1C sales documents
    deals: dict[int, dict[str, Any]] = field(default_factory=dict)  # CRM deals (F9)


PRICE_SETTINGS = "Document_УстановкаЦенНоменклатуры"


def base_price_type(onec: OnecUser, configuration: str) -> str:
    """The 1C price type the CRM's base price follows: UT's «Основной» one, else (and
    in BP, which has no mark) the first by code."""
    name = "Catalog_ВидыЦен" if configuration == "ut11" else "Catalog_ТипыЦенНоменклатуры"
    rows = sorted(onec.list(name), key=lambda r: str(r.get("Code") or ""))
    marked = [r for r in rows if r.get("Основной")]
    return str((marked or rows)[0]["Ref_Key"])


def base_prices(onec: OnecUser, configuration: str) -> dict[str, Decimal]:
    """Product -> its base price, as the posted price-setting documents say (the last
    one wins; in UT only an agreed «Согласован» one counts, and only product prices,
    not a characteristic's)."""
    base = base_price_type(onec, configuration)
    docs = [d for d in onec.list(PRICE_SETTINGS) if d.get("Posted") and not d.get("DeletionMark")]
    docs.sort(key=lambda d: (str(d.get("Date")), str(d.get("Number"))))
    out: dict[str, Decimal] = {}
    for d in docs:
        if configuration == "ut11" and d.get("Статус") != "Согласован":
            continue
        for row in d.get("Товары") or []:
            kind = row.get("ВидЦены_Key") if configuration == "ut11" else d.get("ТипЦен_Key")
            if str(kind) != base or str(row.get("Характеристика_Key") or NO_REF) != NO_REF:
                continue
            out[str(row["Номенклатура_Key"]).lower()] = dec(row.get("Цена"))
    return out


def read(
    onec: OnecUser, crm: CrmUser, sets: Any, confirmed: dict[str, str] | None = None
) -> Snapshot:
    """``confirmed``: payment ref -> invoice ref the accountant confirmed in the inbox
    for a receipt row that names no invoice."""
    confirmed = confirmed or {}
    s = Snapshot()
    ut = sets.configuration == "ut11"
    s.cps = onec.list(sets.counterparties)
    s.products = {str(p["Ref_Key"]).lower(): p for p in onec.list(sets.products)}
    s.invoices = onec.list(sets.invoices)
    units = "Catalog_УпаковкиЕдиницыИзмерения" if ut else "Catalog_КлассификаторЕдиницИзмерения"
    s.units = {str(u["Ref_Key"]): str(u.get("Code") or "").strip() for u in onec.list(units)}
    if ut:
        for r in onec.list("Catalog_СтавкиНДС"):
            rate = r.get("Ставка")
            s.ut_rates[str(r["Ref_Key"])] = None if r.get("НеОблагается") else dec(rate)
    settle = (
        {settlement_ref(str(i["Ref_Key"])): str(i["Ref_Key"]) for i in s.invoices} if ut else {}
    )
    for kind, set_name in sets.payment_sets.items():
        for doc in onec.list(set_name):
            if not doc.get("Posted") or doc.get("DeletionMark"):
                continue
            sign = -1 if kind == "refund" else 1
            for row in doc.get("РасшифровкаПлатежа") or []:
                if ut:
                    ref = settle.get(str(row.get("ОбъектРасчетов_Key")))
                    amount = dec(row.get("Сумма"))
                    if str(row.get("ОбъектРасчетов_Key")) == NO_REF:
                        ref = confirmed.get(str(doc["Ref_Key"]), "")
                else:
                    ref = str(row.get("СчетНаОплату_Key"))
                    amount = dec(row.get("СуммаПлатежа"))
                    if ref == NO_REF:
                        ref = confirmed.get(str(doc["Ref_Key"]), "")
                if ref:
                    s.paid[ref] = s.paid.get(ref, Decimal(0)) + sign * amount
    s.shipments = onec.list(sets.shipments)
    for set_name, sign in ((sets.shipments, 1), (sets.returns, -1)):
        ships = {str(d["Ref_Key"]): d for d in s.shipments}
        for doc in onec.list(set_name):
            if not doc.get("Posted") or doc.get("DeletionMark"):
                continue
            if sign == 1:
                ref = str(
                    doc.get("СчетНаОплатуПокупателю_Key") if not ut else doc.get("ЗаказКлиента")
                )
            elif ut:
                base = ships.get(str((doc.get("Товары") or [{}])[0].get("ДокументРеализации")))
                ref = str(base.get("ЗаказКлиента")) if base else ""
            else:
                base = ships.get(str(doc.get("ДокументРеализации_Key")))
                ref = str(base.get("СчетНаОплатуПокупателю_Key")) if base else ""
            included = bool(doc.get("СуммаВключаетНДС", doc.get("ЦенаВключаетНДС", True)))
            amount = sum(
                (
                    dec(r.get("Сумма")) + (Decimal(0) if included else dec(r.get("СуммаНДС")))
                    for r in [*(doc.get("Товары") or []), *(doc.get("Услуги") or [])]
                ),
                Decimal(0),
            )
            s.shipped[ref] = s.shipped.get(ref, Decimal(0)) + sign * amount
    s.base_prices = base_prices(onec, sets.configuration)
    base_group = next(
        int(t["id"])
        for t in crm.call("catalog.priceType.list", {})["priceTypes"]
        if t.get("base") in ("Y", True)
    )
    s.crm_prices = {
        int(r["productId"]): dec(r.get("price"))
        for r in crm.list_all(
            "catalog.price.list",
            {
                "select": ["productId", "catalogGroupId", "price"],
                "filter": {"catalogGroupId": base_group},
            },
            key="prices",
        )
    }
    s.companies = crm.list_all("crm.company.list", {"select": ["*"]})
    s.requisites = crm.list_all("crm.requisite.list", {"select": ["*"]})
    s.crm_products = crm.list_all(
        "catalog.product.list",
        {
            "select": ["id", "iblockId", "name", "xmlId", "measure", "vatId", "active"],
            "filter": {"iblockId": 25},
        },
        key="products",
    )
    deals = crm.list_all("crm.deal.list", {"select": ["*", "UF_*"]})
    s.deals = {int(d["ID"]): d for d in deals}
    items = crm.list_all("crm.item.list", {"entityTypeId": 31, "select": ["*", "uf*"]}, "items")
    s.items = {int(i["id"]): i for i in items}
    twins = sorted(  # the rows of CRM invoices that have a 1C twin, 50 to a batch
        {
            int(m.group(1))
            for inv in s.invoices
            if (m := CRM_ID_IN_COMMENT.search(str(inv.get("Комментарий") or "")))
            and int(m.group(1)) in s.items
        }
    )
    for n in range(0, len(twins), 50):
        cmd = {
            f"r{i}": "crm.item.productrow.list?"
            + urlencode({"filter[=ownerType]": "SI", "filter[=ownerId]": i})
            for i in twins[n : n + 50]
        }
        answers = crm.call("batch", {"halt": 0, "cmd": cmd})["result"] or {}
        for i in twins[n : n + 50]:
            got = answers.get(f"r{i}")
            rows = got["productRows"] if isinstance(got, dict) else got
            if rows is None or len(rows) >= 50:  # an error or a second page: one by one
                flt = {"=ownerType": "SI", "=ownerId": i}
                rows = crm.list_all("crm.item.productrow.list", {"filter": flt}, "productRows")
            s.rows[i] = list(rows)
    s.measures = {
        int(m["id"]): str(m["code"]) for m in crm.call("catalog.measure.list", {})["measures"]
    }
    s.vats = {
        int(v["id"]): (None if v.get("rate") is None else dec(v["rate"]))
        for v in crm.call("catalog.vat.list", {})["vats"]
    }
    return s


def _row_rate(row: dict[str, Any], s: Snapshot) -> Decimal | None:
    if "СтавкаНДС_Key" in row:
        return s.ut_rates.get(str(row["СтавкаНДС_Key"]))
    return BP_RATES.get(str(row.get("СтавкаНДС")), Decimal(-1))


def check(
    s: Snapshot,
    sets: Any,
    product_links: set[tuple[str, str]],
    waiting: frozenset[str] = frozenset(),
) -> list[Finding]:
    """``product_links``: (1C ref, CRM id) of the products the sync linked (its journal
    says which products it manages: customers' only; the values come from the APIs).
    ``waiting``: keys of the inbox items open now: a field both sides changed differs
    until a person decides (the conflict is checked by the inbox invariant)."""
    out: list[Finding] = []
    ut = sets.configuration == "ut11"

    # counterparties <-> company requisites, by ИНН/КПП
    onec_by = defaultdict(list)
    for c in s.cps:
        if c.get("ИНН") and not c.get("DeletionMark") and not c.get("IsFolder"):
            onec_by[(str(c["ИНН"]), str(c.get("КПП") or ""))].append(c)
    company = {int(c["ID"]): c for c in s.companies}
    crm_by = defaultdict(list)
    for rq in s.requisites:
        if rq.get("RQ_INN") and int(rq.get("ENTITY_TYPE_ID") or 0) == 4:
            crm_by[(str(rq["RQ_INN"]), str(rq.get("RQ_KPP") or ""))].append(rq)
    per_company = Counter(int(rq["ENTITY_ID"]) for rq in s.requisites)
    for key, rqs in crm_by.items():
        cps = onec_by.get(key, [])
        if len(rqs) > 1:
            out.append(
                Finding(
                    "duplicates", f"ИНН/КПП {key[0]}/{key[1]}", "CRM requisites", len(cps), len(rqs)
                )
            )
        if len(cps) != 1 or len(rqs) != 1:
            continue
        cp, rq = cps[0], rqs[0]
        s.compared["counterparties"] += 1
        co = company.get(int(rq["ENTITY_ID"]))
        if co is None:
            continue
        shared = per_company[int(rq["ENTITY_ID"])] > 1
        # a company of several requisites keeps each one's name in the requisite
        # (an organization's RQ_COMPANY_NAME, a sole trader's RQ_NAME)
        in_rq = rq.get("RQ_COMPANY_NAME") if key[1] else rq.get("RQ_NAME")
        crm_name = in_rq if shared else co.get("TITLE")
        conflict = f"F7:conflict:counterparty:{cp['Ref_Key']}:name"
        if (
            conflict not in waiting
            and str(cp.get("Description") or "").strip() != str(crm_name or "").strip()
        ):
            out.append(
                Finding(
                    "pairs",
                    f"counterparty ИНН/КПП {key[0]}/{key[1]}",
                    "name",
                    cp.get("Description"),
                    crm_name,
                )
            )
    for key, cps in onec_by.items():
        if len(cps) > 1:
            out.append(
                Finding(
                    "duplicates",
                    f"ИНН/КПП {key[0]}/{key[1]}",
                    "1C counterparties",
                    len(cps),
                    len(crm_by.get(key, [])),
                )
            )

    # products, by the 1C reference in xmlId
    xml = Counter(str(p.get("xmlId") or "").lower() for p in s.crm_products)
    for x, n in xml.items():
        if n > 1 and x in s.products:
            out.append(Finding("duplicates", f"product {x}", "CRM products with this xmlId", 1, n))
    for p in s.crm_products:
        ref = str(p.get("xmlId") or "").lower()
        op = s.products.get(ref)
        if op is None or op.get("DeletionMark") or (ref, str(p["id"])) not in product_links:
            continue
        s.compared["products"] += 1
        label = f"product «{op.get('Description')}» ({ref})"
        if str(op.get("Description") or "") != str(p.get("name") or ""):
            out.append(Finding("pairs", label, "name", op.get("Description"), p.get("name")))
        price = s.base_prices.get(ref)
        if price is not None and money(price) != money(s.crm_prices.get(int(p["id"]), Decimal(-1))):
            out.append(Finding("pairs", label, "base price", price, s.crm_prices.get(int(p["id"]))))
        okei = s.units.get(str(op.get("ЕдиницаИзмерения_Key")), "")
        crm_okei = s.measures.get(int(p.get("measure") or 0), "")
        if okei and okei != crm_okei:
            out.append(
                Finding(
                    "pairs",
                    label,
                    "unit (ОКЕИ)",
                    okei,
                    crm_okei,
                )
            )
        if not ut and op.get("ВидСтавкиНДС") in BP_KIND_RATES:
            rate = BP_KIND_RATES[str(op["ВидСтавкиНДС"])]
            crm_rate = s.vats.get(int(p.get("vatId") or 0), Decimal(-1))
            if rate != crm_rate:
                out.append(
                    Finding(
                        "pairs",
                        label,
                        "VAT",
                        rate,
                        crm_rate,
                    )
                )

    # invoices, by the CRM id in the 1C document's comment
    twins: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for inv in s.invoices:
        m = CRM_ID_IN_COMMENT.search(str(inv.get("Комментарий") or ""))
        if m and "desktop-sync" in str(inv.get("Комментарий")) and not inv.get("DeletionMark"):
            twins[int(m.group(1))].append(inv)
    for crm_id, invs in twins.items():
        if len(invs) > 1:
            out.append(Finding("duplicates", f"CRM invoice {crm_id}", "1C invoices", len(invs), 1))
        inv = invs[0]
        item = s.items.get(crm_id)
        label = f"invoice {inv.get('Number')} (CRM {crm_id})"
        if item is None:
            out.append(Finding("lost", label, "CRM invoice", inv.get("Number"), None))
            continue
        s.compared["invoices"] += 1
        out += _invoice(s, inv, item, s.rows.get(crm_id, []), label)
    return out


def _invoice(
    s: Snapshot, inv: dict[str, Any], item: dict[str, Any], rows: list[dict[str, Any]], label: str
) -> list[Finding]:
    out: list[Finding] = []
    ref = str(inv["Ref_Key"])
    total = dec(inv.get("СуммаДокумента"))
    included = bool(inv.get("СуммаВключаетНДС", inv.get("ЦенаВключаетНДС", True)))
    if money(dec(item.get("opportunity"))) != total:
        out.append(Finding("pairs", label, "total", total, item.get("opportunity")))
    orows = sorted(inv.get("Товары") or [], key=lambda r: int(r.get("LineNumber") or 0))
    crows = sorted(rows, key=lambda r: (int(r.get("sort") or 0), int(r.get("id") or 0)))
    if len(orows) != len(crows):
        out.append(Finding("pairs", label, "number of rows", len(orows), len(crows)))
    xml = {int(p["id"]): str(p.get("xmlId") or "").lower() for p in s.crm_products}
    for n, (o, c) in enumerate(zip(orows, crows, strict=False), start=1):
        where = f"{label} row {n}"
        if str(o.get("Номенклатура_Key")).lower() != xml.get(int(c.get("productId") or 0)):
            out.append(
                Finding("pairs", where, "product", o.get("Номенклатура_Key"), c.get("productId"))
            )
        if dec(o.get("Количество")) != dec(c.get("quantity")):
            out.append(Finding("pairs", where, "quantity", o.get("Количество"), c.get("quantity")))
        rate = _row_rate(o, s)
        crm_rate = None if c.get("taxRate") is None else dec(c["taxRate"])
        if rate != crm_rate:
            out.append(Finding("pairs", where, "VAT", rate, crm_rate))
        gross = dec(o.get("Сумма")) + (Decimal(0) if included else dec(o.get("СуммаНДС")))
        crm_gross = money(dec(c.get("price")) * dec(c.get("quantity")))
        if money(gross) != crm_gross:
            out.append(Finding("pairs", where, "sum with VAT", gross, crm_gross))
        # 1C's own arithmetic: Цена × Количество − СуммаСкидки = Сумма
        discount = dec(o.get("СуммаСкидки", o.get("СуммаРучнойСкидки")))  # BP / UT
        price_x_qty = money(dec(o.get("Цена")) * dec(o.get("Количество"))) - discount
        if price_x_qty != money(dec(o.get("Сумма"))):
            out.append(
                Finding(
                    "pairs",
                    where,
                    "1C Цена × Количество − СуммаСкидки ≠ Сумма",
                    price_x_qty,
                    o.get("Сумма"),
                )
            )
    paid = money(s.paid.get(ref, Decimal(0)))
    outstanding = max(total - paid, Decimal(0))
    for name, want in (("paid", paid), ("outstanding", outstanding)):
        got = _uf(item, name)
        if got is None and want == 0 and name == "paid":
            continue
        if got is None or money(dec(got)) != want:
            out.append(Finding("pairs", label, name, want, got))
    shipped = money(s.shipped.get(ref, Decimal(0)))
    got = _uf(item, "shipped")
    if not (got in (None, "") and shipped == 0) and (
        got in (None, "") or money(dec(got)) != shipped
    ):
        out.append(Finding("pairs", label, "shipped", shipped, got))
    return out


def check_stock(
    levels: list[Any],
    warehouse_names: dict[str, str],
    crm_amounts: dict[tuple[int, int], Decimal],
    mapping: dict[str, str],
    product_links: set[tuple[str, str]],
) -> list[Finding]:
    """Stock per mapped warehouse: what 1C holds (BP: on hand; UT: free, on hand minus
    what is promised to customers) equals the CRM store's amount, for every product the
    sync manages. ``levels``: 1C balances (product_ref, warehouse_ref, quantity)."""
    onec_qty: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for lv in levels:
        name = warehouse_names.get(str(lv.warehouse_ref), "")
        onec_qty[(str(lv.product_ref).lower(), name)] += Decimal(lv.quantity)
    out: list[Finding] = []
    for ref, crm_id in sorted(product_links):
        if not crm_id.isdigit():
            continue
        for name, store in sorted(mapping.items()):
            # a CRM store holds no less than nothing: a negative 1C balance shows as 0 there
            # (and waits in the inbox: see Simulation.check_inbox)
            want = max(onec_qty.get((ref, name), Decimal(0)), Decimal(0))
            got = crm_amounts.get((int(crm_id), int(store)), Decimal(0))
            if want != got:
                out.append(Finding("pairs", f"stock of {ref} in «{name}»", "quantity", want, got))
    return out


def check_closing(s: Snapshot, sets: Any, requested: dict[int, str]) -> list[Finding]:
    """F10: ``requested``: CRM invoice id -> its 1C invoice (BP) / order (UT), moved to
    the "ship" stage. One sales document per request, never two made by the sync for one
    base document; the CRM invoice names it (number); a base marked for deletion first
    waits for a person (F2), so it is left out."""
    out: list[Finding] = []
    field_name = "ЗаказКлиента" if sets.configuration == "ut11" else "СчетНаОплатуПокупателю_Key"
    based: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in s.shipments:
        if not doc.get("DeletionMark"):
            based[str(doc.get(field_name))].append(doc)
    deleted = {str(i["Ref_Key"]) for i in s.invoices if i.get("DeletionMark")}
    for base, docs in based.items():
        ours = [d for d in docs if "[desktop-sync:" in str(d.get("Комментарий") or "")]
        if len(ours) > 1:
            out.append(
                Finding("duplicates", f"1C document {base}", "sales documents", 1, len(ours))
            )
    for crm_id, base in sorted(requested.items()):
        if base in deleted:
            continue
        s.compared["closing"] += 1
        docs = based.get(base, [])
        label = f"CRM invoice {crm_id}"
        if not docs:
            out.append(Finding("lost", label, "sales document in 1C", 0, "requested"))
            continue
        numbers = {str(d.get("Number") or "").split("-")[-1].lstrip("0") for d in docs}
        shown = _uf(s.items.get(crm_id, {}), "closing_number")
        if shown not in numbers:
            out.append(Finding("pairs", label, "sales document number", sorted(numbers), shown))
    return out


def check_deals(s: Snapshot, deals: dict[int, int], closing: set[int]) -> list[Finding]:
    """F9/F10 on deals: one 1C document per deal (its number on the deal); a deal moved
    to its "ship" stage names one sales document based on that document."""
    out: list[Finding] = []
    made: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for inv in s.invoices:
        comment = str(inv.get("Комментарий") or "")
        m = DEAL_COMMENT.search(comment)
        if m and "desktop-sync" in comment and not inv.get("DeletionMark"):
            made[int(m.group(1))].append(inv)
    for deal_id in sorted(deals):
        deal = s.deals.get(deal_id, {})
        docs = made.get(deal_id, [])
        label = f"deal {deal_id}"
        if len(docs) > 1:
            out.append(Finding("duplicates", label, "1C documents", 1, len(docs)))
        shown = _uf(deal, "onec_number")
        if not docs:
            continue  # not sent yet (its buyer waits, or the day's sync has not run)
        s.compared["deals"] += 1
        number = str(docs[0].get("Number") or "").split("-")[-1].lstrip("0")
        if shown != number:
            out.append(Finding("pairs", label, "1C number", number, shown))
        if deal_id not in closing:
            continue
        s.compared["closing"] += 1
        base = str(docs[0]["Ref_Key"])
        sales = [
            d
            for d in s.shipments
            if base in (str(d.get("ЗаказКлиента")), str(d.get("СчетНаОплатуПокупателю_Key")))
            and not d.get("DeletionMark")
        ]
        numbers = {str(d.get("Number") or "").split("-")[-1].lstrip("0") for d in sales}
        closed = _uf(deal, "closing_number")
        if not sales:
            out.append(Finding("lost", label, "sales document in 1C", 0, "requested"))
        elif closed not in numbers:
            out.append(Finding("pairs", label, "sales document number", sorted(numbers), closed))
    return out
