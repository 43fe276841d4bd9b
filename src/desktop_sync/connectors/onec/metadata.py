"""Reading 1C's ``$metadata`` (EDMX): which sets are published, with which fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

EDM = "{http://schemas.microsoft.com/ado/2009/11/edm}"


@dataclass(slots=True)
class Metadata:
    """Entity sets → their property names (tabular parts included), and functions."""

    sets: dict[str, set[str]] = field(default_factory=dict)
    row_fields: dict[str, set[str]] = field(default_factory=dict)  # "Set/Tab" -> fields
    functions: set[str] = field(default_factory=set)

    def has(self, entity: str, field_name: str = "") -> bool:
        if entity not in self.sets:
            return False
        if not field_name:
            return True
        if "/" in field_name:
            return field_name.split("/", 1)[1] in self.row_fields.get(
                f"{entity}/{field_name.split('/', 1)[0]}", set()
            )
        return field_name in self.sets[entity]


def parse(xml: bytes) -> Metadata:
    """Parse EDMX; raises ``ValueError`` when the text is not EDMX."""
    try:
        root = ET.fromstring(xml)  # noqa: S314 - EDMX from the user's own 1C server
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    schema = next(root.iter(f"{EDM}Schema"), None)
    if schema is None:
        raise ValueError("no <Schema> in $metadata")
    types: dict[str, set[str]] = {}
    collections: dict[str, dict[str, str]] = {}
    for kind in ("EntityType", "ComplexType"):
        for t in schema.iter(f"{EDM}{kind}"):
            tname = t.get("Name", "")
            props = set()
            cols: dict[str, str] = {}
            for p in t.iter(f"{EDM}Property"):
                pname = p.get("Name", "")
                props.add(pname)
                ptype = p.get("Type", "")
                if ptype.startswith("Collection(StandardODATA."):
                    cols[pname] = ptype[len("Collection(StandardODATA.") : -1]
            for n in t.iter(f"{EDM}NavigationProperty"):
                props.add(n.get("Name", ""))
            types[tname] = props
            collections[tname] = cols
    meta = Metadata()
    for es in schema.iter(f"{EDM}EntitySet"):
        sname = es.get("Name", "")
        tname = es.get("EntityType", "").removeprefix("StandardODATA.")
        meta.sets[sname] = types.get(tname, set())
        for col, row_type in collections.get(tname, {}).items():
            meta.row_fields[f"{sname}/{col}"] = types.get(row_type, set())
    for fi in schema.iter(f"{EDM}FunctionImport"):
        meta.functions.add(fi.get("Name", ""))
    return meta
