"""F11 in the simulation: the printed invoice on the CRM timeline, once per version.

The sim keeps its own idea of an invoice's version, from 1C's raw document (number,
date, the buyer's ИНН/КПП, each row's quantity, price, sum, VAT rate and VAT, whether
prices include VAT, the total) — not the sync's digest — and every day remembers the
versions each linked invoice showed. The invariant: a linked invoice's timeline holds
exactly as many PDF comments as distinct versions were seen (a changed invoice one
more, an unchanged one never a second). Invoices marked for deletion are not printed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from .invariants import Finding, dec
from .people import CrmUser

ROW_FIELDS = ("Количество", "Цена", "Сумма", "СуммаНДС")


def _num(v: Any) -> str:
    return format(dec(v).normalize(), "f") if v not in (None, "") else ""


def version(inv: dict[str, Any], cps: dict[str, dict[str, Any]]) -> str | None:
    """What the printed form shows that a payer cares about, as a digest; None: not
    printed (marked for deletion, or no rows)."""
    rows = [*(inv.get("Товары") or []), *(inv.get("Услуги") or [])]
    if inv.get("DeletionMark") or not rows:
        return None
    cp = cps.get(str(inv.get("Контрагент_Key")).lower(), {})
    canon = [
        str(inv.get("Number") or "").strip(),
        str(inv.get("Date") or "")[:10],
        str(cp.get("ИНН") or ""),
        str(cp.get("КПП") or ""),
        bool(inv.get("СуммаВключаетНДС", inv.get("ЦенаВключаетНДС", True))),
        _num(inv.get("СуммаДокумента")),
        [
            [_num(r.get(f)) for f in ROW_FIELDS]
            + [str(r.get("СтавкаНДС_Key") or r.get("СтавкаНДС") or "")]
            for r in rows
        ],
    ]
    return hashlib.sha256(json.dumps(canon, ensure_ascii=False).encode()).hexdigest()


def pdf_counts(crm: CrmUser, crm_ids: list[int]) -> dict[int, int]:
    """Per CRM invoice: its timeline comments that carry a file (50 to a batch request)."""
    out: dict[int, int] = {}
    for n in range(0, len(crm_ids), 50):
        part = crm_ids[n : n + 50]
        cmd = {
            f"c{i}": "crm.timeline.comment.list?"
            + urlencode(
                {"filter[ENTITY_ID]": i, "filter[ENTITY_TYPE]": "dynamic_31", "select[]": "FILES"}
            )
            for i in part
        }
        answers = crm.call("batch", {"halt": 0, "cmd": cmd})["result"] or {}
        for i in part:
            rows = answers.get(f"c{i}") or []
            out[i] = sum(1 for r in rows if r.get("FILES"))
    return out


def check_pdfs(
    crm: CrmUser,
    invoices: list[dict[str, Any]],
    cps: list[dict[str, Any]],
    links: set[tuple[str, str]],
    seen: dict[int, set[str]],
) -> tuple[list[Finding], int]:
    """``links``: (1C ref, CRM id) of the invoices the sync linked; ``seen``: the versions
    each CRM invoice showed so far (updated here). -> (findings, invoices compared)."""
    by_ref = {str(i["Ref_Key"]).lower(): i for i in invoices}
    by_cp = {str(c["Ref_Key"]).lower(): c for c in cps}
    for ref, crm_id in links:
        inv = by_ref.get(ref)
        if inv is None or not crm_id.isdigit():
            continue
        v = version(inv, by_cp)
        if v is not None:
            seen.setdefault(int(crm_id), set()).add(v)
    counts = pdf_counts(crm, sorted(seen))
    out = [
        Finding("pdfs", f"CRM invoice {crm_id}", "PDF comments", len(versions), counts[crm_id])
        for crm_id, versions in sorted(seen.items())
        if counts.get(crm_id, 0) != len(versions)
    ]
    return out, len(seen)


__all__ = ["check_pdfs", "pdf_counts", "version"]
