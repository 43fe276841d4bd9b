"""Errors a method raises; the server turns them into the portal's status and body."""

from __future__ import annotations

from typing import Any


class RestError(Exception):
    """``{"error": code, "error_description": description}`` with an HTTP status.

    ``code`` keeps the portal's own zoo: ``""`` for legacy CRM, ``0`` or big
    numbers for requisites and catalog, text for duplicates, ``NOT_FOUND``...
    """

    def __init__(self, status: int, code: Any, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description}


def method_not_found() -> RestError:
    return RestError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def insufficient_scope() -> RestError:
    return RestError(403, "insufficient_scope", "")


def access_denied(code: Any = "ACCESS_DENIED", description: str = "Access denied") -> RestError:
    return RestError(403, code, description)


def bad_argument(description: str, code: Any = "INVALID_ARG_VALUE") -> RestError:
    return RestError(400, code, description)


def not_found(description: str, code: Any = "NOT_FOUND") -> RestError:
    return RestError(400, code, description)


def input_vars_exceeded(count: int, limit: int) -> RestError:
    """A query string over PHP's ``max_input_vars``. The portal has no such error: PHP
    keeps the first ``limit`` variables with a warning and the method runs on what is
    left. The sandbox refuses instead (docs/decisions/bitrix24-sandbox.md), with PHP's
    warning for a description."""
    return RestError(
        400,
        "MAX_INPUT_VARS_EXCEEDED",
        f"Input variables exceeded {limit} ({count} in this query). "
        "To increase the limit change max_input_vars in php.ini.",
    )
