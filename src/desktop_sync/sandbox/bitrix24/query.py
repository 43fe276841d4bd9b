"""Filters with prefix operators, orders and pages, as the portal's list methods apply them.

- Filter keys carry an operator prefix: ``>= > <= < @ !@ % =% %= !% != ! =``
  (research/bitrix24.md §4). ``crm.item.list`` also takes nested
  ``{"logic": "OR", "0": {...}, "1": {...}}``; legacy lists do not.
- Values arrive as text (GET, forms, batch commands) or typed (JSON); they are
  converted to the type of the field before comparing, as the portal's ORM does.
- Datetimes with an offset are converted; without one they are read in the
  portal's time zone (§8).
- Pages hold 50 rows. ``start`` is ``intval``-ed; ``-1`` skips the COUNT query
  (no ``total`` row count, no ``next``); ORM lists use ``start`` as an exact
  offset, legacy lists floor it to a multiple of 50 (§2).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop_sync.sandbox.bitrix24.args import param
from desktop_sync.sandbox.bitrix24.errors import bad_argument
from desktop_sync.sandbox.bitrix24.store import PORTAL_TZ, Table

PAGE = 50
# the sample of a datetime field: a filter value on it is read as a datetime
DATETIME_SAMPLE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_OP = re.compile(r"^(>=|<=|!=|!@|=%|%=|!%|>|<|@|%|=|!)?(.+)$", re.DOTALL)

Row = dict[str, Any]
Resolver = Callable[[str], str | None]


def intval(value: Any) -> int:
    """PHP ``intval``: leading digits of text, 0 for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        return int(value)
    if isinstance(value, str):
        m = re.match(r"\s*([+-]?\d+)", value)
        return int(m.group(1)) if m else 0
    return 0


def parse_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=PORTAL_TZ)
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        try:
            parsed = dt.datetime.strptime(text, "%d.%m.%Y")
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=PORTAL_TZ)


def coerce_like(sample: Any, value: Any) -> Any:
    """Convert a filter value to the type of the row's field (``sample``)."""
    if isinstance(value, list):
        return [coerce_like(sample, v) for v in value]
    if isinstance(sample, bool):
        return str(value) in ("1", "Y", "y", "true", "True") or value is True
    if isinstance(sample, int):
        try:
            return int(str(value).strip())
        except ValueError:
            return None
    if isinstance(sample, Decimal):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            return None
    if isinstance(sample, dt.datetime):
        return parse_datetime(value)
    if value is None:
        return None
    return str(value)


def _like(pattern: str, text: str) -> bool:
    regex = "^" + ".*".join(re.escape(p) for p in pattern.split("%")) + "$"
    return re.match(regex, text, re.IGNORECASE | re.DOTALL) is not None


def _in(actual: Any, wanted: Any) -> bool:
    values = wanted if isinstance(wanted, list) else [wanted]
    return any(_eq(actual, v) for v in values if v is not None)


def _contains(actual: Any, wanted: Any) -> bool:
    if wanted is None or actual is None:
        return False
    return str(wanted).casefold() in str(actual).casefold()


def _equals(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return any(_eq(actual, v) for v in wanted)
    return _eq(actual, wanted)


def _like_as(template: str) -> Callable[[Any, Any], bool]:
    """``=%`` / ``%=``: a LIKE pattern, or the value as a prefix / suffix (``template``)."""

    def test(actual: Any, wanted: Any) -> bool:
        if actual is None or wanted is None:
            return False
        text = str(wanted)
        return _like(text if "%" in text else template.format(text), str(actual))

    return test


def _ordered(order: Callable[[Any, Any], Any]) -> Callable[[Any, Any], bool]:
    def test(actual: Any, wanted: Any) -> bool:
        if actual is None or wanted is None or isinstance(wanted, list):
            return False
        try:
            return bool(order(actual, wanted))
        except TypeError:
            return False

    return test


# a filter key's operator -> its test of (stored value, wanted value)
_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "@": _in,
    "%": _contains,
    "": _equals,
    "=": _equals,
    "=%": _like_as("{}%"),
    "%=": _like_as("%{}"),
    ">": _ordered(operator.gt),
    ">=": _ordered(operator.ge),
    "<": _ordered(operator.lt),
    "<=": _ordered(operator.le),
}
# the operators that deny another
_NEGATED = {"!@": "@", "!%": "%", "!": "=", "!=": "="}


