"""``$filter`` as 1C implements it (research/onec.md A3): parse, then evaluate.

OData v3 literals (``guid'…'``, ``datetime'…'``, ``'it''s'``), comparison and
logic operators, arithmetic, navigation paths (``Контрагент/ИНН``), lambdas on
tabular parts (``Товары/any(d: d/Цена gt 10)``) and the functions 1C supports.
Functions 1C lacks (``length``, ``tolower``, ``contains``…) fail with code 21.

Stricter than 1C where unsure: string ``eq`` is case-sensitive (1C's depends on
the DBMS collation), an unlimited-length string (``Комментарий``) cannot be
compared (1C's query language refuses it), a composite field never equals a bare
``guid'…'`` (A3), and an unknown property is an error, never "no match".
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop_sync.sandbox.onec.errors import BAD_FUNCTION, INTERNAL, ODataError, bad_query
from desktop_sync.sandbox.onec.schema import ZERO_GUID, EntitySet, Kind, TabularPart
from desktop_sync.sandbox.onec.values import GUID_RE, parse_datetime

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<guid>guid'(?P<g>[^']*)')
    | (?P<datetime>datetime'(?P<d>[^']*)')
    | (?P<string>'(?P<s>(?:[^']|'')*)')
    | (?P<number>-?\d+(?:\.\d+)?[mMdDlL]?)
    | (?P<punct>[(),:])
    | (?P<name>[^\s(),:'/]+(?:/[^\s(),:'/]+)*)
    )""",
    re.VERBOSE,
)

UNSUPPORTED = {
    "length",
    "indexof",
    "replace",
    "tolower",
    "toupper",
    "trim",
    "years",
    "days",
    "hours",
    "seconds",
    "floor",
    "ceiling",
    "contains",
    "minutes",
    "months",
}
SUPPORTED = {
    "substringof",
    "startswith",
    "endswith",
    "concat",
    "substring",
    "like",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "dayofweek",
    "dayofyear",
    "quarter",
    "round",
    "cast",
    "isof",
}
COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
ARITH = {"add", "sub", "mul", "div", "mod"}


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str
    value: Any


@dataclass(frozen=True, slots=True)
class Guid:
    """A ``guid'…'`` literal; with ``type_`` after ``cast(…,'Catalog_X')``."""

    value: str
    type_: str = ""


@dataclass(frozen=True, slots=True)
class Composite:
    value: str
    type_: str


Node = tuple[Any, ...]


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise bad_query(f"Ошибка разбора параметра $filter в позиции {pos + 1}: {text!r}")
        pos = m.end()
        if m.group("guid"):
            g = m.group("g")
            if not GUID_RE.match(g):
                raise ODataError(400, "14", f"Неверный литерал guid'{g}'")
            out.append(Tok("lit", Guid(g.lower())))
        elif m.group("datetime"):
            try:
                out.append(Tok("lit", parse_datetime(m.group("d"))))
            except ValueError:
                raise bad_query(f"Неверный литерал datetime'{m.group('d')}'") from None
        elif m.group("string") is not None:
            out.append(Tok("lit", m.group("s").replace("''", "'")))
        elif m.group("number"):
            num = m.group("number").rstrip("mMdDlL")
            out.append(Tok("lit", Decimal(num) if "." in num else int(num)))
        elif m.group("punct"):
            out.append(Tok(m.group("punct"), m.group("punct")))
        else:
            name = m.group("name")
            if name in ("true", "false"):
                out.append(Tok("lit", name == "true"))
            elif name == "null":
                out.append(Tok("lit", None))
            else:
                out.append(Tok("name", name))
    return out


