"""Independent writes whose batch requests share requests (``CrmPort.together``).

The engine hands several independent groups of writes at once (held updates, the last
part-full batch of a kind, the next kind's first): each runs as it would alone, and
each batch it asks for (``RestClient.batch``) waits, *parked*, until every group has
either parked one or finished. The parked commands then leave together, as few
requests of at most 50 commands as they fit, built by the one batch builder
(``RestClient.batch``); each group gets back its own commands' answers under its own
keys, or the request's error (a lost answer: its own writes' keys, ``unknown_keys``).
Nothing else changes for a group: a refused command is its own error, a lost answer
is settled by its key look-up (docs/decisions/mixed-batches.md).

One group runs at a time (each in a thread of its own, handed the turn as a greenlet
would be), so nothing runs beside anything else: the turn passes only where a group
parks or ends. A request carries reads or writes, never both (a lost write is
unknown, a lost read is read again). A batch that halts at its first error travels
alone, as does anything asked outside the groups' threads.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from desktop_sync.connectors.bitrix24.envelope import MAX_BATCH, BatchReply, Params, is_read
from desktop_sync.connectors.bitrix24.errors import Bitrix24ServerError

if TYPE_CHECKING:
    from desktop_sync.connectors.bitrix24.rest import RestClient

T = TypeVar("T")
Commands = Mapping[str, tuple[str, Params]]
_REF = re.compile(r"(\$\w+\[)([^\]]*)(\])")  # $result[key]..., $result_error[key]...


@dataclass
class _Parked:
    """One group's batch, waiting for the others."""

    commands: Commands
    what: str
    read: bool
    reply: BatchReply | None = None
    error: BaseException | None = None


@dataclass
class _Group:
    work: Callable[[], Any]
    turn: threading.Event = field(default_factory=threading.Event)
    parked: _Parked | None = None
    done: bool = False
    result: Any = None


class Together:
    """Runs groups of writes so that their batches share requests (one use)."""

    def __init__(self, rest: RestClient, *, in_order: bool = False) -> None:
        self.rest = rest
        self.in_order = in_order  # a later group's commands never go before an earlier's
        self._groups: dict[int, _Group] = {}  # thread id -> its group
        self._back = threading.Event()  # a group parked or ended: the turn is back

    def run(self, works: Sequence[Callable[[], T]]) -> list[T | BaseException]:
        """Each work's result, or what it raised, in order."""
        groups = [_Group(w) for w in works]
        for g in groups:
            thread = threading.Thread(target=self._body, args=(g,), daemon=True)
            thread.start()
            assert thread.ident is not None
            self._groups[thread.ident] = g
            self._turn(g)
        while True:
            parked = [g for g in groups if g.parked is not None and not g.done]
            if not parked:
                break
            for g in self._send(parked):
                self._turn(g)
        return [g.result for g in groups]

    # -- the groups' side ------------------------------------------------------------

    def batch(self, commands: Commands, what: str) -> BatchReply | None:
        """A group's batch, parked until it leaves with others; None outside a group."""
        group = self._groups.get(threading.get_ident())
        if group is None:
            return None
        call = _Parked(commands, what, all(is_read(m) for m, _ in commands.values()))
        group.parked = call
        group.turn.clear()
        self._back.set()
        group.turn.wait()
        group.parked = None
        if call.error is not None:
            raise call.error
        assert call.reply is not None
        return call.reply

    def _body(self, group: _Group) -> None:
        group.turn.wait()
        try:
            group.result = group.work()
        except BaseException as exc:  # handed to the engine as the group's outcome
            group.result = exc
        group.done = True
        self._back.set()

    def _turn(self, group: _Group) -> None:
        """Let ``group`` run until it parks a batch or ends."""
        self._back.clear()
        group.turn.set()
        self._back.wait()

    # -- the coordinator's side ---------------------------------------------------------

    def _send(self, parked: list[_Group]) -> list[_Group]:
        """One request of the parked batches that fit, reads first (they change nothing,
        and a group's writes may wait for its look-ups); the groups it answered."""
        kind = any(g.parked is not None and g.parked.read for g in parked)
        chosen: list[_Group] = []
        size = 0
        for g in parked:
            call = g.parked
            assert call is not None
            if call.read != kind:
                continue
            if size + len(call.commands) > MAX_BATCH:
                if self.in_order:
                    break
                continue
            chosen.append(g)
            size += len(call.commands)
        calls = [g.parked for g in chosen if g.parked is not None]
        merged: dict[str, tuple[str, Params]] = {}
        for n, call in enumerate(calls):
            merged.update(_prefixed(f"g{n}_", call.commands))
        what = "; ".join(dict.fromkeys(c.what for c in calls if c.what))
        try:
            reply = self.rest.batch(merged, what=what)
        except Bitrix24ServerError as exc:
            for n, call in enumerate(calls):
                call.error = _own_loss(exc, f"g{n}_")
        except BaseException as exc:
            for call in calls:
                call.error = exc
        else:
            for n, call in enumerate(calls):
                call.reply = _own_reply(reply, f"g{n}_")
        return chosen


def _prefixed(prefix: str, commands: Commands) -> dict[str, tuple[str, Params]]:
    """The commands under keys of their own, their references to each other renamed."""
    names = {key: prefix + key for key in commands}
    return {
        names[key]: (method, _renamed(params, names)) for key, (method, params) in commands.items()
    }


def _renamed(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        if "$" not in value:
            return value
        return _REF.sub(lambda m: m[1] + names.get(m[2], m[2]) + m[3], value)
    if isinstance(value, Mapping):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_renamed(v, names) for v in value)
    return value


def _own(values: Mapping[str, T], prefix: str) -> dict[str, T]:
    n = len(prefix)
    return {k[n:]: v for k, v in values.items() if k.startswith(prefix)}


def _own_reply(reply: BatchReply, prefix: str) -> BatchReply:
    n = len(prefix)
    return BatchReply(
        results=_own(reply.results, prefix),
        errors=_own(reply.errors, prefix),
        totals=_own(reply.totals, prefix),
        nexts=_own(reply.nexts, prefix),
        skipped=tuple(k[n:] for k in reply.skipped if k.startswith(prefix)),
        unknown=tuple(k[n:] for k in reply.unknown if k.startswith(prefix)),
        time=reply.time,
    )


def _own_loss(exc: Bitrix24ServerError, prefix: str) -> Bitrix24ServerError:
    """A lost shared request as one group sees it: its own writes' keys unknown."""
    n = len(prefix)
    keys = tuple(k[n:] for k in exc.unknown_keys if k.startswith(prefix))
    return Bitrix24ServerError(
        str(exc),
        outcome_unknown=bool(keys) or (exc.outcome_unknown and not exc.unknown_keys),
        unknown_keys=keys,
        method=exc.method,
        code=exc.code,
        status=exc.status,
        what=exc.what,
    )


def together(
    rest: RestClient, works: Sequence[Callable[[], T]], *, in_order: bool = False
) -> list[T | BaseException]:
    """Run ``works`` so that their batches share requests (:class:`Together`); within
    another such run, or for one work, one after the other."""
    if len(works) < 2 or rest.shared is not None:
        return [_outcome(w) for w in works]
    run = Together(rest, in_order=in_order)
    rest.shared = run.batch
    try:
        return run.run(works)
    finally:
        rest.shared = None


def _outcome(work: Callable[[], T]) -> T | BaseException:
    try:
        return work()
    except Exception as exc:  # as a group's outcome, like Together.run's
        return exc
