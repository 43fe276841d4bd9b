"""What goes on the wire: JSON and Atom entities, ``$metadata``, service document, errors.

Shapes follow research/onec.md A2 and the ten facts: ``odata.metadata``,
``value``, flat single entities (``#Set/@Element``), Int64 as JSON strings,
``X@navigationLinkUrl`` (not ``@odata.navigationLinkUrl``), tabular rows that
repeat ``Ref_Key`` and carry ``LineNumber``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from desktop_sync.sandbox.onec.schema import (
    AccountingRegister,
    AccumulationRegister,
    EntitySet,
    Field,
    InformationRegister,
    Kind,
    Schema,
    TabularPart,
)
from desktop_sync.sandbox.onec.values import format_datetime, format_decimal, to_json

NS_ATOM = "http://www.w3.org/2005/Atom"
NS_D = "http://schemas.microsoft.com/ado/2007/08/dataservices"
NS_M = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
PRESENTATION = "____Presentation"


def dumps(obj: Any) -> str:
    """JSON with Decimal written as a bare number (1C's Edm.Double), Cyrillic kept."""
    parts: list[str] = []
    _write(obj, parts)
    return "".join(parts)


def _write(obj: Any, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(_string(obj))
    elif isinstance(obj, dict):
        out.append("{")
        first = True
        for k, v in obj.items():
            if not first:
                out.append(",")
            first = False
            out.append(_string(k))
            out.append(":")
            _write(v, out)
        out.append("}")
    elif isinstance(obj, list):
        out.append("[")
        for i, v in enumerate(obj):
            if i:
                out.append(",")
            _write(v, out)
        out.append("]")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif obj is None:
        out.append("null")
    elif isinstance(obj, Decimal):
        out.append(format_decimal(obj))
    elif isinstance(obj, int):
        out.append(str(obj))
    elif isinstance(obj, dt.datetime):
        out.append(_string(format_datetime(obj)))
    else:
        out.append(json.dumps(obj, ensure_ascii=False))


_string = json.encoder.encode_basestring


# --- selection ---------------------------------------------------------------------------


def _bad_select(name: str) -> Exception:
    from desktop_sync.sandbox.onec.errors import bad_query

    return bad_query(f"Неверное значение параметра $select: '{name}'")


class Selection:
    """``$select``: ``*``, ``**`` (no tabular parts), ``Товары/Цена``, ``X____Presentation``."""

    def __init__(self, entity: EntitySet, text: str | None) -> None:
        self.all = text is None or text.strip() in ("", "*")
        self.fields: set[str] = set()
        self.tabular: dict[str, set[str] | None] = {}
        self.presentations: set[str] = set()
        self.navs: dict[str, list[str]] = {}
        self.no_tabular = False
        if self.all or text is None:
            return
        for raw in text.split(","):
            self._add(entity, raw.strip())

    def _add(self, entity: EntitySet, name: str) -> None:
        if name in ("*", "**"):
            self.all = True
            self.no_tabular = self.no_tabular or name == "**"
        elif "/" in name:
            self._add_path(entity, name)
        elif name.endswith(PRESENTATION):
            base = name[: -len(PRESENTATION)]
            if (
                base not in ("Ref", "")
                and entity.field(base + "_Key") is None
                and entity.field(base) is None
            ):
                raise _bad_select(name)
            self.presentations.add(base)
        elif entity.field(name) is not None:
            self.fields.add(name)
        elif entity.tabular_part(name) is not None:
            self.tabular[name] = None
        else:
            raise _bad_select(name)

    def _add_path(self, entity: EntitySet, name: str) -> None:
        """``Контрагент/ИНН`` (a field of an expanded reference, with $expand) or
        ``Товары/Цена``, ``Товары/*`` (a tabular part's columns)."""
        head, sub = name.split("/", 1)
        nav = entity.field(head + "_Key")
        if nav and nav.target:
            self.navs.setdefault(head, []).append(sub)
            return
        part = entity.tabular_part(head)
        if part is None or (sub != "*" and part.field(sub) is None):
            raise _bad_select(name)
        current = self.tabular.get(head, set())
        if current is not None:
            if sub == "*":
                self.tabular[head] = None
            else:
                current.add(sub)
                self.tabular[head] = current

    def has(self, name: str) -> bool:
        return self.all or name in self.fields

    def tab(self, name: str) -> tuple[bool, set[str] | None]:
        if name in self.tabular:
            return True, self.tabular[name]
        return (self.all and not self.no_tabular), None


# --- JSON --------------------------------------------------------------------------------


def entity_key(entity: EntitySet, rec: dict[str, Any]) -> str:
    return f"{entity.name}(guid'{rec['Ref_Key']}')"


def row_json(
    entity: EntitySet, tab: TabularPart, ref_key: str, row: dict[str, Any], only: set[str] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"Ref_Key": ref_key}
    for f in tab.fields:
        if only is None or f.name in only or f.name == "LineNumber":
            out[f.name] = to_json(f, row.get(f.name))
    return out


def entity_json(
    entity: EntitySet,
    rec: dict[str, Any],
    selection: Selection,
    *,
    links: bool = True,
    expanded: dict[str, dict[str, Any] | None] | None = None,
    presentation: Any = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in entity.all_fields:
        if selection.has(f.name):
            out[f.name] = to_json(f, rec.get(f.name))
    for base in sorted(selection.presentations):
        out[f"{base}{PRESENTATION}"] = presentation(base, rec) if presentation else ""
    for tab in entity.tabular:
        include, only = selection.tab(tab.name)
        if include:
            out[tab.name] = [
                row_json(entity, tab, rec["Ref_Key"], row, only) for row in rec.get(tab.name, [])
            ]
    for name, value in (expanded or {}).items():
        out[name] = value
    if links:
        for f in entity.all_fields:
            if (
                f.target
                and f.nav_name
                and selection.has(f.name)
                and f.nav_name not in (expanded or {})
            ):
                out[f"{f.nav_name}@navigationLinkUrl"] = f"{entity_key(entity, rec)}/{f.nav_name}"
    return out


# --- Atom --------------------------------------------------------------------------------


def _atom_value(name: str, kind: Kind | None, value: Any) -> str:
    edm = kind.edm if kind is not None else "Edm.String"
    tag = f"d:{name}"
    if value is None and kind is Kind.DATETIME:
        value = "0001-01-01T00:00:00"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Decimal):
        text = format_decimal(value)
    elif isinstance(value, dt.datetime):
        text = format_datetime(value)
    else:
        text = escape(str(value))
    type_attr = "" if edm == "Edm.String" else f' m:type="{edm}"'
    return f"<{tag}{type_attr}>{text}</{tag}>"


def atom_properties(entity: EntitySet, data: dict[str, Any]) -> str:
    parts: list[str] = []
    for name, value in data.items():
        if "@" in name:
            continue
        tab = entity.tabular_part(name)
        if tab is not None and isinstance(value, list):
            rows = []
            for row in value:
                cells = "".join(
                    _atom_value(k, (tab.field(k) or Field(k, Kind.GUID)).kind, v)
                    for k, v in row.items()
                )
                rows.append(f"<d:element>{cells}</d:element>")
            parts.append(
                f'<d:{name} m:type="Collection(StandardODATA.{entity.name}_{name}_RowType)">'
                + "".join(rows)
                + f"</d:{name}>"
            )
            continue
        f = entity.field(name)
        parts.append(_atom_value(name, f.kind if f else None, value))
    return "<m:properties>" + "".join(parts) + "</m:properties>"


def atom_entry(
    entity: EntitySet, root: str, data: dict[str, Any], updated: str, top: bool = False
) -> str:
    key = f"{entity.name}(guid'{data.get('Ref_Key', '')}')"
    ns = (
        f' xmlns="{NS_ATOM}" xmlns:d="{NS_D}" xmlns:m="{NS_M}" xml:base={quoteattr(root)}'
        if top
        else ""
    )
    links = "".join(
        f'<link rel="{NS_D}/related/{name.split("@")[0]}" '
        f'type="application/atom+xml;type=entry" title="{name.split("@")[0]}" '
        f"href={quoteattr(value)}/>"
        for name, value in data.items()
        if name.endswith("@navigationLinkUrl")
    )
    return (
        f"<entry{ns}><id>{escape(root)}/{escape(key)}</id>"
        f'<category term="StandardODATA.{entity.name}" scheme="{NS_D}/scheme"/>'
        f'<title type="text"/><updated>{updated}</updated><author/>'
        f'<link rel="edit" href={quoteattr(key)} title="{entity.name}"/>'
        f'{links}<content type="application/xml">{atom_properties(entity, data)}</content>'
        "</entry>"
    )


def atom_feed(
    entity: EntitySet, root: str, rows: list[dict[str, Any]], updated: str, count: int | None = None
) -> str:
    count_xml = f"<m:count>{count}</m:count>" if count is not None else ""
    entries = "".join(atom_entry(entity, root, r, updated) for r in rows)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<feed xmlns="{NS_ATOM}" xmlns:d="{NS_D}" xmlns:m="{NS_M}" xml:base={quoteattr(root)}>'
        f'<id>{escape(root)}/{entity.name}</id><title type="text">{entity.name}</title>'
        f"<updated>{updated}</updated><author/>"
        f'<link rel="self" href="{entity.name}" title="{entity.name}"/>{count_xml}{entries}</feed>'
    )


# --- errors ------------------------------------------------------------------------------


def error_json(code: str, message: str) -> str:
    return dumps({"odata.error": {"code": code, "message": {"lang": "ru", "value": message}}})


def error_xml(code: str, message: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<m:error xmlns:m="{NS_M}"><m:code>{escape(code)}</m:code>'
        f'<m:message xml:lang="ru">{escape(message)}</m:message></m:error>'
    )


# --- service document and $metadata ------------------------------------------------------


def service_document(schema: Schema, root: str) -> str:
    cols = "".join(
        f'<collection href="{name}"><atom:title>{name}</atom:title></collection>'
        for name in _published_sets(schema)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<service xmlns="http://www.w3.org/2007/app" xmlns:atom="{NS_ATOM}" '
        f"xml:base={quoteattr(root + '/')}><workspace><atom:title>Default</atom:title>"
        f"{cols}</workspace></service>"
    )


def _published_sets(schema: Schema) -> list[str]:
    names: list[str] = []
    for s in schema.sets.values():
        names.append(s.name)
        names.extend(f"{s.name}_{t.name}" for t in s.tabular)
    names.extend(f"{i.name}_RecordType" for i in schema.info_registers.values())
    names.extend(schema.registers)
    for acc in schema.accumulation.values():
        names.extend((acc.name, f"{acc.name}_RecordType"))
    return names


def _prop(f: Field, nullable: bool = True) -> str:
    null = "true" if nullable else "false"
    return f'<Property Name="{f.name}" Type="{f.kind.edm}" Nullable="{null}"/>'


def metadata(schema: Schema) -> str:
    """EDMX in 1C's form: StandardODATA, DataServiceVersion 3.0, bound Post/Unpost."""
    types: list[str] = []
    assocs: list[str] = []
    sets: list[str] = []
    assoc_sets: list[str] = []
    for s in schema.sets.values():
        _set_metadata(s, types, sets, assocs, assoc_sets)
    functions: list[str] = []
    documents = [s for s in schema.sets.values() if s.is_document]
    for s in documents:
        for name in ("Post", "Unpost"):
            functions.append(
                f'<FunctionImport Name="{name}" IsBindable="true" IsSideEffecting="true">'
                f'<Parameter Name="bindingParameter" Type="StandardODATA.{s.name}"/>'
                '<Parameter Name="PostingModeOperational" Type="Edm.Boolean"/></FunctionImport>'
            )
    for info in schema.info_registers.values():
        _info_register_metadata(info, types, sets, functions)
    for reg in schema.registers.values():
        _register_metadata(reg, types, sets, functions)
    for acc in schema.accumulation.values():
        _accumulation_metadata(acc, types, sets, functions)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">'
        f'<edmx:DataServices xmlns:m="{NS_M}" m:DataServiceVersion="3.0" '
        'm:MaxDataServiceVersion="3.0">'
        '<Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="StandardODATA">'
        + "".join(types)
        + "".join(assocs)
        + '<EntityContainer Name="EnterpriseV8" m:IsDefaultEntityContainer="true">'
        + "".join(sets)
        + "".join(assoc_sets)
        + "".join(functions)
        + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    )


