"""Companies, contacts and their requisites (``crm.company.*``, ``crm.contact.*``,
``crm.requisite.*``). Keys: company ``ORIGINATOR_ID``+``ORIGIN_ID``, requisite ``XML_ID``."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.envelope import IN_LIST, PAGE, Params, outcome
from desktop_sync.connectors.bitrix24.models import CrmCompany
from desktop_sync.connectors.bitrix24.paging import ListScan, scan_together
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.connectors.bitrix24.timestamps import iso
from desktop_sync.domain.entities import Counterparty, CounterpartyKind, Requisite
from desktop_sync.i18n import N_

COMPANY_SELECT = ["*", "UF_*", "PHONE", "EMAIL"]
PRESET = {
    CounterpartyKind.ORGANIZATION: 1,
    CounterpartyKind.SOLE_TRADER: 2,
    CounterpartyKind.PERSON: 3,
}


class Companies:
    """The CRM's buyers: companies (and private persons as contacts) with requisites."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest

    def company_scan(
        self,
        since: dt.datetime | None = None,
        pages: float = math.inf,
        *,
        ids: Sequence[int] = (),
    ) -> ListScan:
        """Companies (changed ``since``, or these ``ids``)."""
        flt: dict[str, Any] = {}
        if since is not None:
            flt[">=DATE_MODIFY"] = iso(since)
        if ids:
            flt["@ID"] = list(ids)
            pages = len(ids) / PAGE
        params = {"select": COMPANY_SELECT, "filter": flt}
        return ListScan("crm.company.list", params, pages=pages)

    def requisite_scan(
        self,
        entity_type: int | None = 4,
        since: dt.datetime | None = None,
        stamp: str = "DATE_MODIFY",
        pages: float = math.inf,
        *,
        owners: Sequence[int] = (),
    ) -> ListScan:
        """Requisites of companies (4) or contacts (3), or of both (None): with ``since``,
        those whose ``stamp`` (DATE_MODIFY or DATE_CREATE) is no older; with ``owners``,
        theirs."""
        flt: dict[str, Any] = {} if entity_type is None else {"ENTITY_TYPE_ID": entity_type}
        if since is not None:
            flt[f">={stamp}"] = iso(since)
        if owners:
            flt["@ENTITY_ID"] = list(owners)
            pages = max(1.0, len(owners) * 1.2 / PAGE)
        return ListScan("crm.requisite.list", {"filter": flt}, pages=pages)

    def company_rows(self, modified_since: dt.datetime | None = None) -> list[dict[str, Any]]:
        lists = {"companies": self.company_scan(modified_since)}
        return scan_together(self.rest, lists).rows["companies"]

    def requisite_rows(self, entity_type: int = 4) -> list[dict[str, Any]]:
        lists = {"requisites": self.requisite_scan(entity_type)}
        return scan_together(self.rest, lists).rows["requisites"]

    def read(
        self,
        modified_since: dt.datetime | None = None,
        *,
        requisites: dict[int, tuple[Requisite, ...]] | None = None,
    ) -> list[CrmCompany]:
        """Companies the webhook's user can see, each with its requisites (oldest first).

        Every requisite is read whatever ``modified_since`` says (adding one does not
        touch its company's DATE_MODIFY); with ``requisites``, they are also handed
        back by owner, so an incremental reader can refresh unchanged companies too.
        The two lists share their batch requests.
        """
        lists = {
            "companies": self.company_scan(modified_since),
            "requisites": self.requisite_scan(4),
        }
        got = scan_together(self.rest, lists).rows
        by_owner = by_owner_of(got["requisites"])
        if requisites is not None:
            requisites.update(requisites_by_owner(got["requisites"]))
        return [
            mapping.company(r, by_owner.get(mapping.as_int(r.get("ID")) or 0, []))
            for r in got["companies"]
            if r.get("IS_MY_COMPANY") != "Y"
        ]

    def contacts(self) -> list[CrmCompany]:
        lists = {
            "contacts": ListScan("crm.contact.list", {"select": ["*", "PHONE", "EMAIL"]}),
            "requisites": self.requisite_scan(3),
        }
        got = scan_together(self.rest, lists).rows
        by_owner = by_owner_of(got["requisites"])
        return [
            mapping.contact(r, by_owner.get(mapping.as_int(r.get("ID")) or 0, []))
            for r in got["contacts"]
        ]

    def contacts_of(self, ids: Sequence[int]) -> list[CrmCompany]:
        """These contacts (private persons buying on a deal or invoice without a
        company), with their requisites (an ИНН of a private person or sole trader):
        one batch request for both lists."""
        if not ids:
            return []
        lists = {
            f"{key}{n}": scan
            for n in range(0, len(ids), IN_LIST)
            for key, scan in self.contact_scans(ids[n : n + IN_LIST]).items()
        }  # IN_LIST ids to a list filter: the portal keeps a command's first 1,000 parameters
        got = scan_together(self.rest, lists).rows
        rows = {kind: [r for k, v in got.items() if k.startswith(kind) for r in v]
                for kind in ("contacts", "requisites")}  # fmt: skip
        return with_requisites(rows["contacts"], rows["requisites"], mapping.contact)

    def contacts_with_inn(
        self,
        inns: Sequence[str],
        *,
        besides: Collection[int] = (),
        listed: Iterable[tuple[int, str]] | None = None,
    ) -> list[CrmCompany]:
        """The contacts holding a requisite with one of these ИНН (1C private persons
        whose contact the read did not bring), with all their requisites, but those of
        ``besides`` (read already): one batch request for the requisites
        (``ENTITY_TYPE_ID`` 3, ``@RQ_INN``), one more for the contacts only when others
        are found. A requisite whose ИНН is none of these is not taken (a portal that
        ignored the filter must not make every contact a match). ``listed``: (contact,
        ИНН) of every contact's requisite, as a full read listed them: the contacts are
        found among them, and only the request for the contacts found is made."""
        if not inns:
            return []
        wanted = set(inns)
        if listed is not None:
            found = {owner for owner, inn in listed if inn in wanted}
            return self.contacts_of(sorted(found - set(besides)))
        lists = {
            f"requisites{n}": ListScan(
                "crm.requisite.list",
                {"filter": {"ENTITY_TYPE_ID": 3, "@RQ_INN": list(inns[n : n + IN_LIST])}},
                pages=1,  # most ИНН have no contact: a page each, more only if it is full
            )
            for n in range(0, len(inns), IN_LIST)
        }
        got = scan_together(self.rest, lists).rows
        owners = {
            owner
            for rows in got.values()
            for r in rows
            if str(r.get("RQ_INN") or "").strip() in wanted
            and (owner := mapping.as_int(r.get("ENTITY_ID"))) is not None
        }
        return self.contacts_of(sorted(owners - set(besides)))

    def contact_scans(self, ids: Sequence[int]) -> dict[str, ListScan]:
        """The scans of these contacts and of their requisites (``contacts``,
        ``requisites``): a request of their own, or beside other lists."""
        return {
            "contacts": ListScan(
                "crm.contact.list",
                {"filter": {"@ID": list(ids)}, "select": ["*", "PHONE", "EMAIL"]},
                pages=len(ids) / PAGE,
            ),
            "requisites": self.requisite_scan(3, owners=ids),
        }

    def _find_by_origin(self, method: str, originator_id: str, origin_id: str) -> int | None:
        rows = (
            self.rest.call(
                method,
                {
                    "filter": {"=ORIGINATOR_ID": originator_id, "=ORIGIN_ID": origin_id},
                    "select": ["ID"],
                    "order": {"ID": "ASC"},
                    "start": -1,
                },
            ).result
            or []
        )
        return mapping.as_int(rows[0]["ID"]) if rows else None

    def find_company_by_origin(self, originator_id: str, origin_id: str) -> int | None:
        return self._find_by_origin("crm.company.list", originator_id, origin_id)

    def find_contact_by_origin(self, originator_id: str, origin_id: str) -> int | None:
        return self._find_by_origin("crm.contact.list", originator_id, origin_id)

    def find_requisites(self, inn: str, kpp: str | None = None) -> list[Requisite]:
        flt: dict[str, Any] = {"RQ_INN": inn}
        if kpp is not None:
            flt["RQ_KPP"] = kpp
        rows = self.rest.call("crm.requisite.list", {"filter": flt, "order": {"ID": "ASC"}}).result
        return [mapping.requisite(r) for r in rows or []]

    def requisite_owner(self, requisite_id: int) -> tuple[int, int]:
        """-> (entity type, entity id) the requisite belongs to."""
        row = self.rest.call(
            "crm.requisite.get", {"id": requisite_id}, what=f"requisite {requisite_id}"
        ).result
        return int(row["ENTITY_TYPE_ID"]), int(row["ENTITY_ID"])

    def find_requisite_by_xml_id(self, xml_id: str) -> int | None:
        rows = (
            self.rest.call(
                "crm.requisite.list", {"filter": {"=XML_ID": xml_id}, "select": ["ID"], "start": -1}
            ).result
            or []
        )
        return mapping.as_int(rows[0]["ID"]) if rows else None

    def add_company(
        self,
        cp: Counterparty,
        *,
        originator_id: str,
        origin_id: str,
        assigned_by: int | None = None,
    ) -> int:
        fields = company_fields(cp, originator_id, origin_id, assigned_by)
        result = self.rest.call(
            "crm.company.add", {"fields": fields}, what=f"company «{cp.name}»"
        ).result
        return int(result)

    def add_companies(
        self, items: Sequence[tuple[Counterparty, str]], *, originator_id: str
    ) -> list[tuple[int, int | None] | Exception]:
        """Many companies, each with its requisite (``XML_ID`` = ``ORIGIN_ID``), 25 to a
        batch request. One outcome per item: (company id, requisite id or None), or the
        error of the company's creation."""
        commands: dict[str, tuple[str, Params]] = {}
        for n, (cp, origin_id) in enumerate(items):
            commands[f"c{n}"] = (
                "crm.company.add",
                {"fields": company_fields(cp, originator_id, origin_id, None)},
            )
            if cp.inn:
                req = Requisite(cp.inn, cp.kpp, cp.full_name or cp.name)
                commands[f"r{n}"] = (
                    "crm.requisite.add",
                    {
                        "fields": requisite_fields(
                            f"$result[c{n}]", req, name=cp.name, kind=cp.kind, xml_id=origin_id
                        )
                    },
                )
        reply = self.rest.batch_all(commands, what=N_("companies"))
        out: list[tuple[int, int | None] | Exception] = []
        for n, (cp, _origin) in enumerate(items):
            company = outcome(reply, f"c{n}", int)
            if isinstance(company, Exception):
                out.append(company)
                continue
            requisite = outcome(reply, f"r{n}", int) if cp.inn else None
            # A requisite that failed is added by the lookup of the next run (by XML_ID).
            out.append((company, requisite if isinstance(requisite, int) else None))
        return out

    def add_requisites(
        self, items: Sequence[tuple[int, Counterparty, str]]
    ) -> list[int | Exception]:
        """Many requisites, each added to a company that exists (UT 11: a counterparty
        joining its partner's company), 50 to a batch request: (company id, counterparty,
        1C key as ``XML_ID``). One outcome per item: the requisite's id or the error."""
        commands: dict[str, tuple[str, Params]] = {}
        for n, (company_id, cp, xml_id) in enumerate(items):
            req = Requisite(cp.inn, cp.kpp, cp.full_name or cp.name)
            fields = requisite_fields(company_id, req, name=cp.name, kind=cp.kind, xml_id=xml_id)
            commands[f"r{n}"] = ("crm.requisite.add", {"fields": fields})
        if not commands:
            return []
        reply = self.rest.batch_all(commands, what=N_("requisites"))
        return [outcome(reply, f"r{n}", int) for n in range(len(items))]

    def add_contact(self, cp: Counterparty, *, originator_id: str, origin_id: str) -> int:
        """A private person becomes a contact (its requisite: preset 3, owner type 3)."""
        parts = cp.name.split()
        parts += [""] * (3 - len(parts))
        fields: dict[str, Any] = {
            "LAST_NAME": parts[0],
            "NAME": parts[1],
            "SECOND_NAME": " ".join(parts[2:]).strip(),
            "ORIGINATOR_ID": originator_id,
            "ORIGIN_ID": origin_id,
        }
        if cp.phone:
            fields["PHONE"] = [{"VALUE": cp.phone, "VALUE_TYPE": "WORK"}]
        result = self.rest.call("crm.contact.add", {"fields": fields}, what=f"contact «{cp.name}»")
        return int(result.result)

    def update_company(self, company_id: int, fields: Mapping[str, Any]) -> None:
        self.rest.call(
            "crm.company.update",
            {"id": company_id, "fields": dict(fields)},
            what=f"company {company_id}",
        )

    def update_requisite(self, requisite_id: int, fields: Mapping[str, Any]) -> None:
        self.rest.call(
            "crm.requisite.update",
            {"id": requisite_id, "fields": dict(fields)},
            what=f"requisite {requisite_id}",
        )

    def add_requisite(
        self,
        owner_id: int,
        req: Requisite,
        *,
        name: str,
        kind: CounterpartyKind = CounterpartyKind.ORGANIZATION,
        xml_id: str | None = None,
        owner_type: int = 4,
    ) -> int:
        fields = requisite_fields(
            owner_id, req, name=name, kind=kind, xml_id=xml_id, owner_type=owner_type
        )
        result = self.rest.call(
            "crm.requisite.add", {"fields": fields}, what=f"requisite ИНН {req.inn} of «{name}»"
        ).result
        return int(result)

    def find_companies_by_phone(self, phones: Sequence[str]) -> list[int]:
        result = self.rest.call(
            "crm.duplicate.findbycomm",
            {"type": "PHONE", "values": list(phones)[:20], "entity_type": "COMPANY"},
        ).result
        if isinstance(result, Mapping):
            return [int(i) for i in result.get("COMPANY", [])]
        return []


