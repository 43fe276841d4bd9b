"""The error taxonomy: one root, categories with Russian words and exit codes, one door."""

from __future__ import annotations

import errno
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync import errors
from desktop_sync.connectors.bitrix24 import errors as b24
from desktop_sync.connectors.http import CertificateFileError
from desktop_sync.connectors.onec import errors as onec
from desktop_sync.errors import Category, SyncError, category_of, describe
from desktop_sync.exitcodes import Exit
from desktop_sync.i18n import language, set_language

EXPECTED_EXIT = {
    Category.CANNOT_CONNECT: Exit.CANNOT_CONNECT,
    Category.TRANSIENT: Exit.PARTIAL,
    Category.OUTCOME_UNKNOWN: Exit.PARTIAL,
    Category.REFUSED: Exit.PARTIAL,
    Category.CANCELLED: Exit.PARTIAL,
    Category.BAD_CONFIGURATION: Exit.USAGE,
    Category.LOCKED: Exit.LOCKED,
}


@pytest.fixture
def russian() -> Iterator[None]:
    before = language()
    set_language("ru")
    yield None
    set_language(before)


def _cyrillic(text: str) -> bool:
    return any("а" <= ch.lower() <= "я" for ch in text)


@pytest.mark.parametrize("category", list(Category))
def test_every_category_has_russian_words_and_its_exit_code(
    category: Category, russian: None
) -> None:
    assert _cyrillic(category.title), category
    assert _cyrillic(category.message), category
    assert category.exit_code is EXPECTED_EXIT[category]
    set_language("en")
    assert category.title and not _cyrillic(category.title)


def _errors_of(module: object) -> list[type[BaseException]]:
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Exception) and cls.__module__ == getattr(module, "__name__", "")
    ]


CONNECTOR_CATEGORIES = {
    b24.Bitrix24Error: Category.REFUSED,
    b24.Bitrix24AuthError: Category.CANNOT_CONNECT,
    b24.Bitrix24PermissionError: Category.REFUSED,
    b24.Bitrix24ScopeError: Category.REFUSED,
    b24.Bitrix24AccessDenied: Category.REFUSED,
    b24.Bitrix24NotFound: Category.REFUSED,
    b24.Bitrix24RequestError: Category.REFUSED,
    b24.Bitrix24RateLimited: Category.TRANSIENT,
    b24.Bitrix24ServerError: Category.TRANSIENT,
    b24.Bitrix24BadResponse: Category.TRANSIENT,
    onec.OnecError: Category.REFUSED,
    onec.OnecConnectionError: Category.TRANSIENT,
    onec.OnecTimeout: Category.TRANSIENT,
    onec.OnecUnavailable: Category.TRANSIENT,
    onec.OnecAuthError: Category.CANNOT_CONNECT,
    onec.OnecAccessDenied: Category.REFUSED,
    onec.OnecNotFound: Category.REFUSED,
    onec.OnecAlreadyExists: Category.REFUSED,
    onec.OnecConflict: Category.REFUSED,
    onec.OnecBadRequest: Category.REFUSED,
    onec.OnecServerError: Category.TRANSIENT,
    onec.OnecPostingError: Category.TRANSIENT,
    onec.OnecBadResponse: Category.TRANSIENT,
    onec.OnecProfileError: Category.BAD_CONFIGURATION,
    CertificateFileError: Category.BAD_CONFIGURATION,
}


def test_every_connector_error_is_in_exactly_one_category() -> None:
    found = _errors_of(b24) + _errors_of(onec)
    assert set(found) <= set(CONNECTOR_CATEGORIES), "a new connector error needs its category"
    for cls, category in CONNECTOR_CATEGORIES.items():
        assert issubclass(cls, SyncError), cls
        exc = cls("x")
        assert category_of(exc) is category, cls
        assert describe(exc).exit_code is EXPECTED_EXIT[category], cls


@pytest.mark.parametrize(
    "exc",
    [
        b24.Bitrix24ServerError("x", outcome_unknown=True),
        onec.OnecConnectionError("x", outcome_unknown=True),
        onec.OnecTimeout("x", outcome_unknown=True),
    ],
)
def test_a_write_that_may_have_landed_is_outcome_unknown(exc: SyncError) -> None:
    assert category_of(exc) is Category.OUTCOME_UNKNOWN


