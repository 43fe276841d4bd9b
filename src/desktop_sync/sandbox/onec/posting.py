"""What the posting rules of both configurations share: refusing to post, and why."""

from __future__ import annotations

from desktop_sync.sandbox.onec.errors import business
from desktop_sync.sandbox.onec.schema import EntitySet
from desktop_sync.sandbox.onec.store import Record


def title(s: EntitySet, rec: Record) -> str:
    """«Реализация товаров и услуг 0000-000001 от 02.03.2026 12:00:00», as 1C names it."""
    on = rec["Date"]
    when = on.strftime("%d.%m.%Y %H:%M:%S") if on else ""
    return f"{s.presentation} {rec['Number']} от {when}"


def refuse(s: EntitySet, rec: Record, problems: list[str]) -> None:
    """1C's refusal to post, naming the document and every problem; nothing if none."""
    if problems:
        raise business(f'Не удалось провести "{title(s, rec)}"!\n' + "\n".join(problems))


def no_quantity(row: Record) -> str:
    return f'Не заполнена колонка "Количество" в строке {row["LineNumber"]} списка "Товары"'


def zero_quantities(rec: Record) -> list[str]:
    return [no_quantity(row) for row in rec.get("Товары", []) if row["Количество"] <= 0]
