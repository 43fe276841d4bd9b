"""Linking records across the two systems. Pure: no I/O.

Counterparties are matched per requisite (a CRM company may hold several: head
office and branches): by link, then by our own origin mark, then ИНН+КПП, then ИНН
alone only when it is unique on both sides and no КПП disagrees. Never by name: a
name match is only a suggestion for a person. Two candidates are an attention item,
never a guess. Products: link, then the 1C GUID in ``xmlId``, then an article that
is unique on both sides.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Set
from dataclasses import dataclass, field

from desktop_sync.crm.types import CrmCompany, CrmProduct
from desktop_sync.domain.entities import Counterparty, Invoice, Product
from desktop_sync.engine.normalize import text
from desktop_sync.engine.ops import ORIGINATOR as ORIGINATOR
from desktop_sync.engine.snapshot import CrmRequisite, requisites_of
from desktop_sync.i18n import tr
from desktop_sync.journal import LinkValues

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass(frozen=True, slots=True)
class Pair:
    onec_ref: str
    crm_key: str  # counterparty: "company/requisite"; product: "id"
    rule: str  # link | origin | inn_kpp | inn | xml_id | article
    known: bool  # already in the link table


@dataclass(frozen=True, slots=True)
class Ambiguity:
    onec_ref: str | None
    crm_keys: tuple[str, ...]
    onec_refs: tuple[str, ...]
    field: str
    message: str


@dataclass
class MatchResult:
    pairs: dict[str, Pair] = field(default_factory=dict)  # by onec ref
    by_crm: dict[str, str] = field(default_factory=dict)  # crm key -> onec ref
    ambiguous: list[Ambiguity] = field(default_factory=list)
    name_suggestions: dict[str, list[str]] = field(default_factory=dict)  # onec ref -> crm keys

    def add(self, pair: Pair) -> None:
        self.pairs[pair.onec_ref] = pair
        self.by_crm[pair.crm_key] = pair.onec_ref


@dataclass(frozen=True)
class Matches:
    """What the planner matched, so that what shows the records side by side (the
    window's read model) need not match again. Pairs by 1C ref, ``by_crm`` the other
    way; ``known``: linked before this plan.

    ``counterparties``: CRM key "company/requisite"; ``products``: CRM product id (with
    the pairs a person confirmed); ``invoices``: CRM invoice id, linked before or found
    in 1C by this plan (rule ``key`` | ``comment`` | ``number``)."""

    counterparties: MatchResult
    products: MatchResult
    invoices: MatchResult


def match_counterparties(
    onec: dict[str, Counterparty],
    crm: dict[int, CrmCompany],
    links: list[LinkValues],
    units: Mapping[int, tuple[CrmRequisite, ...]] | None = None,
) -> MatchResult:
    """``units``: each CRM company's ``requisites_of``, when the caller has them."""
    result = MatchResult()
    reqs = [
        (rq, co)
        for cid, co in crm.items()
        for rq in (requisites_of(co) if units is None else units[cid])
    ]
    by_key = {rq.key: (rq, co) for rq, co in reqs}
    # 1. the link table
    for link in links:
        if link.onec_ref in onec and link.crm_id in by_key:
            result.add(Pair(link.onec_ref, link.crm_id, "link", known=True))
    _by_origin(result, onec, reqs)
    _by_requisites(result, onec, reqs)
    _name_suggestions(result, onec, reqs)
    return result


def _by_origin(
    result: MatchResult,
    onec: dict[str, Counterparty],
    reqs: list[tuple[CrmRequisite, CrmCompany]],
) -> None:
    """2. our own origin mark: a company created by us whose link was lost in a crash."""
    for rq, co in reqs:
        if (
            rq.key not in result.by_crm
            and co.originator_id == ORIGINATOR
            and co.origin_id is not None
            and co.origin_id in onec
            and co.origin_id not in result.pairs
            and (not rq.inn or rq.inn == text(onec[co.origin_id].inn))
        ):
            result.add(Pair(co.origin_id, rq.key, "origin", known=False))


def _by_requisites(
    result: MatchResult,
    onec: dict[str, Counterparty],
    reqs: list[tuple[CrmRequisite, CrmCompany]],
) -> None:
    """3./4. ИНН+КПП; ИНН alone only when unique on both sides with no КПП disagreeing."""
    free_reqs = [(rq, co) for rq, co in reqs if rq.key not in result.by_crm and rq.inn]
    crm_by_inn: dict[str, list[CrmRequisite]] = defaultdict(list)
    for rq, _co in free_reqs:
        crm_by_inn[rq.inn].append(rq)
    onec_by_inn: dict[str, list[Counterparty]] = defaultdict(list)
    for cp in onec.values():
        if cp.onec_ref and cp.onec_ref not in result.pairs and text(cp.inn):
            onec_by_inn[text(cp.inn)].append(cp)
    for inn, cps in sorted(onec_by_inn.items()):
        candidates = crm_by_inn.get(inn, [])
        for cp in cps if candidates else ():
            _by_inn(result, inn, cp, cps, candidates)


def _by_inn(
    result: MatchResult,
    inn: str,
    cp: Counterparty,
    cps: list[Counterparty],
    candidates: list[CrmRequisite],
) -> None:
    """One 1C counterparty among ``cps`` (all of ИНН ``inn``) and the CRM requisites
    of that ИНН: a pair, an ambiguity, or nothing."""
    assert cp.onec_ref is not None
    kpp = text(cp.kpp)
    exact = [rq for rq in candidates if kpp and rq.kpp == kpp]
    same_kpp_in_onec = [c for c in cps if text(c.kpp) == kpp]
    if len(exact) == 1 and len(same_kpp_in_onec) == 1:
        if exact[0].key not in result.by_crm:
            result.add(Pair(cp.onec_ref, exact[0].key, "inn_kpp", known=False))
        return
    if len(exact) > 1 or len(same_kpp_in_onec) > 1:
        message = tr("INN {inn} KPP {kpp}: {crm} records in the CRM, {onec} in 1C").format(
            inn=inn, kpp=kpp, crm=len(exact), onec=len(same_kpp_in_onec)
        )
        _ambiguous_inn(result, cp.onec_ref, exact, same_kpp_in_onec, message)
        return
    # ИНН alone: exactly one on each side, and no КПП that disagrees
    no_conflict = [rq for rq in candidates if not rq.kpp or not kpp or rq.kpp == kpp]
    if len(candidates) == 1 and len(cps) == 1 and len(no_conflict) == 1:
        if candidates[0].key not in result.by_crm:
            result.add(Pair(cp.onec_ref, candidates[0].key, "inn", known=False))
    elif len(no_conflict) > 1:
        message = tr("INN {inn}: {crm} fitting requisites in the CRM").format(
            inn=inn, crm=len(no_conflict)
        )
        _ambiguous_inn(result, cp.onec_ref, no_conflict, cps, message)


def _ambiguous_inn(
    result: MatchResult,
    onec_ref: str,
    crm: list[CrmRequisite],
    onec: list[Counterparty],
    message: str,
) -> None:
    result.ambiguous.append(
        Ambiguity(
            onec_ref,
            tuple(rq.key for rq in crm),
            tuple(c.onec_ref or "" for c in onec),
            "inn",
            message,
        )
    )


def _name_suggestions(
    result: MatchResult,
    onec: dict[str, Counterparty],
    reqs: list[tuple[CrmRequisite, CrmCompany]],
) -> None:
    """5. names: suggestions only, and only for CRM companies without an ИНН (a namesake
    with other requisites is another company, not a candidate)."""
    crm_by_name: dict[str, list[str]] = defaultdict(list)
    for rq, co in reqs:
        if rq.key not in result.by_crm and not rq.inn:
            crm_by_name[text(co.counterparty.name).casefold()].append(rq.key)
    for cp in onec.values():
        if cp.onec_ref and cp.onec_ref not in result.pairs:
            keys = crm_by_name.get(text(cp.name).casefold())
            if keys:
                result.name_suggestions[cp.onec_ref] = keys


def match_products(
    onec: dict[str, Product],
    crm: dict[int, CrmProduct],
    links: list[LinkValues],
) -> MatchResult:
    result = MatchResult()
    for link in links:
        if link.onec_ref in onec and link.crm_id is not None and int(link.crm_id) in crm:
            result.add(Pair(link.onec_ref, link.crm_id, "link", known=True))
    for pid, cp in crm.items():
        key = str(pid)
        xml = (cp.xml_id or "").strip().lower()
        if key in result.by_crm or not GUID.match(xml):
            continue
        if xml in onec and xml not in result.pairs:
            result.add(Pair(xml, key, "xml_id", known=False))
    onec_by_article: dict[str, list[str]] = defaultdict(list)
    for ref, p in onec.items():
        if ref not in result.pairs and text(p.article):
            onec_by_article[text(p.article)].append(ref)
    crm_by_article: dict[str, list[str]] = defaultdict(list)
    for pid, cp in crm.items():
        if str(pid) not in result.by_crm and text(cp.product.article):
            crm_by_article[text(cp.product.article)].append(str(pid))
    for article, refs in sorted(onec_by_article.items()):
        keys = crm_by_article.get(article, [])
        if len(refs) == 1 and len(keys) == 1:
            result.add(Pair(refs[0], keys[0], "article", known=False))
        elif keys:
            result.ambiguous.append(
                Ambiguity(
                    refs[0] if len(refs) == 1 else None,
                    tuple(keys),
                    tuple(refs),
                    "article",
                    tr("article «{article}»: {onec} products in 1C, {crm} in the CRM").format(
                        article=article, onec=len(refs), crm=len(keys)
                    ),
                )
            )
    return result


# -- invoices sent earlier (a lost journal, a profile added again) -----------------------

OUR_MARK = "[desktop-sync:"
_CRM_ID_IN_COMMENT = re.compile(r"\(id (\d+)\)")


@dataclass(frozen=True, slots=True)
class SentInvoice:
    """Where a CRM invoice already is in 1C, found by what the records carry."""

    onec_ref: str | None  # None: several candidates, a person decides
    rule: str  # key | comment | number
    candidates: tuple[str, ...] = ()


_MARKS = re.compile(r"(?=\[desktop-sync:([^\]]*)\])")


class SentIndex:
    """The 1C invoices by what :func:`find_sent_invoice` looks them up by, built once a plan.

    Looking each CRM invoice up by scanning every 1C invoice made a plan of 20,000 invoices
    spend 100 s (issue 18); the answers are the same. ``by_number`` is made when first
    asked: only a CRM invoice carrying a 1C number asks, and the large set's unchanged
    run has none (its 34,543 numbers were 5.5 MB of a plan's peak; issue 18, memory)."""

    def __init__(self, onec: Mapping[str, Invoice]) -> None:
        self.onec = self._indexed = onec
        self.by_mark: dict[str, list[str]] = {}
        self.by_crm_id: dict[str, list[str]] = {}
        self._by_number: dict[str, list[str]] | None = None
        for ref, inv in onec.items():
            comment = inv.comment
            if OUR_MARK in comment:
                for mark in dict.fromkeys(_MARKS.findall(comment)):
                    self.by_mark.setdefault(mark, []).append(ref)
                for crm_id in dict.fromkeys(_CRM_ID_IN_COMMENT.findall(comment)):
                    self.by_crm_id.setdefault(crm_id, []).append(ref)

    @property
    def by_number(self) -> dict[str, list[str]]:
        if self._by_number is None:
            self._by_number = {}
            for ref, inv in self._indexed.items():
                self._by_number.setdefault(text(inv.number), []).append(ref)
        return self._by_number


def find_sent_invoice(
    crm_invoice: Invoice,
    onec_number: str | None,
    onec_date: dt.date | None,
    key: str,
    key_ref: str,
    onec: Mapping[str, Invoice],
    taken: Set[str],
    index: SentIndex | None = None,
) -> SentInvoice | None:
    """The 1C document made from ``crm_invoice`` earlier, if 1C holds one.

    In this order: the Ref_Key its create key gives (or the key in its comment); a
    document of ours whose comment names this CRM invoice's id (checked against the 1C
    number the CRM invoice carries, or else its date and total); the 1C number and date
    written back into the CRM invoice (with the same total). ``taken``: 1C documents
    linked to another CRM invoice already. Two candidates are ``onec_ref=None``.
    ``index``: :class:`SentIndex` of ``onec``, when many invoices are looked up.
    """
    if key_ref in onec and key_ref not in taken:
        return SentInvoice(key_ref, "key")
    if index is None or index.onec is not onec:
        index = SentIndex(onec)
    marked = index.by_mark.get(key, ())
    commented = index.by_crm_id.get(str(crm_invoice.crm_id), ())
    if not marked and not commented and not (onec_number and onec_date is not None):
        return None  # nothing of ours names it, no 1C number (most CRM invoices)
    by_key = sorted(ref for ref in marked if ref not in taken)
    if len(by_key) == 1:
        return SentInvoice(by_key[0], "key")
    ours = [(ref, onec[ref]) for ref in commented if ref not in taken]
    if onec_number:
        fitting = [
            ref
            for ref, inv in ours
            if text(inv.number) == text(onec_number)
            and (onec_date is None or inv.date.year == onec_date.year)
        ]
    else:
        fitting = [
            ref
            for ref, inv in ours
            if inv.date == crm_invoice.date and inv.total == crm_invoice.total
        ]
    if fitting:
        return _one_of(fitting, "comment")
    if onec_number and onec_date is not None:
        numbered = [
            ref
            for ref in index.by_number.get(text(onec_number), ())
            if ref not in taken
            and onec[ref].date == onec_date
            and onec[ref].total == crm_invoice.total
        ]
        return _one_of(numbered, "number") if numbered else None
    return None


def _one_of(found: list[str], rule: str) -> SentInvoice:
    """The document found by ``rule``; several: none, a person decides among them."""
    if len(found) == 1:
        return SentInvoice(found[0], rule)
    return SentInvoice(None, rule, tuple(sorted(found)))
