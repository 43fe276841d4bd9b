"""F8 in the simulation: invoices the accountant issues in 1C reach the CRM.

The accountant copies an invoice of a customer the sync already knows (its counterparty,
contract and products linked), clears the comment, dates it today (never before the
profile's start day, which is after every seeded invoice) and posts it; some are paid
40 % later. The invariants: each such 1C invoice is exactly one CRM invoice (its
``xmlId`` is the 1C ``Ref_Key``), whose rows, total, paid and outstanding equal 1C's
(``invariants._invoice``), and whose timeline holds its printed PDF (``pdfs``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from .invariants import Finding, Snapshot, _invoice
from .people import CrmUser, OnecUser

COPIED = ("Ref_Key", "DataVersion", "Number", "Posted", "DeletionMark", "Комментарий")


def start_day(onec: OnecUser, invoices: str) -> dt.date:
    """The profile's start day for F8: the day after the newest seeded invoice."""
    days = [str(r.get("Date") or "")[:10] for r in onec.list(invoices, select="Date")]
    newest = max((dt.date.fromisoformat(d) for d in days if d), default=dt.date(2026, 3, 1))
    return newest + dt.timedelta(days=1)


def issue(
    onec: OnecUser, invoices: str, like: dict[str, Any], when: dt.datetime, rows: int
) -> dict[str, Any]:
    """A copy of ``like`` with its first ``rows`` rows, written and posted: as the form's
    «Copy» does (1C gives it a new number)."""
    values = {k: v for k, v in like.items() if k not in COPIED and not k.startswith("odata")}
    kept = [dict(r) for r in (like.get("Товары") or [])[:rows]]
    for n, row in enumerate(kept, start=1):
        row["LineNumber"] = n
    total = sum((Decimal(str(r["Сумма"])) for r in kept), Decimal(0))
    included = like.get("СуммаВключаетНДС", like.get("ЦенаВключаетНДС", True))
    if not included:
        total += sum((Decimal(str(r.get("СуммаНДС") or 0)) for r in kept), Decimal(0))
    values.update(Date=when.isoformat(), Товары=kept, СуммаДокумента=total, Комментарий="")
    for stage in values.get("ЭтапыГрафикаОплаты") or []:
        stage["СуммаПлатежа"] = total
    made = onec.add(invoices, values)
    onec.post(invoices, str(made["Ref_Key"]))
    return made


def check_issued(crm: CrmUser, s: Snapshot, refs: list[str]) -> list[Finding]:
    """Each 1C invoice issued in the simulation: one CRM invoice, equal to 1C's."""
    out: list[Finding] = []
    by_key = Counter(str(i.get("xmlId") or "").lower() for i in s.items.values())
    items = {str(i.get("xmlId") or "").lower(): i for i in s.items.values() if i.get("xmlId")}
    invoices = {str(i["Ref_Key"]).lower(): i for i in s.invoices}
    for ref in refs:
        inv = invoices.get(ref.lower())
        if inv is None or inv.get("DeletionMark"):
            continue
        label = f"invoice {inv.get('Number')} issued in 1C ({ref})"
        n = by_key[ref.lower()]
        if n != 1:
            out.append(Finding("duplicates" if n else "lost", label, "CRM invoices", 1, n))
            continue
        item = items[ref.lower()]
        rows = crm.list_all(
            "crm.item.productrow.list",
            {"filter": {"=ownerType": "SI", "=ownerId": int(item["id"])}},
            "productRows",
        )
        s.compared["issued"] += 1
        out += _invoice(s, inv, item, rows, label)
    return out
