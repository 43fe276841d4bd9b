"""A printed invoice's *version*: what a payer sees change, as a short digest.

Number, date, the buyer's ИНН/КПП, each row's quantity, price, sum and VAT, the total;
not the product names or units (the CRM and 1C may spell them differently), nor the
seller's bank (read from 1C when the PDF is made). The sync attaches one PDF per version
to the CRM invoice (F11) and keeps ``version_values`` to say what the next one changed.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from desktop_sync.domain.money import round_money
from desktop_sync.printing.data import PrintableInvoice


def _amount(value: Decimal) -> str:
    return f"{round_money(value):.2f}"


def digest(doc: PrintableInvoice) -> str:
    """The version of the form (16 hex digits)."""
    canon = [
        doc.number,
        doc.date.isoformat(),
        doc.buyer.inn,
        doc.buyer.kpp,
        doc.prices_include_vat,
        [
            [
                format(r.quantity.normalize(), "f"),
                _amount(r.price),
                _amount(r.amount),
                r.vat_rate.value,
                _amount(r.vat_amount),
            ]
            for r in doc.rows
        ],
        _amount(doc.total),
    ]
    text = json.dumps(canon, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def version_values(doc: PrintableInvoice, seq: int) -> dict[str, Any]:
    """What is kept of a version (JSON): the next version's comment compares with it."""
    return {
        "seq": seq,
        "number": doc.number,
        "date": doc.date.isoformat(),
        "buyer": f"{doc.buyer.inn}/{doc.buyer.kpp}",
        "rows": len(doc.rows),
        "total": _amount(doc.total),
    }
