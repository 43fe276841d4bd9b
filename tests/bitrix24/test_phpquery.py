"""PHP's http_build_query (client) and parse_str (sandbox) agree on any nested value."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_sync.connectors.bitrix24.encoding import http_build_query
from desktop_sync.sandbox.bitrix24.phpquery import parse_str

# keys as PHP keeps them: no brackets, not empty, no leading/trailing spaces or dots
# (PHP rewrites those in top-level names)
keys = st.text(
    alphabet=st.characters(blacklist_characters="[]\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
).filter(lambda k: k.strip() == k and "." not in k and " " not in k and not k.isdigit())
scalars = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=12,
    ),
    st.integers(-(10**6), 10**6),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4),
        st.dictionaries(keys, inner, min_size=1, max_size=4),
    ),
    max_leaves=12,
)


def as_php(value: Any) -> Any:
    """What PHP's parse_str gives back: text leaves, lists for 0..n-1 keys."""
    if isinstance(value, dict):
        return {k: as_php(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_php(v) for v in value]
    return str(value)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=4))
def test_round_trip(params: dict[str, Any]) -> None:
    assert parse_str(http_build_query(params)) == as_php(params)


def test_examples_from_the_docs() -> None:
    query = "filter[>ID]=5&select[]=ID&select[]=TITLE&order[ID]=ASC&start=-1"
    assert parse_str(query) == {
        "filter": {">ID": "5"},
        "select": ["ID", "TITLE"],
        "order": {"ID": "ASC"},
        "start": "-1",
    }
    assert http_build_query({"filter": {">=DATE_MODIFY": "2026-05-14T10:00:00+03:00"}}) == (
        "filter%5B%3E%3DDATE_MODIFY%5D=2026-05-14T10%3A00%3A00%2B03%3A00"
    )


def test_a_key_read_again_is_read_alike_and_results_stay_apart() -> None:
    """Keys are read once and kept (the sandbox's own CPU): a second command with the
    same keys gets the same structure, and changing one result leaves the other."""
    query = "fields%5BTITLE%5D=A&fields%5BROWS%5D%5B%5D=1&fields%5BROWS%5D%5B%5D=2"
    first = parse_str(query)
    first["fields"]["ROWS"].append("3")
    first["fields"]["TITLE"] = "changed"
    assert parse_str(query) == {"fields": {"TITLE": "A", "ROWS": ["1", "2"]}}
    assert parse_str("a.b+c%5B0%5D=x") == {"a_b_c": ["x"]}
