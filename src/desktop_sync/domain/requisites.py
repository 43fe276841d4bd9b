"""ИНН and КПП: validation with the real check-digit algorithm.

A value that fails is bad input: the caller reports the record and the field and
never sends it on.
"""

from __future__ import annotations

import re
from enum import Enum

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_KPP = re.compile(r"^\d{4}[0-9A-Z]{2}\d{3}$")


class InnKind(Enum):
    ORGANIZATION = 10
    INDIVIDUAL = 12  # sole trader or private person


class RequisiteError(ValueError):
    """An ИНН or КПП that is not valid; ``field`` is "ИНН" or "КПП"."""

    def __init__(self, field: str, value: str, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field} «{value}»: {reason}")


def _check(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_checksum_ok(inn: str) -> bool:
    """True when ``inn`` has 10 or 12 digits and its check digits agree."""
    if not inn.isascii() or not inn.isdigit():
        return False
    if len(inn) == 10:
        return _check(inn, _W10) == int(inn[9])
    if len(inn) == 12:
        return _check(inn, _W12_1) == int(inn[10]) and _check(inn, _W12_2) == int(inn[11])
    return False


def validate_inn(inn: str) -> InnKind:
    """Validate an ИНН and tell whose it is; raises :class:`RequisiteError`."""
    value = inn.strip()
    if not value:
        raise RequisiteError("ИНН", inn, "не заполнен")
    if not value.isascii() or not value.isdigit():
        raise RequisiteError("ИНН", inn, "должен состоять только из цифр")
    if len(value) not in (10, 12):
        raise RequisiteError("ИНН", inn, "должен содержать 10 или 12 цифр")
    if value == "0" * len(value):
        raise RequisiteError("ИНН", inn, "не может состоять из одних нулей")
    if not inn_checksum_ok(value):
        raise RequisiteError("ИНН", inn, "неверное контрольное число")
    return InnKind.ORGANIZATION if len(value) == 10 else InnKind.INDIVIDUAL


def validate_kpp(kpp: str) -> str:
    """Validate a КПП: 4 digits, 2 digits or Latin capitals, 3 digits."""
    value = kpp.strip()
    if len(value) != 9:
        raise RequisiteError("КПП", kpp, "должен содержать 9 символов")
    if not _KPP.match(value):
        raise RequisiteError(
            "КПП", kpp, "4 цифры, затем 2 цифры или заглавные латинские буквы, затем 3 цифры"
        )
    return value


def make_inn(prefix: str) -> str:
    """Complete ``prefix`` (9 or 10 digits) with valid check digits (for test data)."""
    if len(prefix) == 9:
        return prefix + str(_check(prefix, _W10))
    if len(prefix) == 10:
        first = prefix + str(_check(prefix, _W12_1))
        return first + str(_check(first, _W12_2))
    raise ValueError("prefix must have 9 or 10 digits")