def _set_metadata(
    s: EntitySet, types: list[str], sets: list[str], assocs: list[str], assoc_sets: list[str]
) -> None:
    """A catalog or document: its entity type with its references' navigation
    properties and associations, and each tabular part's row type and entity set."""
    props = []
    navs = []
    for f in s.all_fields:
        props.append(_prop(f, nullable=f.name != "Ref_Key"))
        if f.target and f.nav_name:
            rel = f"{s.name}_{f.nav_name}"
            navs.append(
                f'<NavigationProperty Name="{f.nav_name}" '
                f'Relationship="StandardODATA.{rel}" FromRole="Begin" ToRole="End"/>'
            )
            assocs.append(
                f'<Association Name="{rel}"><End Role="Begin" Type="StandardODATA.{s.name}" '
                f'Multiplicity="*"/><End Role="End" Type="StandardODATA.{f.target}" '
                'Multiplicity="0..1"/></Association>'
            )
            assoc_sets.append(
                f'<AssociationSet Name="{rel}" Association="StandardODATA.{rel}">'
                f'<End Role="Begin" EntitySet="{s.name}"/>'
                f'<End Role="End" EntitySet="{f.target}"/></AssociationSet>'
            )
    for t in s.tabular:
        props.append(
            f'<Property Name="{t.name}" '
            f'Type="Collection(StandardODATA.{s.name}_{t.name}_RowType)" Nullable="false"/>'
        )
        row_props = "".join(_prop(f) for f in t.fields)
        types.append(
            f'<ComplexType Name="{s.name}_{t.name}_RowType">'
            f'<Property Name="Ref_Key" Type="Edm.Guid" Nullable="true"/>{row_props}'
            "</ComplexType>"
        )
        types.append(
            f'<EntityType Name="{s.name}_{t.name}"><Key><PropertyRef Name="Ref_Key"/>'
            '<PropertyRef Name="LineNumber"/></Key>'
            '<Property Name="Ref_Key" Type="Edm.Guid" Nullable="false"/>'
            + "".join(_prop(f, f.name != "LineNumber") for f in t.fields)
            + "</EntityType>"
        )
        sets.append(
            f'<EntitySet Name="{s.name}_{t.name}" EntityType="StandardODATA.{s.name}_{t.name}"/>'
        )
    types.append(
        f'<EntityType Name="{s.name}"><Key><PropertyRef Name="Ref_Key"/></Key>'
        + "".join(props)
        + "".join(navs)
        + "</EntityType>"
    )
    sets.append(f'<EntitySet Name="{s.name}" EntityType="StandardODATA.{s.name}"/>')