def company_fields(
    cp: Counterparty, originator_id: str, origin_id: str, assigned_by: int | None
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "TITLE": cp.name,
        "COMPANY_TYPE": "CUSTOMER",
        "ORIGINATOR_ID": originator_id,
        "ORIGIN_ID": origin_id,
    }
    if cp.phone:
        fields["PHONE"] = [{"VALUE": cp.phone, "VALUE_TYPE": "WORK"}]
    if cp.email:
        fields["EMAIL"] = [{"VALUE": cp.email, "VALUE_TYPE": "WORK"}]
    if assigned_by is not None:
        fields["ASSIGNED_BY_ID"] = assigned_by
    return fields


def requisite_fields(
    owner_id: int | str,
    req: Requisite,
    *,
    name: str,
    kind: CounterpartyKind = CounterpartyKind.ORGANIZATION,
    xml_id: str | None = None,
    owner_type: int = 4,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ENTITY_TYPE_ID": owner_type,
        "ENTITY_ID": owner_id,
        "PRESET_ID": PRESET[kind],
        "NAME": {1: "Организация", 2: "ИП", 3: "Физ. лицо"}[PRESET[kind]],
        "RQ_INN": req.inn,
        "ACTIVE": "Y",
    }
    if kind is CounterpartyKind.ORGANIZATION:
        fields["RQ_KPP"] = req.kpp
        fields["RQ_COMPANY_NAME"] = name
        fields["RQ_COMPANY_FULL_NAME"] = req.full_name or name
    else:
        fields["RQ_NAME"] = name
    if xml_id is not None:
        fields["XML_ID"] = xml_id
    return fields


def with_requisites(
    rows: Sequence[Mapping[str, Any]],
    requisites: Sequence[Mapping[str, Any]],
    make: Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]]], CrmCompany],
) -> list[CrmCompany]:
    """Companies or contacts as read (``make``: ``mapping.company`` or ``.contact``), each
    with its requisites."""
    by_owner = by_owner_of(requisites)
    return [make(r, list(by_owner.get(mapping.as_int(r.get("ID")) or 0, []))) for r in rows]


def by_owner_of(rows: Sequence[Mapping[str, Any]]) -> dict[int, list[Mapping[str, Any]]]:
    """Requisite rows by the id of the company (or contact) they belong to."""
    out: dict[int, list[Mapping[str, Any]]] = {}
    for req in rows:
        owner = mapping.as_int(req.get("ENTITY_ID"))
        if owner is not None:
            out.setdefault(owner, []).append(req)
    return out


def requisites_by_owner(rows: Sequence[Mapping[str, Any]]) -> dict[int, tuple[Requisite, ...]]:
    return {
        owner: tuple(mapping.requisite(r) for r in reqs)
        for owner, reqs in by_owner_of(rows).items()
    }
