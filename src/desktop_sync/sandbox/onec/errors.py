"""1C's OData error: an HTTP status, a code (a string in the body) and a Russian message.

Codes are research/onec.md A6; the body shapes are in ``render.py``.
"""

from __future__ import annotations

# A6 code table (only the ones the sandbox emits are named).
NOT_SUPPORTED = "0"
NOT_PARSED = "1"
BAD_REQUEST = "2"
BAD_REPRESENTATION = "3"
BAD_VALUE = "4"
BAD_URL = "6"
KEY_MISSING = "7"
TYPE_NOT_FOUND = "8"
NOT_FOUND = "9"
PROPERTY_NOT_FOUND = "10"
METHOD_NOT_FOUND = "11"
TABULAR_CREATE = "13"
QUERY_PARSE = "14"
ALREADY_EXISTS = "15"
DUPLICATE_PROPERTY = "18"
METHOD_NOT_ALLOWED = "19"
ACCESS = "20"
BAD_FUNCTION = "21"
INTERNAL = "-1"

INTERNAL_MESSAGE = (
    "Произошла внутренняя ошибка OData сервиса. Дополнительные сведения можно найти "
    "в технологическом журнале."
)


class ODataError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad_query(message: str) -> ODataError:
    return ODataError(400, QUERY_PARSE, message)


def business(message: str) -> ODataError:
    """A posting or write refused by 1C's own logic: 500 with code -1 (A5, M2)."""
    return ODataError(500, INTERNAL, message)