def _info_register_metadata(
    info: InformationRegister, types: list[str], sets: list[str], functions: list[str]
) -> None:
    """An information register subordinate to a recorder: its record type (keyed by its
    recorder and line, [UTX]) and the bound ``SliceLast`` with its row type."""
    rec_type = f"{info.name}_RecordType"
    keys = "".join(
        f'<PropertyRef Name="{k}"/>' for k in ("Recorder", "LineNumber", "Recorder_Type")
    )
    types.append(
        f'<EntityType Name="{rec_type}"><Key>{keys}</Key>'
        + "".join(
            _prop(f, f.name not in ("Period", "Recorder", "Recorder_Type", "LineNumber"))
            for f in info.record_fields
        )
        + "</EntityType>"
    )
    sets.append(f'<EntitySet Name="{rec_type}" EntityType="StandardODATA.{rec_type}"/>')
    types.append(
        f'<ComplexType Name="{info.name}_SliceLast">'
        + "".join(_prop(f) for f in info.slice_fields)
        + "</ComplexType>"
    )
    functions.append(
        f'<FunctionImport Name="SliceLast" IsBindable="true" '
        f'ReturnType="Collection(StandardODATA.{info.name}_SliceLast)">'
        f'<Parameter Name="bindingParameter" Type="StandardODATA.{rec_type}"/>'
        '<Parameter Name="Period" Type="Edm.DateTime"/>'
        '<Parameter Name="Condition" Type="Edm.String"/></FunctionImport>'
    )


