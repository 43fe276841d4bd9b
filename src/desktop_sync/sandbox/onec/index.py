"""Large sets answered without a scan, as 1C's database answers them from its indexes.

The answers stay those of a scan (same rows, same order): only the work changes.

- A filter that is nothing but ``Ref_Key eq guid'…'`` joined by ``or`` (what a
  client sends to read records by key) takes the named records from the set's
  dictionary; the filter is still evaluated on them.
- A filter that is nothing but equalities of plain fields to literals joined by ``and``
  (``IsFolder eq false and ИНН eq '…' and КПП eq '…'``: the client's look-up before it
  creates) takes the records of one text equality from an index of that field; the
  filter is still evaluated on them, and none of such equalities can fail on a record.
- ``$orderby=Ref_Key`` sorts by the stored key itself, not through the filter
  evaluator (the order of a scan's sort: keys are never empty, and a stable sort
  keeps the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_sync.sandbox.onec.filters import Guid, Node
from desktop_sync.sandbox.onec.schema import EntitySet, Kind

Record = dict[str, Any]


def _keys(node: Node, out: set[str]) -> bool:
    """Collect the keys of an ``or`` of ``Ref_Key eq guid'…'``; False for anything else."""
    kind = node[0]
    if kind == "or":
        return _keys(node[1], out) and _keys(node[2], out)
    if kind != "cmp" or node[1] != "eq":
        return False
    sides = (node[2], node[3])
    paths = [s for s in sides if s[0] == "path"]
    lits = [s for s in sides if s[0] == "lit"]
    if len(paths) != 1 or len(lits) != 1 or paths[0][1] != "Ref_Key":
        return False
    value = lits[0][1]
    if not isinstance(value, Guid) or value.type_:
        return False
    out.add(value.value)
    return True


def by_keys(node: Node) -> set[str] | None:
    """The keys a filter names, when it names records by key and nothing else."""
    found: set[str] = set()
    return found if _keys(node, found) else None


# (field, value) -> the keys of the records holding exactly that text, in the set's order
Lookup = Callable[[str, str], list[str]]
_LITERAL_OF = {Kind.STRING: str, Kind.ENUM: str, Kind.BOOL: bool}


def _equalities(node: Node, entity: EntitySet, out: list[tuple[str, Any]]) -> bool:
    """Collect ``field eq literal`` of an ``and`` tree; False for anything else, or for a
    literal of another type than the field's (whose comparison could fail)."""
    if node[0] == "and":
        return _equalities(node[1], entity, out) and _equalities(node[2], entity, out)
    if node[0] != "cmp" or node[1] != "eq":
        return False
    sides = (node[2], node[3])
    paths = [s for s in sides if s[0] == "path"]
    lits = [s for s in sides if s[0] == "lit"]
    if len(paths) != 1 or len(lits) != 1 or "/" in paths[0][1]:
        return False
    field = entity.field(paths[0][1])
    expected = _LITERAL_OF.get(field.kind) if field is not None else None
    if expected is None or type(lits[0][1]) is not expected:
        return False
    out.append((paths[0][1], lits[0][1]))
    return True


def candidates(
    rows: dict[str, Record], node: Node, entity: EntitySet, lookup: Lookup
) -> list[Record]:
    """The records that can match ``node``, in the set's order (all of them unless keyed
    or looked up by a text equality)."""
    keys = by_keys(node)
    if keys is None:
        found: list[tuple[str, Any]] = []
        if _equalities(node, entity, found):
            for name, value in found:
                if isinstance(value, str):
                    return [rows[k] for k in lookup(name, value) if k in rows]
        return list(rows.values())
    present = {k for k in keys if k in rows}
    if len(present) <= 1:
        return [rows[k] for k in present]
    return [rec for key, rec in rows.items() if key in present]


def by_ref_key(orderby: str) -> bool | None:
    """True/False (descending) when ``$orderby`` is the key alone; None otherwise."""
    words = orderby.split()
    if not words or words[0] != "Ref_Key" or len(words) > 2:
        return None
    if len(words) == 2 and words[1] not in ("asc", "desc"):
        return None
    return len(words) == 2 and words[1] == "desc"


def sort_by_key(rows: list[Record], descending: bool) -> list[Record]:
    return sorted(rows, key=lambda r: str(r["Ref_Key"]), reverse=descending)
