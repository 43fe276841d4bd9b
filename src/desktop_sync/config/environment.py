"""Environment variables set for as long as a block runs, then put back as they were.

The demo (``demo --headless``), the benchmarks and the tests hand a run its two secrets
(and sometimes its home folder) this way: by the environment, never written anywhere
(``config/secrets.py``). One helper instead of the save, set and restore written out
in each of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from desktop_sync.config.paths import HOME_ENV
from desktop_sync.config.secrets import CRM_SECRET_ENV, ONEC_PASSWORD_ENV


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Each variable of ``values`` set (``None``: removed) inside the block; after it,
    each is as before: its old value, or absent if it was."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            _put(k, v)
        yield
    finally:
        for k, v in saved.items():
            _put(k, v)


def secrets_environment(
    onec_password: str, crm_secret: str, home: Path | None = None
) -> AbstractContextManager[None]:
    """The 1C password and the Bitrix24 webhook (and, given, the home folder) in the
    environment inside the block: ``with secrets_environment(pw, hook): ...``."""
    values = {ONEC_PASSWORD_ENV: onec_password, CRM_SECRET_ENV: crm_secret}
    if home is not None:
        values[HOME_ENV] = str(home)
    return environment(values)


def _put(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
