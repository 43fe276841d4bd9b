"""config.environment: variables set for a block and put back as they were after it,
an exception too; the secrets helper sets the two secrets and, given, the home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_sync.config.environment import environment, secrets_environment
from desktop_sync.config.paths import HOME_ENV
from desktop_sync.config.secrets import CRM_SECRET_ENV, ONEC_PASSWORD_ENV


def test_set_removed_and_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DS_T_KEPT", "old")
    monkeypatch.delenv("DS_T_NEW", raising=False)
    monkeypatch.setenv("DS_T_GONE", "there")
    with environment({"DS_T_KEPT": "new", "DS_T_NEW": "1", "DS_T_GONE": None}):
        assert os.environ["DS_T_KEPT"] == "new" and os.environ["DS_T_NEW"] == "1"
        assert "DS_T_GONE" not in os.environ
    assert os.environ["DS_T_KEPT"] == "old" and os.environ["DS_T_GONE"] == "there"
    assert "DS_T_NEW" not in os.environ


def test_put_back_after_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ONEC_PASSWORD_ENV, raising=False)
    monkeypatch.setenv(CRM_SECRET_ENV, "before")
    monkeypatch.delenv(HOME_ENV, raising=False)
    seen: dict[str, str] = {}

    def fails() -> None:
        with secrets_environment("pw", "hook", Path("/h")):
            seen.update(os.environ)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fails()
    assert seen[ONEC_PASSWORD_ENV] == "pw" and seen[CRM_SECRET_ENV] == "hook"
    assert seen[HOME_ENV] == str(Path("/h"))
    assert ONEC_PASSWORD_ENV not in os.environ and HOME_ENV not in os.environ
    assert os.environ[CRM_SECRET_ENV] == "before"
    with secrets_environment("pw", "hook"):
        assert HOME_ENV not in os.environ  # no home given: left alone
