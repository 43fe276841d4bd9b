"""One ``--faults`` string for both sandboxes, each item aimed at a side.

``onec:500:0.1,crm:503:0.05,timeout:0.02`` gives the 1C sandbox ``500:0.1,timeout:0.02``
and the Bitrix24 sandbox ``503:0.05,timeout:0.02``. An item without a side (the old
syntax) goes to both and must mean something to both; one that only one side knows
(``lost``, ``html200``, ``delay`` are 1C's; ``badjson``, ``503burst``, ``html504``,
``…@method`` are the CRM's) is refused with the prefix to write, never half applied.
Each side's grammar: :mod:`desktop_sync.sandbox.onec.faults`,
:mod:`desktop_sync.sandbox.bitrix24.faults`.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_sync.sandbox.bitrix24.faults import parse_faults
from desktop_sync.sandbox.onec.faults import Faults

SIDES = ("onec", "crm")


class FaultSpecError(ValueError):
    """An item of ``--faults`` a side cannot take. ``side`` is ``None`` when the item
    named no side (then it is valid for some side only, or for none); ``known`` is the
    one side that would take it."""

    def __init__(self, item: str, side: str | None, detail: str, known: str = "") -> None:
        super().__init__(item, side, detail)
        self.item = item
        self.side = side
        self.detail = detail
        self.known = known

    def __str__(self) -> str:
        if self.side is None:
            return f"fault {self.item!r} names no side and {self.detail}"
        return f"fault {self.item!r} for {self.side}: {self.detail}"


def _check_onec(item: str) -> None:
    Faults(item)


def _check_crm(item: str) -> None:
    parse_faults(item)


_CHECKS: dict[str, Callable[[str], None]] = {"onec": _check_onec, "crm": _check_crm}


def split_faults(spec: str) -> dict[str, str]:
    """``{"onec": spec, "crm": spec}`` from one string; :class:`FaultSpecError` on an item
    a side cannot take."""
    out: dict[str, list[str]] = {side: [] for side in SIDES}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        side, sep, rest = item.partition(":")
        if sep and side.strip().lower() in SIDES:
            side = side.strip().lower()
            try:
                _CHECKS[side](rest)
            except ValueError as exc:
                raise FaultSpecError(item, side, str(exc)) from None
            out[side].append(rest)
            continue
        refused: dict[str, str] = {}
        for name, check in _CHECKS.items():
            try:
                check(item)
            except ValueError as exc:
                refused[name] = str(exc)
        if len(refused) == len(SIDES):
            raise FaultSpecError(item, None, "neither side knows it: " + refused["onec"])
        if refused:
            (name,) = refused
            known = next(s for s in SIDES if s != name)
            raise FaultSpecError(
                item, None, f"only the {known} sandbox knows it: write {known}:{item}", known
            )
        for name in SIDES:
            out[name].append(item)
    return {side: ",".join(items) for side, items in out.items()}
