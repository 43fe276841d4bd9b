"""Shared test set-up: no display, no real keyring, no user config touched."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["DESKTOP_SYNC_LANG"] = "en"
for _var in ("DESKTOP_SYNC_ONEC_PASSWORD", "DESKTOP_SYNC_CRM_SECRET", "DESKTOP_SYNC_HOME"):
    os.environ.pop(_var, None)


@pytest.fixture(autouse=True)
def _memory_keyring() -> Iterator[None]:
    """Every test gets the project's in-memory keyring; the user's is never touched."""
    import keyring

    from desktop_sync.config.memory_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        yield
    finally:
        MemoryKeyring.clear()
        keyring.set_keyring(previous)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private DESKTOP_SYNC_HOME for one test."""
    root = tmp_path / "home"
    monkeypatch.setenv("DESKTOP_SYNC_HOME", str(root))
    return root
