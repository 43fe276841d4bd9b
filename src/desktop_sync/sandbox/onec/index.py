"""Large sets answered without a scan, as 1C's database answers them from its indexes.

The answers stay those of a scan (same rows, same order): only the work changes.

- A filter that is nothing but ``Ref_Key eq guid'…'`` joined by ``or`` (what a
  client sends to read records by key) takes the named records from the set's
  dictionary; the filter is still evaluated on them.
- ``$orderby=Ref_Key`` sorts by the stored key itself, not through the filter
  evaluator (the order of a scan's sort: keys are never empty, and a stable sort
  keeps the rest).
"""

from __future__ import annotations

from typing import Any

from desktop_sync.sandbox.onec.filters import Guid, Node

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


def candidates(rows: dict[str, Record], node: Node) -> list[Record]:
    """The records that can match ``node``, in the set's order (all of them unless keyed)."""
    keys = by_keys(node)
    if keys is None:
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
