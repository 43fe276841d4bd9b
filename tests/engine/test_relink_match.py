"""Where a CRM invoice already is in 1C, by what the records carry (no journal needed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from desktop_sync.domain.entities import Invoice, make_line
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine.matcher import SentIndex, find_sent_invoice

DAY = dt.date(2026, 3, 2)
LINE = make_line(1, "Услуга", Decimal("2"), Decimal("100.00"), VatRate.VAT22)


def crm(crm_id: int = 7) -> Invoice:
    return Invoice("7", DAY, None, (LINE,), crm_id=crm_id)


def onec(number: str, comment: str, day: dt.date = DAY) -> Invoice:
    return Invoice(number, day, "cp", (LINE,), comment=comment)


OURS = "Из счёта Битрикс24 7 (id 7); ключ desktop-sync k-old [desktop-sync:k-old]"


def test_by_the_ref_of_the_key() -> None:
    found = find_sent_invoice(crm(), None, None, "k", "ref-k", {"ref-k": onec("1", "")}, set())
    assert found is not None and (found.onec_ref, found.rule) == ("ref-k", "key")


def test_an_older_key_by_the_crm_id_in_our_comment_and_the_number_written_back() -> None:
    docs = {"a": onec("12", OURS), "b": onec("13", OURS.replace("(id 7)", "(id 8)"))}
    found = find_sent_invoice(crm(), "12", DAY, "k-new", "ref-new", docs, set())
    assert found is not None and (found.onec_ref, found.rule) == ("a", "comment")
    # the CRM lost its 1C number (killed before it was written back): date and total
    found = find_sent_invoice(crm(), None, None, "k-new", "ref-new", docs, set())
    assert found is not None and found.onec_ref == "a"


def test_a_comment_without_our_mark_or_a_linked_document_is_not_taken() -> None:
    plain = {"a": onec("12", "Из счёта Битрикс24 7 (id 7)")}
    assert find_sent_invoice(crm(), None, None, "k", "ref-k", plain, set()) is None
    assert (
        find_sent_invoice(crm(), None, None, "k", "ref-k", {"a": onec("12", OURS)}, {"a"}) is None
    )


def test_the_1c_number_written_back_alone() -> None:
    docs = {"a": onec("12", "typed by hand"), "b": onec("12", "", dt.date(2025, 3, 2))}
    found = find_sent_invoice(crm(), "12", DAY, "k", "ref-k", docs, set())
    assert found is not None and (found.onec_ref, found.rule) == ("a", "number")


def test_two_candidates_are_for_a_person() -> None:
    docs = {"a": onec("12", OURS), "b": onec("12", OURS)}
    found = find_sent_invoice(crm(), "12", DAY, "k", "ref-k", docs, set())
    assert found is not None and found.onec_ref is None and found.candidates == ("a", "b")


class _NoScan(dict[str, Invoice]):
    """1C invoices that may be looked up by ref but not scanned."""

    def items(self):  # type: ignore[override]
        raise AssertionError("scanned every 1C invoice for one CRM invoice")

    def values(self):  # type: ignore[override]
        raise AssertionError("scanned every 1C invoice for one CRM invoice")


def test_many_invoices_are_looked_up_in_an_index_built_once() -> None:
    """Issue 18: each CRM invoice scanned every 1C invoice (100 s for a plan of 20,000)."""
    from desktop_sync.engine.matcher import SentIndex

    plain = {"a": onec("12", OURS), "b": onec("12", OURS), "c": onec("13", "by hand")}
    index = SentIndex(plain)
    docs = _NoScan(plain)
    index.onec = docs
    for number, key, want in (("12", "k", (None, "comment")), ("13", "k2", ("c", "number"))):
        found = find_sent_invoice(crm(), number, DAY, key, "ref-x", docs, set(), index)
        assert found is not None and (found.onec_ref, found.rule) == want
    assert find_sent_invoice(crm(), "14", DAY, "k3", "ref-x", docs, set(), index) is None
    found = find_sent_invoice(crm(), None, None, "k-old", "ref-x", docs, {"b"}, index)
    assert found is not None and (found.onec_ref, found.rule) == ("a", "key")


def test_the_numbers_are_indexed_only_when_a_number_is_looked_up() -> None:
    """Issue 18: the large set's unchanged run looks up no 1C number (its CRM invoices
    carry none), and the index of 34,543 numbers was 5.5 MB of its plan's peak."""
    docs = {"ref-a": onec("12", ""), "ref-b": onec("13", "")}
    index = SentIndex(docs)
    found = find_sent_invoice(crm(), None, None, "k", "ref-k", docs, set(), index)
    assert found is None and index._by_number is None
    found = find_sent_invoice(crm(), "12", DAY, "k", "ref-k", docs, set(), index)
    assert found is not None and (found.onec_ref, found.rule) == ("ref-a", "number")
    assert index.by_number == {"12": ["ref-a"], "13": ["ref-b"]}
