"""The metadata model the sandbox serves: entity sets, their fields and types.

One :class:`Schema` per configuration (``bp30``, ``ut11``) is built by
its own module (``bp30.py``, ``ut11.py``) from these plain pieces, so a second configuration is
added beside the first without touching the server, the query engine or the
serializers. Names and shapes follow research/onec.md A2 and A7.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
# 1C cuts a string to its declared length without a word when it is assigned. BP's
# catalog names are String(100) in the objects the sync writes (not verified on a live
# base for every catalog; the same 100 is used for all).
DESCRIPTION_LENGTH = 100
EMPTY_DATE = "0001-01-01T00:00:00"


class Kind(Enum):
    """A field's value kind; each maps to one Edm type (A2 "Values")."""

    GUID = "guid"  # Ref_Key, X_Key
    STRING = "string"
    TEXT = "text"  # unlimited-length string: 1C cannot compare it in a filter
    BOOL = "bool"
    DOUBLE = "double"
    INT64 = "int64"  # a JSON *string* in 1C's answers
    DATETIME = "datetime"
    ENUM = "enum"  # enumeration value name, "" when empty
    COMPOSITE = "composite"  # X + X_Type
    COMPOSITE_TYPE = "composite_type"  # the X_Type half

    @property
    def edm(self) -> str:
        return _EDM.get(self.value, "Edm.String")