def _register_metadata(
    reg: AccountingRegister, types: list[str], sets: list[str], functions: list[str]
) -> None:
    """An accounting register: the bound ``Balance`` with its row type, and the register
    itself, declared so the bound function has a binding type (reading its record sets
    is not served)."""
    row_type = f"{reg.name}_Balance"
    props = [
        '<Property Name="Account_Key" Type="Edm.Guid" Nullable="true"/>',
        *(_prop(f) for f in reg.dimensions),
    ]
    for i in range(1, reg.ext_dimensions + 1):
        props.append(f'<Property Name="ExtDimension{i}" Type="Edm.String" Nullable="true"/>')
        props.append(f'<Property Name="ExtDimension{i}_Type" Type="Edm.String" Nullable="true"/>')
    for r in reg.resources:
        for suffix in ("Balance", "BalanceDr", "BalanceCr"):
            props.append(f'<Property Name="{r}{suffix}" Type="Edm.Double" Nullable="true"/>')
    types.append(f'<ComplexType Name="{row_type}">' + "".join(props) + "</ComplexType>")
    functions.append(
        f'<FunctionImport Name="Balance" IsBindable="true" '
        f'ReturnType="Collection(StandardODATA.{row_type})">'
        f'<Parameter Name="bindingParameter" Type="StandardODATA.{reg.name}"/>'
        '<Parameter Name="Period" Type="Edm.DateTime"/>'
        '<Parameter Name="AccountCondition" Type="Edm.String"/>'
        '<Parameter Name="Condition" Type="Edm.String"/>'
        '<Parameter Name="ExtraDimensions" Type="Edm.String"/></FunctionImport>'
    )
    types.append(
        f'<EntityType Name="{reg.name}"><Key><PropertyRef Name="Recorder"/>'
        '<PropertyRef Name="Recorder_Type"/></Key>'
        '<Property Name="Recorder" Type="Edm.String" Nullable="false"/>'
        '<Property Name="Recorder_Type" Type="Edm.String" Nullable="false"/></EntityType>'
    )
    sets.append(f'<EntitySet Name="{reg.name}" EntityType="StandardODATA.{reg.name}"/>')


