"""The counterparties and products tables: 1C's records beside the CRM's they match."""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Any, Protocol

from desktop_sync.crm.types import CrmCompany
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.matcher import MatchResult
from desktop_sync.engine.plan_counterparties import compared_fields, crm_counterparty
from desktop_sync.engine.plan_products import compared
from desktop_sync.engine.snapshot import CrmRequisite, Snapshot, requisites_of
from desktop_sync.i18n import tr
from desktop_sync.readmodel.marks import Marks, search, state_of
from desktop_sync.readmodel.rows import (
    COUNTERPARTY,
    COUNTERPARTY_COLUMNS,
    PRODUCT,
    PRODUCT_COLUMNS,
    Column,
    Row,
    SyncState,
    Table,
)


class _Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def crm_id(self) -> object: ...


def _shown(onec: Mapping[str, _Named], pairs: Mapping[str, object], extra: set[str]) -> list[str]:
    """The 1C records a table shows (matched, in use, or once sent), by name."""
    shown = [ref for ref, r in onec.items() if ref in pairs or ref in extra or r.crm_id]
    return sorted(shown, key=lambda r: nz.text(onec[r].name).casefold())


def _differs(
    cols: tuple[Column, ...],
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    only: Container[str] | None = None,
) -> list[str]:
    """The columns whose values differ (names compared with their spaces normalised)."""

    def value(side: Mapping[str, Any], key: str) -> Any:
        return nz.text(str(side[key])) if key == "name" else side[key]

    return [
        c.key
        for c in cols
        if (only is None or c.key in only) and value(left, c.key) != value(right, c.key)
    ]


# -- counterparties ------------------------------------------------------------------------


def _company_values(rq: CrmRequisite, co: CrmCompany) -> dict[str, Any]:
    """The CRM side as the planner sees it: a company of several requisites named by the
    requisite (a branch «… (филиал)» beside its head office)."""
    return {
        "name": crm_counterparty(co, rq).name,
        "inn": rq.inn,
        "kpp": rq.kpp,
        "phone": nz.phone(co.counterparty.phone),
        "email": nz.text(co.counterparty.email).lower(),
    }


def counterparty_table(
    snap: Snapshot, match: MatchResult, marks: Marks, extra_onec: set[str]
) -> Table:
    cols = COUNTERPARTY_COLUMNS
    onec = snap.onec.counterparties
    crm_units = {rq.key: (rq, co) for co in snap.crm.companies.values() for rq in requisites_of(co)}
    rows: list[Row] = []
    used_crm: set[str] = set()
    for ref in _shown(onec, match.pairs, extra_onec):
        cp = onec[ref]
        left: dict[str, Any] = dict(nz.counterparty_values(cp))
        left["name"] = cp.name
        pair = match.pairs.get(ref)
        right: dict[str, Any] | None = None
        crm_key: str | None = None
        differs: list[str] = []
        if pair is not None and pair.crm_key in crm_units:
            crm_key = pair.crm_key
            used_crm.add(crm_key)
            rq, co = crm_units[crm_key]
            right = _company_values(rq, co)
            # kept equal in what F7 keeps equal: a shared company's phone and e-mail are
            # its own, not a branch's (it read «Различается: Телефон, Эл. почта» forever)
            differs = _differs(cols, left, right, compared_fields(rq))
            base = SyncState.IN_SYNC if pair.known else SyncState.DIFFERS
        else:
            base = SyncState.ONLY_ONEC
        state, note, detail = state_of(
            base, differs, marks.of([COUNTERPARTY], [ref, crm_key]), cols
        )
        if base is SyncState.DIFFERS and not note:
            note = tr("found by INN; will be linked")
        rows.append(
            Row(f"cp:{ref}", left, right, state, tuple(differs), note, None, cp.name, ref,
                crm_key, search(left, right), detail)
        )  # fmt: skip
    for key, (rq, co) in sorted(crm_units.items(), key=lambda kv: kv[1][1].counterparty.name):
        if key in used_crm or co.is_my_company:
            continue
        right = _company_values(rq, co)
        state, note, detail = state_of(
            SyncState.ONLY_CRM, (), marks.of([COUNTERPARTY], [key]), cols
        )
        rows.append(
            Row(f"crm-cp:{key}", None, right, state, (), note, None, co.counterparty.name,
                None, key, search(right), detail)
        )  # fmt: skip
    return Table(COUNTERPARTY, cols, tuple(rows))


# -- products ------------------------------------------------------------------------------


def _product_values(name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["name"] = name
    return out


def product_table(snap: Snapshot, match: MatchResult, marks: Marks, extra_onec: set[str]) -> Table:
    cols = PRODUCT_COLUMNS
    onec = snap.onec.products
    rows: list[Row] = []
    used: set[str] = set()
    for ref in _shown(onec, match.pairs, extra_onec):
        p = onec[ref]
        left = _product_values(p.name, nz.product_values(p))
        pair = match.pairs.get(ref)
        right: dict[str, Any] | None = None
        crm_key: str | None = None
        differs: list[str] = []
        base = SyncState.ONLY_ONEC
        if pair is not None and pair.crm_key.isdigit() and int(pair.crm_key) in snap.crm.products:
            crm_key = pair.crm_key
            used.add(crm_key)
            cp = snap.crm.products[int(crm_key)]
            right = _product_values(cp.product.name, nz.product_values(cp.product))
            # what F5 keeps equal: never the article, which the CRM lacks
            differs = _differs(cols, left, right, compared(left))
            base = SyncState.IN_SYNC if pair.known else SyncState.DIFFERS
        state, note, detail = state_of(base, differs, marks.of([PRODUCT], [ref, crm_key]), cols)
        if state is SyncState.DIFFERS and base is SyncState.DIFFERS:
            # found, nothing planned: F5 links (and updates) a product once it is sold
            why = tr("found in the CRM; linked once sold to a customer")
            short = tr("found in the CRM; linked when sold")  # the Russian cut at 1366×768
            state = state if differs else SyncState.IN_SYNC
            note = f"{note}; {short}" if note else short
            detail = f"{detail}; {why}" if detail else why
        rows.append(
            Row(f"p:{ref}", left, right, state, tuple(differs), note, None, "", ref, crm_key,
                search(left, right), detail)
        )  # fmt: skip
    for pid, cp in sorted(snap.crm.products.items(), key=lambda kv: kv[1].product.name):
        if str(pid) in used:
            continue
        right = _product_values(cp.product.name, nz.product_values(cp.product))
        state, note, detail = state_of(
            SyncState.ONLY_CRM, (), marks.of([PRODUCT], [str(pid)]), cols
        )
        rows.append(
            Row(f"crm-p:{pid}", None, right, state, (), note, None, "", None, str(pid),
                search(right), detail)
        )  # fmt: skip
    return Table(PRODUCT, cols, tuple(rows))