_EDM = {
    "guid": "Edm.Guid",
    "bool": "Edm.Boolean",
    "double": "Edm.Double",
    "int64": "Edm.Int64",
    "datetime": "Edm.DateTime",
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    target: str = ""  # for a reference (X_Key): the entity set it points at
    enum: str = ""  # for an enumeration: its name (Перечисление.X)
    length: int = 0  # a string's fixed length (0 = not limited here)

    @property
    def nav_name(self) -> str:
        """The navigation property of a reference: ``Контрагент`` for ``Контрагент_Key``."""
        return self.name[: -len("_Key")] if self.name.endswith("_Key") else ""


def ref(name: str, target: str) -> Field:
    return Field(f"{name}_Key", Kind.GUID, target=target)


def text(name: str, length: int = 0) -> Field:
    return Field(name, Kind.STRING, length=length)


def memo(name: str) -> Field:
    return Field(name, Kind.TEXT)


def boolean(name: str) -> Field:
    return Field(name, Kind.BOOL)


def number(name: str) -> Field:
    return Field(name, Kind.DOUBLE)


def int64(name: str) -> Field:
    return Field(name, Kind.INT64)


def date(name: str) -> Field:
    return Field(name, Kind.DATETIME)


def enum(name: str, enum_name: str) -> Field:
    return Field(name, Kind.ENUM, enum=enum_name)


def composite(name: str) -> tuple[Field, Field]:
    return Field(name, Kind.COMPOSITE), Field(f"{name}_Type", Kind.COMPOSITE_TYPE)


@dataclass(frozen=True)
class TabularPart:
    name: str
    fields: tuple[Field, ...]

    @cached_property
    def _index(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> Field | None:
        return self._index.get(name)


class SetKind(Enum):
    CATALOG = "Catalog"
    DOCUMENT = "Document"
    CHART_OF_ACCOUNTS = "ChartOfAccounts"
    CHART_OF_CHARACTERISTIC_TYPES = "ChartOfCharacteristicTypes"
    VIRTUAL = "Virtual"  # a virtual table's result rows (no standard fields)


_OBJECT_FIELDS = (Field("Ref_Key", Kind.GUID), text("DataVersion"), boolean("DeletionMark"))
# catalogs and charts (of accounts, of characteristic types) alike
_CODED_FIELDS = (
    *_OBJECT_FIELDS,
    boolean("Predefined"),
    text("PredefinedDataName"),
    text("Code"),
    text("Description", DESCRIPTION_LENGTH),
)
STANDARD_FIELDS: dict[SetKind, tuple[Field, ...]] = {
    SetKind.CATALOG: _CODED_FIELDS,
    SetKind.DOCUMENT: (*_OBJECT_FIELDS, text("Number"), date("Date"), boolean("Posted")),
    SetKind.CHART_OF_ACCOUNTS: (*_CODED_FIELDS, boolean("OffBalance"), text("Order")),
    SetKind.CHART_OF_CHARACTERISTIC_TYPES: _CODED_FIELDS,
}


@dataclass(frozen=True)
class EntitySet:
    """One published object: ``Catalog_Контрагенты``, ``Document_…``."""

    name: str
    kind: SetKind
    fields: tuple[Field, ...]
    tabular: tuple[TabularPart, ...] = ()
    hierarchical: bool = False
    owner: str = ""  # subordinate catalog: Owner_Key points here
    code_length: int = 9
    number_prefix: str = "0000-"
    presentation: str = ""  # "Счет на оплату покупателю" for documents' messages
    required_for_posting: tuple[tuple[str, str], ...] = ()  # (field, its title)
    required_in_rows: tuple[tuple[str, str, str], ...] = ()  # (tabular, field, title)

    @cached_property
    def all_fields(self) -> tuple[Field, ...]:
        std = STANDARD_FIELDS.get(self.kind, ())
        extra: list[Field] = []
        if self.hierarchical:
            extra += [ref("Parent", self.name), boolean("IsFolder")]
        if self.owner:
            extra.append(ref("Owner", self.owner))
        return std + tuple(extra) + self.fields

    @cached_property
    def _index(self) -> dict[str, Field]:
        return {f.name: f for f in self.all_fields}

    @cached_property
    def _tabular_index(self) -> dict[str, TabularPart]:
        return {t.name: t for t in self.tabular}

    def field(self, name: str) -> Field | None:
        return self._index.get(name)

    def tabular_part(self, name: str) -> TabularPart | None:
        return self._tabular_index.get(name)

    @property
    def is_document(self) -> bool:
        return self.kind is SetKind.DOCUMENT

    @property
    def type_name(self) -> str:
        return f"StandardODATA.{self.name}"


@dataclass(frozen=True, slots=True)
class AccountingRegister:
    """An accounting register: only its virtual tables are served (A4)."""

    name: str
    dimensions: tuple[Field, ...]
    resources: tuple[str, ...]  # Сумма, Количество
    ext_dimensions: int = 3


# A register record's recorder (``Recorder`` + ``Recorder_Type``, as [UTX] shows for a
# register with several recorder types), then its line and activity.
_RECORDER = (Field("Recorder", Kind.STRING), Field("Recorder_Type", Kind.STRING))
_RECORD_LINE = (int64("LineNumber"), boolean("Active"))


@dataclass(frozen=True, slots=True)
class InformationRegister:
    """A periodic information register subordinate to a recorder (BP's prices).

    Served as ``<name>_RecordType`` (flat records) and its ``SliceLast`` virtual table.
    """

    name: str
    dimensions: tuple[Field, ...]
    resources: tuple[Field, ...]
    attributes: tuple[Field, ...] = ()

    @property
    def record_fields(self) -> tuple[Field, ...]:
        """A flat record: its recorder, line and activity besides the period,
        dimensions, resources and attributes."""
        return (Field("Period", Kind.DATETIME), *_RECORDER, *_RECORD_LINE, *self.slice_fields[1:])

    @property
    def slice_fields(self) -> tuple[Field, ...]:
        """A virtual table's row: no recorder, as 1C's СрезПоследних."""
        return (Field("Period", Kind.DATETIME), *self.dimensions, *self.resources, *self.attributes)

    @property
    def slice_set(self) -> EntitySet:
        """The SliceLast row type as an entity set, for filters and $select."""
        return EntitySet(f"{self.name}_SliceLast", SetKind.VIRTUAL, self.slice_fields)


@dataclass(frozen=True, slots=True)
class AccumulationRegister:
    """A balance accumulation register (UT's ``ТоварыНаСкладах``): records with
    ``RecordType`` Receipt/Expense per recorder; served as ``<name>_RecordType`` (flat
    records) and its ``Balance`` virtual table (A4: resources get the ``Balance``
    suffix; ``Period``, ``Condition`` and ``Dimensions`` parameters)."""

    name: str
    dimensions: tuple[Field, ...]
    resources: tuple[str, ...]

    @property
    def record_fields(self) -> tuple[Field, ...]:
        return (
            *_RECORDER,
            Field("Period", Kind.DATETIME),
            *_RECORD_LINE,
            text("RecordType"),
            *self.dimensions,
            *(number(r) for r in self.resources),
        )

    @property
    def record_set(self) -> EntitySet:
        return EntitySet(f"{self.name}_RecordType", SetKind.VIRTUAL, self.record_fields)

    @property
    def balance_set(self) -> EntitySet:
        """The Balance row type: dimensions keep their names, resources get ``Balance``."""
        fields = (*self.dimensions, *(number(f"{r}Balance") for r in self.resources))
        return EntitySet(f"{self.name}_Balance", SetKind.VIRTUAL, fields)


@dataclass(slots=True)
class Schema:
    """A configuration's published composition."""

    configuration: str
    sets: dict[str, EntitySet] = field(default_factory=dict)
    registers: dict[str, AccountingRegister] = field(default_factory=dict)
    info_registers: dict[str, InformationRegister] = field(default_factory=dict)
    accumulation: dict[str, AccumulationRegister] = field(default_factory=dict)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def add(self, entity_set: EntitySet) -> None:
        self.sets[entity_set.name] = entity_set

    def get(self, name: str) -> EntitySet | None:
        return self.sets.get(name)

    def tabular_set(self, name: str) -> tuple[EntitySet, TabularPart] | None:
        """``Document_X_Товары`` → (Document_X, Товары)."""
        for s in self.sets.values():
            for t in s.tabular:
                if f"{s.name}_{t.name}" == name:
                    return s, t
        return None