def _compare(op: str, actual: Any, wanted: Any) -> bool:
    if op in _NEGATED:
        return not _TESTS[_NEGATED[op]](actual, wanted)
    test = _TESTS.get(op)
    return test is not None and test(actual, wanted)


def _eq(actual: Any, wanted: Any) -> bool:
    if wanted is None or wanted == "":
        return actual is None or actual == "" or actual == []
    if isinstance(actual, list):
        return any(_eq(a, wanted) for a in actual)
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual.casefold() == wanted.casefold()
    return bool(actual == wanted)


@dataclass(frozen=True, slots=True)
class FilterRules:
    resolve: Resolver
    strict: bool  # unknown field -> 400 INVALID_ARG_VALUE (crm.item); else ignored
    allow_logic: bool
    samples: dict[str, Any]  # a typed sample value per field, for coercion


def compile_filter(raw: Any, rules: FilterRules) -> Callable[[Row], bool]:
    if raw in (None, "", []):
        return lambda row: True
    if not isinstance(raw, dict):
        raise bad_argument("Parameter 'filter' must be array.")
    tests = [t for key, value in raw.items() if (t := _term_test(key, value, rules)) is not None]
    if rules.allow_logic and _is_or(raw):
        return lambda row: any(t(row) for t in tests) if tests else True
    return lambda row: all(t(row) for t in tests)


def _is_or(raw: dict[str, Any]) -> bool:
    """A filter whose terms are joined by OR (``crm.item.list``'s nested ``logic``)."""
    return str(raw.get("logic", raw.get("LOGIC", "AND"))).upper() == "OR"


def _term_test(key: str, value: Any, rules: FilterRules) -> Callable[[Row], bool] | None:
    """One key of a filter: a nested group (where logic is allowed) or a field's test;
    None for what the portal ignores (the ``logic`` key, an unknown field of a legacy
    list, a key that is no field)."""
    if rules.allow_logic and key.upper() == "LOGIC":
        return None
    if rules.allow_logic and isinstance(value, dict):
        return compile_filter(value, rules)
    m = _OP.match(key)
    if not m:
        return None
    op, name = m.group(1) or "", m.group(2)
    field_name = rules.resolve(name)
    if field_name is None:
        if rules.strict:
            raise bad_argument(f"Invalid filter: field '{name}' is not allowed in filter")
        return None
    sample = rules.samples.get(field_name)
    wanted = coerce_like(sample, value) if sample is not None else value
    if isinstance(wanted, dict):
        wanted = list(wanted.values())
    return _field_test(op, field_name, wanted)


def _field_test(op: str, field_name: str, wanted: Any) -> Callable[[Row], bool]:
    members = _int_set(wanted) if op in ("@", "!@", "", "=") else None
    if members is not None:
        # the same answer as _compare, by hashing: an IN of 20,000 ids costs one lookup a row
        hit = op in ("@", "", "=")

        def test(row: Row) -> bool:
            actual = row.get(field_name)
            if isinstance(actual, list):
                found = any(_hashable_in(a, members) for a in actual)
            else:
                found = _hashable_in(actual, members)
            return found if hit else not found

        return test
    return lambda row: _compare(op, row.get(field_name), wanted)


def _int_set(wanted: Any) -> frozenset[int] | None:
    """A non-empty list of plain ints as a set (``_eq`` of ints is ``==``); else None."""
    if not isinstance(wanted, list):
        return None
    if not wanted or not all(type(v) is int for v in wanted):
        return None
    return frozenset(wanted)


def _hashable_in(actual: Any, members: frozenset[int]) -> bool:
    if isinstance(actual, (int, float, Decimal)):  # bool is an int: True == 1, as _eq compares
        return actual in members
    return False