class Parser:
    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.i = 0
        self.text = text

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise bad_query(f"Неожиданный конец выражения $filter: {self.text!r}")
        self.i += 1
        return tok

    def expect(self, kind: str) -> None:
        tok = self.take()
        if tok.kind != kind:
            raise bad_query(f"Ожидается '{kind}' в выражении $filter: {self.text!r}")

    def word(self, *words: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok.kind == "name" and tok.value in words:
            self.i += 1
            return str(tok.value)
        return None

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise bad_query(f"Лишние символы в выражении $filter: {self.text!r}")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.word("or"):
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.word("and"):
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.word("not"):
            return ("not", self.not_())
        return self.cmp()

    def cmp(self) -> Node:
        node = self.add()
        op = self.word(*COMPARE)
        if op:
            return ("cmp", op, node, self.add())
        return node

    def add(self) -> Node:
        node = self.mul()
        while op := self.word("add", "sub"):
            node = ("arith", op, node, self.mul())
        return node

    def mul(self) -> Node:
        node = self.primary()
        while op := self.word("mul", "div", "mod"):
            node = ("arith", op, node, self.primary())
        return node

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "lit":
            return ("lit", tok.value)
        if tok.kind == "(":
            node = self.or_()
            self.expect(")")
            return node
        if tok.kind != "name":
            raise bad_query(f"Неожиданный символ '{tok.value}' в $filter: {self.text!r}")
        name: str = tok.value
        nxt = self.peek()
        if nxt is not None and nxt.kind == "(":
            self.take()
            if name.endswith(("/any", "/all")):
                path, quant = name.rsplit("/", 1)
                var = self.take()
                if var.kind != "name":
                    raise bad_query("Ожидается переменная лямбда-выражения")
                self.expect(":")
                body = self.or_()
                self.expect(")")
                return ("lambda", quant, path, var.value, body)
            if name in UNSUPPORTED or name not in SUPPORTED:
                raise ODataError(
                    400, BAD_FUNCTION, f"Функция '{name}' не поддерживается или неверны аргументы"
                )
            args: list[Node] = []
            if self.peek() is not None and self.peek().kind != ")":  # type: ignore[union-attr]
                args.append(self.or_())
                while self.peek() is not None and self.peek().kind == ",":  # type: ignore[union-attr]
                    self.take()
                    args.append(self.or_())
            self.expect(")")
            return ("call", name, args)
        return ("path", name)


Resolver = Callable[[str, str], dict[str, Any] | None]  # (set, key) -> record


class Evaluator:
    """Evaluates a parsed filter against stored records of one entity set."""

    def __init__(
        self, entity: EntitySet, resolve: Resolver, sets: Callable[[str], EntitySet | None]
    ):
        self.entity = entity
        self.resolve = resolve
        self.sets = sets

    def check(self, node: Node) -> None:
        """Validate paths up front, so a bad name fails even on an empty set."""
        kind = node[0]
        if kind == "path":
            self._field_path(self.entity, None, node[1])
        elif kind in ("and", "or"):
            self.check(node[1])
            self.check(node[2])
        elif kind == "not":
            self.check(node[1])
        elif kind in ("cmp", "arith"):
            for side in (node[2], node[3]):
                self.check(side)
                if kind == "cmp" and side[0] == "path":
                    f = self._field_path(self.entity, None, side[1])
                    if f is not None and f.kind is Kind.TEXT:
                        raise ODataError(
                            500,
                            INTERNAL,
                            f"Недопустимо сравнение значений типа Строка неограниченной длины: "
                            f"{side[1]}",
                        )
        elif kind == "call":
            for a in node[2]:
                self.check(a)

    def _field_path(self, entity: EntitySet, tab: TabularPart | None, path: str) -> Any:
        parts = path.split("/")
        cur_set: EntitySet | None = entity
        f = None
        for i, part in enumerate(parts):
            if tab is not None and i == 0:
                f = tab.field(part)
            else:
                assert cur_set is not None
                f = cur_set.field(part)
                if f is None and i < len(parts) - 1:
                    ref_f = cur_set.field(part + "_Key")
                    if ref_f is not None and ref_f.target:
                        cur_set = self.sets(ref_f.target)
                        tab = None
                        continue
                    if cur_set.tabular_part(part) is not None:
                        return None  # lambda host; checked inside the lambda
            if f is None:
                raise bad_query(f"Свойство '{part}' не найдено у сущности '{entity.name}'")
            if f.target and i < len(parts) - 1:
                cur_set = self.sets(f.target)
                tab = None
        return f

    def matches(self, node: Node, rec: dict[str, Any]) -> bool:
        return self.eval(node, rec, {}) is True

    def _path(self, path: str, rec: dict[str, Any], env: dict[str, dict[str, Any]]) -> Any:
        parts = path.split("/")
        cur: dict[str, Any] | None = rec
        entity: EntitySet | None = self.entity
        if parts[0] in env:
            cur = env[parts[0]]
            parts = parts[1:]
            entity = None
        for i, part in enumerate(parts):
            if cur is None:
                return None
            if part in cur:  # a value: the last part's typed, any other's as it is
                return _leaf(cur, part, entity) if i == len(parts) - 1 else cur[part]
            key_name = part + "_Key"
            f = entity.field(key_name) if key_name in cur and entity is not None else None
            if f is None or not f.target:
                return None
            target = cur[key_name]
            entity = self.sets(f.target)
            cur = None if target == ZERO_GUID else self.resolve(f.target, target)
        return cur

    def eval(self, node: Node, rec: dict[str, Any], env: dict[str, dict[str, Any]]) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "path":
            return self._path(node[1], rec, env)
        if kind == "and":
            return self.eval(node[1], rec, env) is True and self.eval(node[2], rec, env) is True
        if kind == "or":
            return self.eval(node[1], rec, env) is True or self.eval(node[2], rec, env) is True
        if kind == "not":
            return not self.eval(node[1], rec, env)
        if kind == "cmp":
            return _compare(node[1], self.eval(node[2], rec, env), self.eval(node[3], rec, env))
        if kind == "arith":
            return _arith(node[1], self.eval(node[2], rec, env), self.eval(node[3], rec, env))
        if kind == "lambda":
            _, quant, path, var, body = node
            rows = self._path(path, rec, env)
            if not isinstance(rows, list):
                raise bad_query(f"'{path}' не является табличной частью")
            results = [self.eval(body, rec, {**env, var: row}) is True for row in rows]
            return any(results) if quant == "any" else all(results)
        if kind == "call":
            return self._call(node[1], [self.eval(a, rec, env) for a in node[2]], node)
        raise bad_query("Неверное выражение $filter")

    def _call(self, name: str, args: list[Any], node: Node) -> Any:
        function = _FUNCTIONS.get(name)
        if function is not None:
            try:
                return function(args)
            except (IndexError, TypeError, ValueError, InvalidOperation):
                pass
        raise ODataError(400, BAD_FUNCTION, f"Неверные аргументы функции '{name}'")


def _leaf(cur: dict[str, Any], part: str, entity: EntitySet | None) -> Any:
    """A path's last value: a composite reference with its type, a reference field's
    value a ``Guid`` (by the entity's field, else by the name and the form)."""
    value = cur[part]
    if not isinstance(value, str):
        return value
    type_key = part + "_Type"
    if type_key in cur:
        return Composite(value, cur[type_key])
    if entity is not None:
        f = entity.field(part)
        return Guid(value) if f is not None and f.kind is Kind.GUID else value
    return Guid(value) if GUID_RE.match(value) and part.endswith("_Key") else value


def _text(v: Any) -> str:
    if isinstance(v, Guid | Composite):
        return v.value
    return "" if v is None else str(v)


def _substring(args: list[Any]) -> str:
    start = int(args[1])  # 0-based, as OData v3 defines it
    s = _text(args[0])
    return s[start:] if len(args) == 2 else s[start : start + int(args[2])]


def _of_datetime(part: Callable[[dt.datetime], Any]) -> Callable[[list[Any]], Any]:
    """A function of a date: its part, or None when the value is not a date."""
    return lambda args: part(args[0]) if isinstance(args[0], dt.datetime) else None


def _cast(args: list[Any]) -> Any:
    v, type_name = args[0], str(args[1])
    full = type_name if "." in type_name else f"StandardODATA.{type_name}"
    return Guid(v.value, full) if isinstance(v, Guid) else v


def _isof(args: list[Any]) -> bool:
    if len(args) == 2 and isinstance(args[0], Composite):
        t = str(args[1])
        return args[0].type_ in (t, f"StandardODATA.{t}")
    return False


# The functions 1C supports, each on its evaluated arguments; a wrong argument raises
# IndexError, TypeError, ValueError or InvalidOperation (code 21 in ``_call``).
_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "substringof": lambda a: _text(a[0]).lower() in _text(a[1]).lower(),
    "startswith": lambda a: _text(a[0]).startswith(_text(a[1])),
    "endswith": lambda a: _text(a[0]).endswith(_text(a[1])),
    "concat": lambda a: _text(a[0]) + _text(a[1]),
    "substring": _substring,
    "like": lambda a: _like(_text(a[0]), _text(a[1])),
    "year": _of_datetime(lambda v: v.year),
    "month": _of_datetime(lambda v: v.month),
    "day": _of_datetime(lambda v: v.day),
    "hour": _of_datetime(lambda v: v.hour),
    "minute": _of_datetime(lambda v: v.minute),
    "second": _of_datetime(lambda v: v.second),
    "quarter": _of_datetime(lambda v: (v.month - 1) // 3 + 1),
    "dayofweek": _of_datetime(lambda v: v.isoweekday()),
    "dayofyear": _of_datetime(lambda v: v.timetuple().tm_yday),
    "round": lambda a: Decimal(a[0]).quantize(Decimal(1)),
    "cast": _cast,
    "isof": _isof,
}


def _like(value: str, pattern: str) -> bool:
    """1C's ПОДОБНО: % any, _ one char, [..] sets; case-insensitive."""
    rx = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%":
            rx += ".*"
        elif ch == "_":
            rx += "."
        elif ch == "[":
            j = pattern.find("]", i)
            if j < 0:
                raise ODataError(400, BAD_FUNCTION, "Неверный шаблон функции 'like'")
            rx += pattern[i : j + 1]
            i = j
        else:
            rx += re.escape(ch)
        i += 1
    return re.fullmatch(rx, value, re.IGNORECASE | re.DOTALL) is not None


def _norm(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return Decimal(v)
    return v


def _compare(op: str, a: Any, b: Any) -> bool:
    a, b = _norm(a), _norm(b)
    if isinstance(a, Composite | Guid) or isinstance(b, Composite | Guid):
        return _compare_refs(op, a, b)
    if a is None and isinstance(b, dt.datetime):
        a = dt.datetime(1, 1, 1)
    if b is None and isinstance(a, dt.datetime):
        b = dt.datetime(1, 1, 1)
    try:
        return bool(_COMPARISONS[op](a, b))
    except TypeError:
        raise bad_query("Несовместимые типы в операции сравнения $filter") from None


def _compare_refs(op: str, a: Any, b: Any) -> bool:
    """A comparison where one side is a reference (a composite field, a guid)."""
    if isinstance(a, Composite) or isinstance(b, Composite):
        comp, other = (a, b) if isinstance(a, Composite) else (b, a)
        # A3: a bare guid never matches a composite field
        typed = isinstance(other, Guid) and bool(other.type_)
        return _equality(op, typed and comp.value == other.value and comp.type_ == other.type_)
    if isinstance(a, Guid) and isinstance(b, Guid):
        if op in ("eq", "ne"):
            return (a.value == b.value) == (op == "eq")
        raise bad_query("Сравнение ссылок допускается только на равенство и неравенство")
    g, other = (a, b) if isinstance(a, Guid) else (b, a)
    if other is None:
        return _equality(op, g.value == ZERO_GUID)
    raise bad_query("Несовместимые типы в операции сравнения $filter")


def _equality(op: str, equal: bool) -> bool:
    """``eq``/``ne`` of two references; no order between them (``gt`` … false)."""
    return equal if op == "eq" else (not equal if op == "ne" else False)


_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _arith(op: str, a: Any, b: Any) -> Any:
    a, b = _norm(a), _norm(b)
    if not isinstance(a, Decimal) or not isinstance(b, Decimal):
        raise bad_query("Арифметическая операция над нечисловым значением")
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if b == 0:
        raise ODataError(500, INTERNAL, "Деление на 0")
    return a / b if op == "div" else a % b
