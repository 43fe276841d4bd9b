"""Write bodies as 1C reads them: JSON only, unknown properties ignored (A5).

A row of a tabular part without ``LineNumber`` fails as 1C was seen to fail (500/-1,
M1); ``X@odata.bind`` is accepted for references (PUT/PATCH, A5); read-only
properties (DataVersion, Predefined) are ignored; ``Posted`` is ignored on POST.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from desktop_sync.sandbox.onec import errors as E  # noqa: N812
from desktop_sync.sandbox.onec.errors import ODataError
from desktop_sync.sandbox.onec.schema import EntitySet, Field, Kind, Schema, TabularPart
from desktop_sync.sandbox.onec.store import Record
from desktop_sync.sandbox.onec.values import coerce, default


def parse_body(body: bytes) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise ODataError(400, E.DUPLICATE_PROPERTY, f"Повторяющееся имя свойства '{k}'")
            out[k] = v
        return out

    try:
        data = json.loads(
            body.decode("utf-8"), parse_float=Decimal, object_pairs_hook=no_duplicates
        )
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ODataError(
            400, E.BAD_REQUEST, "Неверный формат запроса: ожидается JSON-объект"
        ) from None
    if not isinstance(data, dict):
        raise ODataError(400, E.BAD_REQUEST, "Неверный формат запроса: ожидается JSON-объект")
    return data


def coerce_body(schema: Schema, entity: EntitySet, data: dict[str, Any], creating: bool) -> Record:
    """Coerce a written body; unknown properties are silently ignored (A5)."""
    out: Record = {}
    for name, value in data.items():
        if name.endswith("@odata.bind"):
            key, guid = _bound(entity, name, value)
            out[key.name] = coerce(key, guid, schema, entity.name)
            continue
        if "@" in name or name.startswith("odata."):
            continue
        tab = entity.tabular_part(name)
        if tab is not None:
            out[name] = _rows(schema, entity, tab, name, value)
            continue
        plain = entity.field(name)
        if plain is not None and _written(name, creating):
            out[name] = coerce(plain, value, schema, entity.name)
    return out


_BIND = re.compile(r"(?:.*/)?([^/(]+)\(guid'([^']*)'\)")


def _bound(entity: EntitySet, name: str, value: Any) -> tuple[Field, str]:
    """The ``…_Key`` field a ``Nav@odata.bind`` sets and the guid it names (the bound
    set must be the field's target)."""
    f = entity.field(name[: -len("@odata.bind")] + "_Key")
    m = _BIND.fullmatch(str(value))
    if f is None or m is None or m.group(1) != f.target:
        raise ODataError(400, E.BAD_VALUE, f"Неверное значение свойства '{name}'")
    return f, m.group(2)


def _written(name: str, creating: bool) -> bool:
    """A plain property the client may write: never the version or predefined marks;
    the key only when creating; ``Posted`` only by an update (creating posts nothing)."""
    if name in ("DataVersion", "Predefined", "PredefinedDataName"):
        return False
    if name == "Ref_Key":
        return creating
    return not (name == "Posted" and creating)


def _rows(
    schema: Schema, entity: EntitySet, tab: TabularPart, name: str, value: Any
) -> list[Record]:
    """A tabular part's rows: each with every column, defaults where not written."""
    if not isinstance(value, list):
        raise ODataError(400, E.BAD_VALUE, f"Неверное значение свойства '{name}'")
    rows = []
    for row in value:
        if not isinstance(row, dict):
            raise ODataError(400, E.BAD_VALUE, f"Неверное значение свойства '{name}'")
        if "LineNumber" not in row:
            # Observed: rows without LineNumber fail with 500/-1 (M1).
            raise ODataError(500, E.INTERNAL, E.INTERNAL_MESSAGE)
        clean: Record = {
            f.name: coerce(f, None, schema, name) if f.kind is Kind.GUID else default(f)
            for f in tab.fields
        }
        for k, v in row.items():
            f = tab.field(k)
            if f is not None:
                clean[k] = coerce(f, v, schema, f"{entity.name}.{name}")
        rows.append(clean)
    return rows