def sort_rows(rows: list[Row], order: Any, resolve: Resolver, default: str) -> list[Row]:
    keys: list[tuple[str, bool]] = []
    if isinstance(order, dict):
        for name, direction in order.items():
            field_name = resolve(str(name))
            if field_name is not None:
                keys.append((field_name, str(direction).upper() == "DESC"))
    if not keys:
        keys = [(default, False)]
    result = list(rows)
    for field_name, desc in reversed(keys):
        result.sort(key=_key_of(field_name), reverse=desc)
    return result


def _key_of(field_name: str) -> Callable[[Row], tuple[int, Any]]:
    return lambda row: _sort_key(row.get(field_name))


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (0, 0)
    if isinstance(value, str):
        return (1, value.casefold())
    if isinstance(value, dt.datetime):
        return (2, value.timestamp())
    if isinstance(value, (int, Decimal)):
        return (2, value)
    return (3, str(value))


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    total: int | None
    next: int | None
    skipped: int
    counted: int


def paginate(rows: Sequence[Row], start: Any, *, legacy: bool) -> Page:
    offset = intval(start)
    if offset == -1:
        # nTopCount: no COUNT query. Open question 5 (legacy: total 0 or absent?):
        # legacy lists leave it out, the stricter case for a client.
        return Page(list(rows[:PAGE]), None if legacy else 0, None, 0, 0)
    offset = max(offset, 0)
    if legacy:
        offset = (offset // PAGE) * PAGE
    chunk = list(rows[offset : offset + PAGE])
    total = len(rows)
    nxt = offset + len(chunk) if offset + len(chunk) < total else None
    return Page(chunk, total, nxt, offset, total)


def resolver(names: Sequence[str]) -> Resolver:
    """Case-insensitive field lookup."""
    table = {n.lower(): n for n in names}
    return lambda name: table.get(name.lower())


def _id_bound(
    raw_filter: Any, resolve: Resolver, id_field: str, ops: tuple[str, str]
) -> tuple[int, bool] | None:
    """(value, inclusive) of a top-level ``>id``/``>=id`` (or ``<``/``<=``) filter, if any."""
    if not isinstance(raw_filter, dict) or _is_or(raw_filter):
        return None
    for key, value in raw_filter.items():
        m = _OP.match(str(key))
        if not m or m.group(1) not in ops or resolve(m.group(2)) != id_field:
            continue
        if isinstance(value, (list, dict)):
            continue
        try:
            return int(str(value).strip()), m.group(1) in (">=", "<=")
        except ValueError:
            continue
    return None


def _int_values(value: Any) -> set[int] | None:
    values = list(value.values()) if isinstance(value, dict) else value
    values = values if isinstance(values, list) else [values]
    out: set[int] = set()
    for v in values:
        if isinstance(v, bool) or v is None or isinstance(v, (list, dict)):
            return None
        try:
            out.add(int(str(v).strip()))
        except ValueError:
            return None
    return out or None


def _text_values(value: Any) -> set[str] | None:
    values = list(value.values()) if isinstance(value, dict) else value
    values = values if isinstance(values, list) else [values]
    out: set[str] = set()
    for v in values:
        if v is None or isinstance(v, (bool, list, dict)) or str(v) == "":
            return None  # an empty value matches empty fields, which no index holds
        out.add(str(v).casefold())
    return out or None


def candidates(
    table: Table,
    raw_filter: Any,
    resolve: Resolver,
    *,
    id_field: str,
    indexed: Sequence[str] = (),
    indexed_text: Sequence[str] = (),
) -> list[Row]:
    """The rows of ``table`` that can match ``raw_filter``, in ascending id order.

    A top-level ``=``/``@`` of ids, or of a field named in ``indexed`` (ints) or
    ``indexed_text`` (text, compared casefolded), is answered from an index instead of a scan, as
    the portal's database does; the filter itself is still applied to what comes back,
    so the answer is the same. Otherwise every row.
    """
    if not isinstance(raw_filter, dict) or _is_or(raw_filter):
        return table.ordered()
    index = _Index(table, resolve, id_field, frozenset(indexed), frozenset(indexed_text))
    found = (index.ids(str(key), value) for key, value in raw_filter.items())
    best = min((ids for ids in found if ids is not None), key=len, default=None)
    if best is None:
        return table.ordered()
    return [table.rows[i] for i in best if i in table.rows]


@dataclass(frozen=True, slots=True)
class _Index:
    """What ``candidates`` may answer from an index: ids, and the ``indexed`` fields."""

    table: Table
    resolve: Resolver
    id_field: str
    ints: frozenset[str]
    texts: frozenset[str]

    def ids(self, key: str, value: Any) -> list[int] | None:
        """The ids (ascending) a top-level ``=``/``@`` term can match, or None where no
        index answers it."""
        m = _OP.match(key)
        if not m or (m.group(1) or "") not in ("", "=", "@"):
            return None
        name = self.resolve(m.group(2))
        if name is None or (name != self.id_field and name not in self.ints | self.texts):
            return None
        wanted: set[Any] | None = _text_values(value) if name in self.texts else _int_values(value)
        if wanted is None:
            return None
        if name == self.id_field:
            return sorted(i for i in wanted if i in self.table.rows)
        index = self.table.index(name)
        if index is None:
            return None
        return sorted(i for v in wanted for i in index.get(v, ()))


def list_page(
    rows: Sequence[Row],
    test: Callable[[Row], bool],
    *,
    order: Any,
    resolve: Resolver,
    id_field: str,
    start: Any,
    legacy: bool,
    raw_filter: Any,
) -> Page:
    """Filter, order and page ``rows`` (which come in ascending id order, as stored).

    When the order is by id ascending (or not given), the same answer is found with
    less work: no sort, a ``>id`` filter starts by bisection, and ``start=-1`` stops
    at the first 50 matches. (What the portal would spend is charged separately, by
    the cost model.)
    """
    if not _by_id(order, resolve, id_field):
        matched = [r for r in rows if test(r)]
        return paginate(sort_rows(matched, order, resolve, id_field), start, legacy=legacy)
    chosen = _id_range(rows, raw_filter, resolve, id_field)
    if intval(start) == -1:
        first = list(itertools.islice((r for r in chosen if test(r)), PAGE))
        return Page(first, None if legacy else 0, None, 0, 0)
    return paginate([r for r in chosen if test(r)], start, legacy=legacy)


def _by_id(order: Any, resolve: Resolver, id_field: str) -> bool:
    """The order is by id ascending, or not given: the rows' own order."""
    if not isinstance(order, dict):
        return True
    asked = [resolve(str(k)) for k in order]
    return asked in ([], [id_field]) and all(str(d).upper() != "DESC" for d in order.values())


def _id_range(
    rows: Sequence[Row], raw_filter: Any, resolve: Resolver, id_field: str
) -> Sequence[Row]:
    """The rows (in ascending id order) within the filter's top-level ``>id``/``<id``
    bounds, found by bisection; all of them without bounds."""
    lower = _id_bound(raw_filter, resolve, id_field, (">", ">="))
    upper = _id_bound(raw_filter, resolve, id_field, ("<", "<="))
    if lower is None and upper is None:
        return rows

    def key(r: Row) -> int:
        return int(r.get(id_field) or 0)

    lo, hi = 0, len(rows)
    if lower is not None:
        lo = (bisect.bisect_left if lower[1] else bisect.bisect_right)(rows, lower[0], key=key)
    if upper is not None:
        hi = (bisect.bisect_right if upper[1] else bisect.bisect_left)(rows, upper[0], key=key)
    return rows[lo : max(lo, hi)]


def orm_page(
    params: dict[str, Any],
    resolve: Resolver,
    samples: dict[str, Any],
    rows: Callable[[Any], Sequence[Row]],
) -> Page:
    """The page a ``crm.item``/``catalog`` list asks for: its strict filter (logic
    allowed; ``samples`` give the fields' types), order and ``start``, over the rows
    ``rows`` gives for the raw filter once that filter is read."""
    rules = FilterRules(resolve, strict=True, allow_logic=True, samples=samples)
    raw_filter = param(params, "filter")
    test = compile_filter(raw_filter, rules)
    return list_page(
        rows(raw_filter),
        test,
        order=param(params, "order"),
        resolve=resolve,
        id_field="id",
        start=params.get("start", 0),
        legacy=False,
        raw_filter=raw_filter,
    )
