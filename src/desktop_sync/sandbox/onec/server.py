"""The HTTP side: routing, Basic auth, rights, query options, writes, faults."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import threading
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote

from desktop_sync.sandbox.onec import errors as E  # noqa: N812
from desktop_sync.sandbox.onec import index, render
from desktop_sync.sandbox.onec.errors import ODataError, bad_query
from desktop_sync.sandbox.onec.faults import Faults
from desktop_sync.sandbox.onec.filters import Evaluator, Guid, Parser
from desktop_sync.sandbox.onec.schema import (
    ZERO_GUID,
    AccumulationRegister,
    EntitySet,
    InformationRegister,
    Kind,
    SetKind,
)
from desktop_sync.sandbox.onec.store import Record, Store, User
from desktop_sync.sandbox.onec.values import GUID_RE, to_json
from desktop_sync.sandbox.onec.virtual import balance_set, function_params, period_param
from desktop_sync.sandbox.onec.writes import coerce_body, parse_body

KEY_RE = re.compile(r"^(?P<set>[^(/]+)\((?P<key>[^)]*)\)(?:/(?P<rest>.*))?$")
LOGIN_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>1С:Предприятие</title></head>'
    '<body><form method="post"><h1>Вход в 1С:Предприятие</h1><label>Пользователь '
    '<input name="user"></label><label>Пароль <input type="password" name="pwd">'
    "</label><button>Войти</button></form></body></html>"
)
GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>Apache/2.4.58 (Win64)</center></body></html>"
)
UNAVAILABLE_PAGE = (
    "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable"
    "</h1><p>The server is temporarily unable to service your request.</p></body></html>"
)


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.by_method: Counter[str] = Counter()
        self.by_set: Counter[str] = Counter()

    def count(self, method: str, target: str) -> None:
        with self._lock:
            self.requests += 1
            self.by_method[method] += 1
            self.by_set[target] += 1

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.by_method.clear()
            self.by_set.clear()


class Response:
    def __init__(
        self,
        status: int,
        body: str | bytes = b"",
        content_type: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.content_type = content_type
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class Request:
    """What a route needs of one request besides its target."""

    method: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    user: User
    as_json: bool


class App:
    """Everything but the socket: takes a parsed request, returns a :class:`Response`."""

    def __init__(self, store: Store, base: str, faults: Faults, root_url: str) -> None:
        self.store = store
        self.base = base
        self.prefix = f"/{base}/odata/standard.odata"
        self.faults = faults
        self.root = root_url
        self.stats = Stats()
        self.stopping = threading.Event()
        self.hang_seconds = 30.0
        # $select parsed once for every entity of a page, not once each (the sandbox's own
        # CPU, issue 18); a bad one still fails only where an entity is rendered, as before
        self._selections: dict[tuple[str, str | None], render.Selection] = {}

    # --- helpers --------------------------------------------------------------------

    def _updated(self) -> str:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @staticmethod
    def wants_json(query: dict[str, str], headers: dict[str, str]) -> bool:
        fmt = query.get("$format", "").lower()
        if fmt:
            if fmt == "json" or fmt.startswith("application/json"):
                return True
            if fmt in ("atom", "xml") or fmt.startswith("application/atom"):
                return False
            raise ODataError(400, E.BAD_REPRESENTATION, f"Неверный формат: {fmt}")
        accept = headers.get("accept", "").lower()
        return "application/json" in accept

    def error(self, err: ODataError, as_json: bool) -> Response:
        headers: dict[str, str] = {}
        if as_json:
            return Response(
                err.status,
                render.error_json(err.code, err.message),
                "application/json;charset=utf-8",
                headers,
            )
        return Response(
            err.status,
            render.error_xml(err.code, err.message),
            "application/xml;charset=utf-8",
            headers,
        )

    def authenticate(self, header: str) -> User | None:
        if not header.lower().startswith("basic "):
            return None
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True)
            user, _, password = raw.decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        found = self.store.users.get(user)
        if found is None or found.password != password:
            return None
        return found

    # --- entry point -----------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> Response | str:
        """A response, or a fault kind the socket layer must act out (timeout, drop)."""
        path, _, qs = raw_path.partition("?")
        path = unquote(path)
        query: dict[str, str] = {}
        for item in filter(None, qs.split("&")):
            k, _, v = item.partition("=")
            # '+' is kept literally (a space must be %20): the stricter reading.
            query[unquote(k)] = unquote(v)
        target = path[len(self.prefix) :].lstrip("/") if path.startswith(self.prefix) else path
        self.stats.count(method, target.split("(")[0].split("/")[0] or "/")
        if self.faults.delay:
            self.stopping.wait(self.faults.delay)
        fault = self.faults.draw(method)
        if fault in ("timeout", "drop"):
            return fault
        if fault == "html200":
            return Response(200, LOGIN_PAGE, "text/html; charset=utf-8")
        if fault == "html":
            return Response(502, GATEWAY_PAGE, "text/html")
        if fault == "503":
            return Response(503, UNAVAILABLE_PAGE, "text/html", {"Retry-After": "1"})
        as_json = (
            "json" in query.get("$format", "").lower()
            or "application/json" in headers.get("accept", "").lower()
        )
        if not path.startswith(self.prefix):
            return Response(404, "<html><body><h1>404 Not Found</h1></body></html>", "text/html")
        user = self.authenticate(headers.get("authorization", ""))
        if user is None:
            return Response(
                401,
                "Unauthorized",
                "text/plain; charset=utf-8",
                {"WWW-Authenticate": 'Basic realm="1C:Enterprise"'},
            )
        if fault == "500":
            return self.error(ODataError(500, E.INTERNAL, E.INTERNAL_MESSAGE), as_json)
        try:
            as_json = self.wants_json(query, headers)
            result = self.route(Request(method, query, headers, body, user, as_json), target)
        except ODataError as err:
            result = self.error(err, as_json)
        except Exception:  # a sandbox bug still answers as 1C's internal error would
            import traceback

            traceback.print_exc()
            result = self.error(ODataError(500, E.INTERNAL, E.INTERNAL_MESSAGE), as_json)
        # "lost": 1C did the work, the answer never reached the client.
        return "drop" if fault == "lost" else result

    def route(self, req: Request, target: str) -> Response:
        method, query, user, as_json = req.method, req.query, req.user, req.as_json
        if target in ("", "/", "$metadata"):
            self.only(method, "GET")
            schema = self.store.schema
            text = (
                render.metadata(schema)
                if target == "$metadata"
                else render.service_document(schema, self.root)
            )
            return Response(200, text, "application/xml;charset=utf-8")
        found = self.register_route(method, target, query, user, as_json)
        if found is not None:
            return found
        m = KEY_RE.match(target)
        if m:
            name, key_text, rest = m.group("set"), m.group("key"), m.group("rest") or ""
        else:
            name, _, rest = target.partition("/")
            key_text = None
        tab = self.store.schema.tabular_set(name)
        if tab is not None:
            return self.tabular(method, tab[0], tab[1].name, key_text, query, user, as_json)
        entity = self.store.schema.get(name)
        if entity is None:
            # Outside the composition: 404 (A1). Code 6 or 8 is an open question.
            raise ODataError(404, E.BAD_URL, f"Не найден ресурс '{name}'")
        if key_text is None:
            return self.collection(req, entity, rest, target)
        key = self.parse_key(key_text)
        if rest:
            return self.record_path(req, entity, key, rest, target)
        return self.record(req, entity, key)

    def register_route(
        self, method: str, target: str, query: dict[str, str], user: User, as_json: bool
    ) -> Response | None:
        """The answer when ``target`` is in a register; None otherwise."""
        schema = self.store.schema
        for acc in schema.accumulation.values():
            if target == acc.name or target.startswith((acc.name + "/", acc.name + "_")):
                return self.accumulation_register(method, acc, target[len(acc.name) :], query, user)
        for info in schema.info_registers.values():
            if target.startswith(info.name):
                return self.info_register(method, info, target[len(info.name) :], query, user)
        for reg in schema.registers.values():
            if target == reg.name or target.startswith(reg.name + "/"):
                return self.register(
                    method, target[len(reg.name) :].lstrip("/"), query, user, as_json
                )
        return None

    def collection(self, req: Request, entity: EntitySet, rest: str, target: str) -> Response:
        """``Set``, ``Set/$count``: read, count or create."""
        method, query, user, as_json = req.method, req.query, req.user, req.as_json
        if rest == "$count":
            self.only(method, "GET")
            self.can_read(user, entity)
            rows = self.select_rows(entity, query, user)
            return Response(200, "\ufeff" + str(len(rows)), "text/plain;charset=utf-8")
        if rest:
            raise ODataError(400, E.BAD_URL, f"Неверный URL: {target}")
        if method == "GET":
            return self.get_set(entity, query, user, as_json)
        if method == "POST":
            return self.create(entity, req.body, user, as_json)
        raise ODataError(405, E.METHOD_NOT_ALLOWED, f"Метод {method} не поддерживается")

    def record_path(
        self, req: Request, entity: EntitySet, key: str, rest: str, target: str
    ) -> Response:
        """``Set(guid'…')/Post()``, ``/Unpost()`` or ``/Navigation``."""
        method, user = req.method, req.user
        action = rest[:-2] if rest.endswith("()") else rest
        if action in ("Post", "Unpost"):
            self.only(method, "POST")
            if not entity.is_document:
                raise ODataError(400, E.METHOD_NOT_FOUND, f"Метод {action} не найден")
            self.can_write(user, entity)
            self.visible(user, entity, self.store.require(entity.name, key))
            if action == "Post":
                self.store.post(entity.name, key)
            else:
                self.store.unpost(entity.name, key)
            return Response(200)
        nav = entity.field(action + "_Key")
        if nav is None or not nav.target or method != "GET":
            raise ODataError(400, E.BAD_URL, f"Неверный URL: {target}")
        self.can_read(user, entity)
        rec = self.store.require(entity.name, key)
        target_set = self.store.entity_set(nav.target)
        self.can_read(user, target_set)
        other = self.store.require(nav.target, rec[nav.name])
        return self.single(target_set, other, req.query, user, req.as_json)

    def record(self, req: Request, entity: EntitySet, key: str) -> Response:
        """``Set(guid'…')``: read, change or delete one record."""
        method, query, user, as_json = req.method, req.query, req.user, req.as_json
        if method == "GET":
            self.can_read(user, entity)
            if "$expand" in query:
                raise ODataError(
                    400, E.NOT_SUPPORTED, "$expand не поддерживается для отдельной сущности"
                )
            rec = self.store.require(entity.name, key)
            return self.single(entity, rec, query, user, as_json)
        if method in ("PATCH", "MERGE", "PUT"):
            full = method == "PUT"
            return self.modify(entity, key, req.body, req.headers, user, as_json, full=full)
        if method == "DELETE":
            self.can_write(user, entity)
            self.visible(user, entity, self.store.require(entity.name, key))
            self.store.delete(entity.name, key)
            return Response(200)
        raise ODataError(405, E.METHOD_NOT_ALLOWED, f"Метод {method} не поддерживается")

    # --- rights ------------------------------------------------------------------------

    @staticmethod
    def only(method: str, allowed: str) -> None:
        if method != allowed:
            raise ODataError(405, E.METHOD_NOT_ALLOWED, f"Метод {method} не поддерживается")

    @staticmethod
    def can_read(user: User, entity: EntitySet) -> None:
        if not user.can_read(entity.name):
            raise ODataError(401, E.ACCESS, "Нарушение прав доступа!")

    @staticmethod
    def can_write(user: User, entity: EntitySet) -> None:
        if not user.can_read(entity.name) or not user.can_write(entity.name):
            raise ODataError(401, E.ACCESS, "Нарушение прав доступа!")

    @staticmethod
    def visible(user: User, entity: EntitySet, rec: Record) -> None:
        rule = user.rls.get(entity.name)
        if rule is not None and not rule(rec):
            raise ODataError(401, E.ACCESS, "Нарушение прав доступа!")

    # --- reading -----------------------------------------------------------------------

    @staticmethod
    def parse_key(text: str) -> str:
        m = re.fullmatch(r"guid'([^']*)'", text.strip())
        if m is None:
            raise ODataError(400, E.KEY_MISSING, f"Неверный ключ сущности: ({text})")
        if not GUID_RE.match(m.group(1)):
            raise ODataError(400, E.BAD_VALUE, f"Неверный литерал guid'{m.group(1)}'")
        return m.group(1).lower()

    def evaluator(self, entity: EntitySet) -> Evaluator:
        return Evaluator(entity, self.store.get, self.store.schema.get)

    def select_rows(self, entity: EntitySet, query: dict[str, str], user: User) -> list[Record]:
        text = query.get("$filter")
        if text:
            ev = self.evaluator(entity)
            node = Parser(text).parse()
            ev.check(node)
            with self.store.lock:
                rows = index.candidates(
                    self.store.rows[entity.name],
                    node,
                    entity,
                    lambda name, value: self.store.equal_index(entity.name, name).get(value, []),
                )
            rows = [r for r in rows if ev.matches(node, r)]
        else:
            rows = self.store.all(entity.name)
        rule = user.rls.get(entity.name)
        if rule is not None:
            hidden = [r for r in rows if not rule(r)]
            if hidden:
                if query.get("allowedOnly", "").lower() != "true":
                    raise ODataError(401, E.ACCESS, "Нарушение прав доступа!")
                rows = [r for r in rows if rule(r)]
        return rows

    def order(self, entity: EntitySet, rows: list[Record], text: str) -> list[Record]:
        descending = index.by_ref_key(text)
        key_field = entity.field("Ref_Key")
        if descending is not None and key_field is not None and key_field.kind is Kind.GUID:
            return index.sort_by_key(rows, descending)
        ev = self.evaluator(entity)
        keys: list[tuple[str, bool]] = []
        for item in text.split(","):
            words = item.split()
            if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
                raise bad_query(f"Неверное значение параметра $orderby: '{text}'")
            ev.check(("path", words[0]))
            keys.append((words[0], len(words) == 2 and words[1] == "desc"))

        def sort_value(rec: Record, path: str) -> tuple[int, Any]:
            v = ev.eval(("path", path), rec, {})
            if v is None:
                return (0, "")
            if isinstance(v, Guid):
                return (1, v.value)
            if hasattr(v, "value") and hasattr(v, "type_"):
                return (1, v.value)
            if isinstance(v, bool | int):
                return (1, Decimal(int(v)))
            return (1, v)

        out = list(rows)
        for path, desc in reversed(keys):
            try:
                out.sort(key=lambda r, p=path: sort_value(r, p), reverse=desc)  # type: ignore[misc]
            except TypeError:
                raise bad_query(f"Неверное значение параметра $orderby: '{text}'") from None
        return out

    @staticmethod
    def _int_option(query: dict[str, str], name: str) -> int | None:
        text = query.get(name)
        if text is None:
            return None
        if not text.isdigit():
            raise bad_query(f"Неверное значение параметра {name}: '{text}'")
        return int(text)

    def presentation(self, entity: EntitySet, base: str, rec: Record) -> str:
        if base in ("", "Ref"):
            return self._present(entity, rec)
        f = entity.field(base + "_Key")
        if f is None or not f.target or rec.get(f.name) == ZERO_GUID:
            return str(rec.get(base, ""))
        target = self.store.get(f.target, rec[f.name])
        return self._present(self.store.entity_set(f.target), target) if target else ""

    @staticmethod
    def _present(entity: EntitySet, rec: Record) -> str:
        if entity.is_document:
            on = rec["Date"]
            when = on.strftime("%d.%m.%Y %H:%M:%S") if on else ""
            return f"{entity.presentation or entity.name} {rec['Number']} от {when}"
        return str(rec.get("Description", ""))

    def selection(self, entity: EntitySet, text: str | None) -> render.Selection:
        """``render.Selection(entity, text)``, kept for the next entity (read only)."""
        key = (entity.name, text)
        found = self._selections.get(key)
        if found is None:
            found = render.Selection(entity, text)
            if len(self._selections) >= 256:
                self._selections.clear()
            self._selections[key] = found
        return found

    def render_entity(
        self,
        entity: EntitySet,
        rec: Record,
        query: dict[str, str],
        user: User,
        links: bool,
        expand: list[str],
    ) -> dict[str, Any]:
        selection = self.selection(entity, query.get("$select"))
        for nav in selection.navs:
            if nav not in expand:
                raise bad_query(f"Поле '{nav}' в $select требует $expand={nav}")
        expanded: dict[str, dict[str, Any] | None] = {}
        for nav in expand:
            f = entity.field(nav + "_Key")
            target = self.store.schema.get(f.target) if f and f.target else None
            if f is None or target is None:
                continue
            self.can_read(user, target)
            other = self.store.get(f.target, rec[f.name])
            sub = ",".join(selection.navs[nav]) if nav in selection.navs else None
            expanded[nav] = (
                render.entity_json(target, other, self.selection(target, sub), links=links)
                if other
                else None
            )
        return render.entity_json(
            entity,
            rec,
            selection,
            links=links,
            expanded=expanded,
            presentation=lambda base, r: self.presentation(entity, base, r),
        )

    def parse_expand(self, entity: EntitySet, query: dict[str, str]) -> list[str]:
        text = query.get("$expand", "")
        navs: list[str] = []
        for item in filter(None, (x.strip() for x in text.split(","))):
            if item == "*":
                navs.extend(f.nav_name for f in entity.all_fields if f.target and f.nav_name)
                continue
            if entity.tabular_part(item.split("/")[0]) is not None:
                raise ODataError(
                    400, E.NOT_SUPPORTED, f"$expand не поддерживается для табличной части '{item}'"
                )
            f = entity.field(item + "_Key")
            if f is None or not f.target:
                raise bad_query(f"Неверное значение параметра $expand: '{item}'")
            navs.append(item)
        return navs

    def get_set(
        self, entity: EntitySet, query: dict[str, str], user: User, as_json: bool
    ) -> Response:
        self.can_read(user, entity)
        rows = self.select_rows(entity, query, user)
        inline = query.get("$inlinecount")
        if inline not in (None, "allpages", "none"):
            raise bad_query(f"Неверное значение параметра $inlinecount: '{inline}'")
        count = len(rows) if inline == "allpages" else None
        if "$orderby" in query:
            rows = self.order(entity, rows, query["$orderby"])
        skip = self._int_option(query, "$skip")
        top = self._int_option(query, "$top")
        if skip:  # $skip is applied first, whatever the order in the URL (A3)
            rows = rows[skip:]
        if top is not None:
            rows = rows[:top]
        expand = self.parse_expand(entity, query)
        links = "nometadata" not in query.get("$format", "")
        data = [self.render_entity(entity, r, query, user, links, expand) for r in rows]
        if as_json:
            env: dict[str, Any] = {}
            if links:
                env["odata.metadata"] = f"{self.root}/$metadata#{entity.name}"
            if count is not None:
                env["odata.count"] = str(count)
            env["value"] = data
            return Response(200, render.dumps(env), "application/json;charset=utf-8")
        return Response(
            200,
            render.atom_feed(entity, self.root, data, self._updated(), count),
            "application/atom+xml;type=feed;charset=utf-8",
        )

    def single(
        self,
        entity: EntitySet,
        rec: Record,
        query: dict[str, str],
        user: User,
        as_json: bool,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        self.visible(user, entity, rec)
        links = "nometadata" not in query.get("$format", "")
        data = self.render_entity(entity, rec, query, user, links, [])
        if as_json:
            env: dict[str, Any] = {}
            if links:
                env["odata.metadata"] = f"{self.root}/$metadata#{entity.name}/@Element"
            env.update(data)
            return Response(status, render.dumps(env), "application/json;charset=utf-8", headers)
        return Response(
            status,
            '<?xml version="1.0" encoding="UTF-8"?>'
            + render.atom_entry(entity, self.root, data, self._updated(), top=True),
            "application/atom+xml;type=entry;charset=utf-8",
            headers,
        )

    def tabular(
        self,
        method: str,
        owner: EntitySet,
        tab: str,
        key_text: str | None,
        query: dict[str, str],
        user: User,
        as_json: bool,
    ) -> Response:
        if method == "POST":
            raise ODataError(
                400, E.TABULAR_CREATE, "Cоздание строк табличной части напрямую не поддерживается"
            )
        self.only(method, "GET")
        self.can_read(user, owner)
        part = owner.tabular_part(tab)
        assert part is not None
        rows: list[dict[str, Any]] = []
        for rec in self.store.all(owner.name):
            for row in rec.get(tab, []):
                rows.append(render.row_json(owner, part, rec["Ref_Key"], row, None))
        name = f"{owner.name}_{tab}"
        if key_text is not None:
            m = re.fullmatch(r"Ref_Key=guid'([^']*)',LineNumber=(\d+)", key_text)
            if m is None:
                raise ODataError(400, E.KEY_MISSING, f"Неверный ключ сущности: ({key_text})")
            found = [
                r
                for r in rows
                if r["Ref_Key"] == m.group(1).lower() and r["LineNumber"] == m.group(2)
            ]
            if not found:
                raise ODataError(
                    404, E.NOT_FOUND, f'Экземпляр сущности "{tab}" не найден по переданному ключу.'
                )
            return Response(
                200,
                render.dumps(
                    {"odata.metadata": f"{self.root}/$metadata#{name}/@Element", **found[0]}
                ),
                "application/json;charset=utf-8",
            )
        skip = self._int_option(query, "$skip") or 0
        top = self._int_option(query, "$top")
        rows = rows[skip:] if top is None else rows[skip : skip + top]
        return Response(
            200,
            render.dumps({"odata.metadata": f"{self.root}/$metadata#{name}", "value": rows}),
            "application/json;charset=utf-8",
        )

    # --- writing -----------------------------------------------------------------------

    def create(self, entity: EntitySet, body: bytes, user: User, as_json: bool) -> Response:
        self.can_write(user, entity)
        values = coerce_body(self.store.schema, entity, parse_body(body), creating=True)
        rec = self.store.insert(entity.name, values)
        location = quote(f"{self.root}/{render.entity_key(entity, rec)}", safe=":/()'=,$")
        return self.single(
            entity, rec, {}, user, as_json, status=201, headers={"Location": location}
        )

    def modify(
        self,
        entity: EntitySet,
        key: str,
        body: bytes,
        headers: dict[str, str],
        user: User,
        as_json: bool,
        full: bool,
    ) -> Response:
        self.can_write(user, entity)
        rec = self.store.require(entity.name, key)
        self.visible(user, entity, rec)
        expected = headers.get("if-match")
        if expected and expected not in ("*", rec["DataVersion"]):
            # DOC says 412; HC saw it ignored. The sandbox enforces it (stricter).
            raise ODataError(
                412, E.INTERNAL, "Версия объекта не совпадает: объект изменен другим пользователем"
            )
        changes = coerce_body(self.store.schema, entity, parse_body(body), creating=False)
        if full:
            blank = self.store.blank(entity)
            for keep in ("Ref_Key", "DataVersion", "Code", "Number", "Posted"):
                blank.pop(keep, None)
            changes = {**blank, **changes}
        new = self.store.update(entity.name, key, changes)
        return self.single(entity, new, {}, user, as_json)

    # --- virtual tables ----------------------------------------------------------------

    def register(
        self, method: str, rest: str, query: dict[str, str], user: User, as_json: bool
    ) -> Response:
        name = "AccountingRegister_Хозрасчетный"
        if not user.can_read(name):
            raise ODataError(401, E.ACCESS, "Нарушение прав доступа!")
        if not rest:
            # Record sets by recorder are not served by the sandbox (not needed by the sync).
            raise ODataError(
                501, E.NOT_SUPPORTED, "Чтение наборов записей регистра не поддерживается песочницей"
            )
        m = re.fullmatch(r"(?P<fn>[A-Za-z]+)(?:\((?P<args>.*)\))?", rest, re.DOTALL)
        if m is None or m.group("fn") != "Balance":
            raise ODataError(400, E.BAD_FUNCTION, f"Неверная функция или аргументы: {rest}")
        self.only(method, "GET")
        params = function_params(m.group("args") or "")
        for k in ("Period", "AccountCondition", "Condition", "ExtraDimensions"):
            if k in query and k not in params:
                params[k] = query[k].strip("'") if k != "Period" else query[k]
        before = period_param(params.get("Period"))
        rows = self.store.balance(before)
        conditions = (params.get("AccountCondition"), params.get("Condition"))
        return self.virtual(balance_set(name), rows, conditions, query)

    def virtual(
        self,
        row_set: EntitySet,
        rows: list[Record],
        conditions: tuple[str | None, ...],
        query: dict[str, str],
    ) -> Response:
        """A virtual table's rows: conditions inside the table, then $filter, $orderby,
        $skip, $top, $select on the result (A4)."""
        ev = Evaluator(row_set, self.store.get, self.store.schema.get)
        for text in (*conditions, query.get("$filter")):
            if text:
                node = Parser(text).parse()
                ev.check(node)
                rows = [r for r in rows if ev.matches(node, r)]
        if "$orderby" in query:
            rows = self.order(row_set, rows, query["$orderby"])
        skip = self._int_option(query, "$skip")
        top = self._int_option(query, "$top")
        rows = rows[skip or 0 :] if top is None else rows[skip or 0 : (skip or 0) + top]
        selection = render.Selection(row_set, query.get("$select"))
        data = [
            {f.name: to_json(f, r.get(f.name)) for f in row_set.all_fields if selection.has(f.name)}
            for r in rows
        ]
        env = {"odata.metadata": f"{self.root}/$metadata#{row_set.name}", "value": data}
        return Response(200, render.dumps(env), "application/json;charset=utf-8")

    def info_register(
        self, method: str, reg: InformationRegister, rest: str, query: dict[str, str], user: User
    ) -> Response:
        self.only(method, "GET")
        if not user.can_read(f"{reg.name}_RecordType"):
            raise ODataError(401, E.ACCESS, "Нарушение прав доступа!")
        if not rest.startswith("_RecordType") and not rest.startswith("/"):
            raise ODataError(404, E.BAD_URL, f"Не найден ресурс '{reg.name}{rest}'")
        rest = rest.removeprefix("_RecordType").lstrip("/")
        row_set = EntitySet(f"{reg.name}_RecordType", SetKind.VIRTUAL, reg.record_fields)
        if not rest:
            return self.virtual(row_set, list(self.store.info_records[reg.name]), (), query)
        m = re.fullmatch(r"SliceLast(?:\((?P<args>.*)\))?", rest, re.DOTALL)
        if m is None:
            raise ODataError(400, E.BAD_FUNCTION, f"Неверная функция или аргументы: {rest}")
        params = function_params(m.group("args") or "")
        for k in ("Period", "Condition"):
            if k in query and k not in params:
                params[k] = query[k].strip("'") if k != "Period" else query[k]
        at = period_param(params.get("Period"))
        rows = self.store.slice_last(reg.name, at)
        return self.virtual(reg.slice_set, rows, (params.get("Condition"),), query)

    def accumulation_register(
        self,
        method: str,
        reg: AccumulationRegister,
        rest: str,
        query: dict[str, str],
        user: User,
    ) -> Response:
        """``<reg>_RecordType`` (flat records) and ``<reg>/Balance(Period=…,Condition=…)``
        (A4; parameters in the path or the query string, inner quotes not doubled)."""
        self.only(method, "GET")
        if not user.can_read(reg.name):
            raise ODataError(401, E.ACCESS, "Нарушение прав доступа!")
        if rest == "_RecordType":
            with self.store.lock:
                rows = list(self.store.accumulation[reg.name])
            return self.virtual(reg.record_set, rows, (), query)
        params = _balance_params(reg, rest, query)
        rows = self.store.accumulation_balance(reg.name, period_param(params.get("Period")))
        row_set = reg.balance_set
        if params.get("Dimensions"):
            # Only the named dimensions, the others summed (the Condition still sees
            # every dimension: it filters inside the table, before grouping).
            keep = _dimensions(reg, params["Dimensions"])
            if params.get("Condition"):
                node = Parser(params["Condition"]).parse()
                ev = Evaluator(row_set, self.store.get, self.store.schema.get)
                ev.check(node)
                rows = [r for r in rows if ev.matches(node, r)]
                params["Condition"] = ""
            row_set, rows = _grouped(reg, row_set, rows, keep)
        return self.virtual(row_set, rows, (params.get("Condition"),), query)


def _balance_params(reg: AccumulationRegister, rest: str, query: dict[str, str]) -> dict[str, str]:
    """The parameters of ``<reg>/Balance(…)``, from the path or the query string."""
    if not rest.startswith("/"):
        if not rest:
            # Record sets by recorder are not served (the sync does not need them).
            raise ODataError(
                501,
                E.NOT_SUPPORTED,
                "Чтение наборов записей регистра не поддерживается песочницей",
            )
        raise ODataError(404, E.BAD_URL, f"Не найден ресурс '{reg.name}{rest}'")
    m = re.fullmatch(r"/(?P<fn>[A-Za-z]+)(?:\((?P<args>.*)\))?", rest, re.DOTALL)
    if m is None or m.group("fn") != "Balance":
        # Turnovers/BalanceAndTurnovers are not modelled: the stricter answer.
        raise ODataError(400, E.BAD_FUNCTION, f"Неверная функция или аргументы: {rest}")
    params = function_params(m.group("args") or "")
    for k in ("Period", "Condition", "Dimensions"):
        if k in query and k not in params:
            params[k] = query[k].strip("'") if k != "Period" else query[k]
    return params


def _dimensions(reg: AccumulationRegister, text: str) -> list[str]:
    """The field names of ``Dimensions='A,B'`` (a reference named without ``_Key``)."""
    wanted = [d.strip() for d in text.split(",") if d.strip()]
    names = {f.name for f in reg.dimensions}
    bad = [d for d in wanted if d not in names and d + "_Key" not in names]
    if bad:
        raise ODataError(400, E.BAD_FUNCTION, f"Неверное значение параметра Dimensions: {bad[0]}")
    return [d if d in names else d + "_Key" for d in wanted]


def _grouped(
    reg: AccumulationRegister, row_set: EntitySet, rows: list[Record], keep: list[str]
) -> tuple[EntitySet, list[Record]]:
    """Balances summed by the ``keep`` dimensions; groups that sum to nothing left out."""
    grouped: dict[tuple[Any, ...], Record] = {}
    balances = [f"{res}Balance" for res in reg.resources]
    for r in rows:
        key = tuple(r[k] for k in keep)
        acc = grouped.setdefault(key, {k: r[k] for k in keep} | dict.fromkeys(balances, 0))
        for b in balances:
            acc[b] += r[b]
    fields = tuple(f for f in row_set.fields if f.name in keep or f.name in balances)
    return (
        EntitySet(row_set.name, SetKind.VIRTUAL, fields),
        [g for g in grouped.values() if any(g[b] for b in balances)],
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no delayed-ACK stall
    wbufsize = 1 << 16
    server_version = "Apache/2.4.58 (Win64)"
    sys_version = ""
    app: App

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        result = self.app.handle(self.command, self.path, headers, body)
        if isinstance(result, str):
            if result == "timeout":
                self.app.stopping.wait(self.app.hang_seconds)
            self.close_connection = True
            return
        self.send_response(result.status)
        if result.content_type:
            self.send_header("Content-Type", result.content_type)
        for k, v in result.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(result.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(result.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_MERGE = _serve


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