def _accumulation_metadata(
    acc: AccumulationRegister, types: list[str], sets: list[str], functions: list[str]
) -> None:
    """An accumulation register as [UTX] shows it: the record set keyed by
    ``Recorder``/``Recorder_Type`` with a ``RecordSet`` collection, the flat
    ``_RecordType``, and the bound ``Balance`` function with its row type."""
    rec_type = f"{acc.name}_RecordType"
    record_props = "".join(
        _prop(f, f.name not in ("Recorder", "Recorder_Type", "LineNumber"))
        for f in acc.record_fields
    )
    types.append(
        f'<EntityType Name="{acc.name}" OpenType="true"><Key><PropertyRef Name="Recorder"/>'
        '<PropertyRef Name="Recorder_Type"/></Key>'
        '<Property Name="Recorder" Type="Edm.String" Nullable="false"/>'
        f'<Property Name="RecordSet" Type="Collection(StandardODATA.{acc.name}_RowType)" '
        'Nullable="false"/>'
        '<Property Name="Recorder_Type" Type="Edm.String" Nullable="false"/></EntityType>'
    )
    types.append(f'<ComplexType Name="{acc.name}_RowType">{record_props}</ComplexType>')
    types.append(
        f'<EntityType Name="{rec_type}" OpenType="true"><Key><PropertyRef Name="Recorder"/>'
        '<PropertyRef Name="LineNumber"/><PropertyRef Name="Recorder_Type"/></Key>'
        f"{record_props}</EntityType>"
    )
    sets.append(f'<EntitySet Name="{acc.name}" EntityType="StandardODATA.{acc.name}"/>')
    sets.append(f'<EntitySet Name="{rec_type}" EntityType="StandardODATA.{rec_type}"/>')
    row_type = f"{acc.name}_Balance"
    types.append(
        f'<ComplexType Name="{row_type}">'
        + "".join(_prop(f) for f in acc.balance_set.fields)
        + "</ComplexType>"
    )
    functions.append(
        f'<FunctionImport Name="Balance" IsBindable="true" '
        f'ReturnType="Collection(StandardODATA.{row_type})">'
        f'<Parameter Name="bindingParameter" Type="StandardODATA.{acc.name}"/>'
        '<Parameter Name="Period" Type="Edm.DateTime"/>'
        '<Parameter Name="Condition" Type="Edm.String"/>'
        '<Parameter Name="Dimensions" Type="Edm.String"/></FunctionImport>'
    )
