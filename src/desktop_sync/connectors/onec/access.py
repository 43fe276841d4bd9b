"""What ``desktop-sync check`` learns of a 1C base: the configuration it really is, and
for each set the profile needs whether it is published, readable and writable."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_sync.connectors.onec import literals as lit
from desktop_sync.connectors.onec.errors import OnecAccessDenied, OnecConflict, OnecServerError
from desktop_sync.connectors.onec.literals import Query
from desktop_sync.connectors.onec.metadata import Metadata
from desktop_sync.connectors.onec.profiles import Problem, Profile, detect
from desktop_sync.connectors.onec.transport import Transport


def looks_like(found: str, profile: Profile) -> str:
    """A base of another configuration than the profile says, in words."""
    return (
        f"this 1C base looks like configuration '{found}', but the profile says "
        f"'{profile.name}' ({profile.title}): change the profile's configuration"
    )


def _light(entity: str) -> tuple[str, ...]:
    """The cheapest $select for a probe: registers have no Ref_Key."""
    return () if "Register_" in entity else ("Ref_Key",)


@dataclass(frozen=True, slots=True)
class EntityAccess:
    """One object the flows need: published, readable, writable (None = not needed)."""

    logical: str
    entity: str
    published: bool
    readable: bool
    writable: bool | None
    rows_hidden: bool  # record-level security hides rows: reads need allowedOnly


@dataclass(frozen=True, slots=True)
class CheckReport:
    configuration: str
    problems: tuple[Problem, ...]
    entities: tuple[EntityAccess, ...]
    # What $metadata says the base is (bp30/ut11), whatever the profile says; None when
    # the published objects fit neither.
    detected: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and all(
            e.readable and e.writable is not False for e in self.entities
        )


def report(
    odata: Transport, profile: Profile, meta: Metadata, problems: list[Problem]
) -> CheckReport:
    """Each set the profile needs: published, readable, writable, rows hidden."""
    missing = {p.entity for p in problems if not p.field}
    entities: list[EntityAccess] = []
    for logical, entity in profile.sets.items():
        if entity in missing:
            entities.append(EntityAccess(logical, entity, False, False, False, False))
            continue
        can_read = bool(readable(odata, entity))
        hidden = hidden_rows(odata, entity) if can_read else False
        can_write = writable(odata, entity) if can_read and logical in profile.writes else None
        entities.append(EntityAccess(logical, entity, True, can_read, can_write, hidden))
    found = detect(meta)
    if found is not None and found != profile.name:
        # Say first what the base is: the missing objects below follow from it.
        problems.insert(
            0,
            Problem("$metadata", "", looks_like(found, profile)),
        )
    return CheckReport(profile.title, tuple(problems), tuple(entities), found)


def writable(odata: Transport, entity: str) -> bool:
    """Probe write rights without changing data: PATCH an existing record with an
    empty body and an ``If-Match`` that cannot match. No right → code 20; right →
    412 (DOC 17.4.13.1.5). A base that ignores ``If-Match`` (HC saw that) answers
    200 after writing the record unchanged: still no data changed, only its
    DataVersion. A POST probe was rejected: a base that ignores client keys would
    create an empty record (see docs/decisions/onec-client.md)."""

    # A document probe takes an unposted one, so even a base that ignores If-Match
    # re-posts nothing.
    flt = lit.eq("Posted", False) if entity.startswith("Document_") else ""
    rows = odata.fetch(entity, Query(filter=flt, select=("Ref_Key",), top=1, allowed_only=True))
    if not rows:
        return True  # nothing to probe with; the first real write will tell
    try:
        odata.update(entity, str(rows[0]["Ref_Key"]), {}, if_match="desktop-sync-probe")
    except OnecAccessDenied:
        return False
    except (OnecConflict, OnecServerError):
        return True  # past the rights check: refused for another reason
    return True


def readable(odata: Transport, entity: str) -> bool | None:
    """Can this user read the set? ``None`` when the answer says neither."""

    try:
        odata.fetch(entity, Query(select=_light(entity), top=1, allowed_only=True))
    except OnecAccessDenied:
        return False
    return True


def hidden_rows(odata: Transport, entity: str) -> bool:
    """Does record-level security hide rows of this set from the user (allowedOnly)?"""

    try:
        odata.fetch(entity, Query(select=_light(entity)))
    except OnecAccessDenied:
        odata.fetch(entity, Query(select=_light(entity), top=1, allowed_only=True))
        return True
    return False
