"""Private persons in the simulation: a contact without a company buys by a smart invoice
or a deal (F1/F9 with a contact buyer, issue 22).

A few contacts buy, some again on later days (their invoices and deals share one 1C
counterparty). Some bear the exact name of a 1C counterparty of kind «Физическое лицо»
that is not theirs (a seeded private person, or the person an earlier contact became):
names are never matched. The invariants: the 1C documents made from one contact's
invoices and deals name one counterparty, of kind «Физическое лицо», never the
namesake's; no «Физическое лицо» counterparty of a person's name exists that neither a
contact's link nor a namesake explains (a twin).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .invariants import CRM_ID_IN_COMMENT, DEAL_COMMENT, Finding, Snapshot
from .people import OnecUser

PERSON = "ФизическоеЛицо"  # ЮридическоеФизическоеЛицо of a private person (BP and UT)
MOST = 3  # persons buying in one run


@dataclass
class Person:
    contact_id: int
    name: str  # «Фамилия Имя Отчество»: the contact's names, as 1C will name it
    namesakes: tuple[str, ...] = ()  # 1C counterparties of that name, not this person's

    @property
    def label(self) -> str:
        return f"private person «{self.name}» (contact {self.contact_id})"

    def fields(self) -> dict[str, Any]:
        last, first, middle = self.name.split(" ")
        return {"LAST_NAME": last, "NAME": first, "SECOND_NAME": middle, "OPENED": "Y"}


def is_person(cp: dict[str, Any]) -> bool:
    return cp.get("ЮридическоеФизическоеЛицо") == PERSON and not cp.get("DeletionMark")


def new_person(
    onec: OnecUser, counterparties: str, persons: dict[int, Person], rng: random.Random, n: int
) -> tuple[str, tuple[str, ...]]:
    """(name, the 1C private persons of that name) of the next contact: now and then a
    1C private person's exact name (one no contact of this run bears), else a new name."""
    people = [c for c in onec.list(counterparties) if is_person(c)]
    taken = {p.name for p in persons.values()}
    names = sorted(
        {str(c.get("Description") or "") for c in people} - taken,
    )
    names = [x for x in names if len(x.split(" ")) == 3]
    name = rng.choice(names) if names and rng.random() < 0.6 else f"Симова-{n} Анна Петровна"
    return name, tuple(str(c["Ref_Key"]) for c in people if c.get("Description") == name)


def check_persons(
    s: Snapshot,
    persons: dict[int, Person],
    bought: dict[tuple[str, int], int],
    linked: dict[int, str],
) -> list[Finding]:
    """``bought``: ("invoice" | "deal", CRM id) -> the contact buying; ``linked``: contact
    -> the 1C counterparty the sync's journal links to it."""
    out: list[Finding] = []
    cps = {str(c["Ref_Key"]): c for c in s.cps}
    used: dict[int, set[str]] = defaultdict(set)
    for inv in s.invoices:
        comment = str(inv.get("Комментарий") or "")
        if "desktop-sync" not in comment or inv.get("DeletionMark"):
            continue
        deal, invoice = DEAL_COMMENT.search(comment), CRM_ID_IN_COMMENT.search(comment)
        found = ("deal", deal) if deal else ("invoice", invoice)
        key = (found[0], int(found[1].group(1)) if found[1] else 0)
        if key in bought:
            used[bought[key]].add(str(inv.get("Контрагент_Key")))
    for cid, refs in sorted(used.items()):
        person = persons[cid]
        s.compared["persons"] += 1
        s.compared["persons named like another"] += bool(person.namesakes)
        if len(refs) > 1:
            out.append(Finding("duplicates", person.label, "1C counterparties", 1, len(refs)))
        for ref in sorted(refs):
            cp = cps.get(ref, {})
            if ref in person.namesakes:
                out.append(Finding("pairs", person.label, "matched by name to", ref, cid))
            if cp.get("ЮридическоеФизическоеЛицо") != PERSON:
                kind = cp.get("ЮридическоеФизическоеЛицо")
                out.append(Finding("pairs", person.label, "1C counterparty kind", kind, PERSON))
    known = set(linked.values()) | {ref for p in persons.values() for ref in p.namesakes}
    for person in persons.values():
        same = [
            str(c["Ref_Key"]) for c in s.cps if is_person(c) and c.get("Description") == person.name
        ]
        twins = [ref for ref in same if ref not in known]
        if twins:
            out.append(Finding("duplicates", person.label, "«Физическое лицо» twins", 0, twins))
    return out