def test_one_cancelled_for_reading_and_applying() -> None:
    from desktop_sync.engine import executor, read

    assert read.Cancelled is executor.Cancelled is errors.Cancelled


def test_own_errors_are_in_their_category() -> None:
    from desktop_sync.config.errors import ConfigError
    from desktop_sync.journal.db import JournalDamaged
    from desktop_sync.runlock import LockHeld

    assert category_of(ConfigError("x")) is Category.BAD_CONFIGURATION
    assert category_of(LockHeld("x")) is Category.LOCKED
    assert category_of(JournalDamaged.__new__(JournalDamaged)) is Category.TRANSIENT


def test_describe_words_for_the_command_line_and_the_window(russian: None) -> None:
    said = describe(onec.OnecAuthError("1С не приняла имя пользователя или пароль"))
    assert said.exit_code is Exit.CANNOT_CONNECT and said.expected
    assert said.reason == "1С не приняла имя пользователя или пароль"
    assert said.sentence.startswith("Не удалось подключиться: ")
    said = describe(errors.Cancelled())
    assert said.exit_code is Exit.PARTIAL
    assert said.sentence == "Отменено. Ничего не осталось сделанным наполовину."


def test_describe_the_environment_and_a_bug(russian: None) -> None:
    full = describe(OSError(errno.ENOSPC, "No space left on device", "/tmp/x"))
    assert full.exit_code is Exit.PARTIAL and full.expected and "/tmp/x" in full.reason
    bug = describe(KeyError("x"))
    assert bug.exit_code is Exit.INTERNAL and not bug.expected
    assert "KeyError" in bug.sentence


def test_errors_module_imports_nothing_of_ours_but_exit_codes_and_words() -> None:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(errors.__file__).read_text(encoding="utf-8"))
    top = {
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and "desktop_sync" in node.module
    }
    assert top == {"desktop_sync.exitcodes", "desktop_sync.i18n"}


def test_a_system_error_reaching_a_front_is_said_not_called_a_bug() -> None:
    from desktop_sync.cli.failures import explain
    from desktop_sync.gui.errors import plain_message

    refused = onec.OnecBadRequest(
        "1C refused the request for Catalog_Контрагенты (field ИНН): bad value", field="ИНН"
    )
    # before: the command line called it an internal error (exit 1), the window a bug
    assert explain(refused) == (str(refused), Exit.PARTIAL)
    assert plain_message(refused) == (str(refused), True)
    assert explain(errors.Cancelled()) is not None
    assert explain(b24.Bitrix24AuthError("the webhook is wrong")) == (
        "the webhook is wrong",
        Exit.CANNOT_CONNECT,
    )


def test_a_damaged_journal_is_said_in_the_window_too(tmp_path: Path) -> None:
    from desktop_sync.gui.errors import plain_message
    from desktop_sync.journal.db import JournalDamaged

    damaged = JournalDamaged(
        tmp_path / "journal.sqlite", tmp_path / "journal.damaged", "file is not a database"
    )
    text, expected = plain_message(damaged)  # before: "something went wrong inside"
    assert expected and "journal.sqlite" in text


def test_a_held_lock_names_its_holder_in_the_window_too(russian: None) -> None:
    """Issue 23: the command line named who holds the lock and since when; the window
    said only «another synchronisation is running» (errors._sentence dropped the who)."""
    from desktop_sync.journal.dblock import LockHeldElsewhere

    who = "процесс 4242 пользователя ivan на компьютере BUH-2, с 2026-12-06 10:00"
    said = describe(LockHeldElsewhere("идёт другая синхронизация", who))
    assert said.exit_code is Exit.LOCKED
    assert who in said.reason and who in said.sentence
    assert said.sentence.startswith("Уже идёт другая синхронизация этого профиля")
    alone = describe(LockHeldElsewhere("идёт другая синхронизация"))
    assert alone.sentence == Category.LOCKED.message
