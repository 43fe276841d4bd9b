"""An English run says "1C" and "Bitrix24", never the Cyrillic «1С» or «Битрикс24»: no
English text of a run (`sync` in English, `inbox` and `inbox --json` in English, a
connection's failure) holds Cyrillic, except the records' own data (their names, the
portal's stage names). The system names were literals: «1С» passed as an argument into
English sentences (plan_diff, executor, write_onec, decisions) and the connectors'
errors named «1С» and «Битрикс24» in both languages. Real sandboxes on loopback, the
real console script."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from tests.e2e.conftest import World, make_world, phone_changed_in_1c
from tests.killing import HANG

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"
# A word with a Cyrillic letter in it, digits and Latin letters included («1С» is one).
CYRILLIC_WORD = re.compile(r"[0-9A-Za-zА-Яа-яЁё]*[А-Яа-яЁё][0-9A-Za-zА-Яа-яЁё]*")
# The portal's tables of records; not the comments, files and fields desktop-sync wrote.
CRM_RECORDS = ("companies", "contacts", "requisites", "items", "product_rows", "deals",
               "deal_rows", "products", "statuses", "categories", "measures", "stores")  # fmt: skip


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, configuration="bp30")


def _run(world: World, *args: str, env: dict[str, str] | None = None) -> str:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    full.update(world.env(), DESKTOP_SYNC_LANG="en", **(env or {}))
    done = subprocess.run(
        [EXE, *args], capture_output=True, text=True, encoding="utf-8",
        env=full, timeout=HANG, check=False,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout + done.stderr


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _strings(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield from _strings(vars(value))


def _records_words(world: World) -> set[str]:
    """Every Cyrillic word of the records both systems hold."""
    texts = list(_strings(world.onec.store.rows))
    store = world.crm.portal.store
    texts += [s for table in CRM_RECORDS for s in _strings(getattr(store, table))]
    return {w for text in texts for w in CYRILLIC_WORD.findall(text)}


def _ours(text: str, records: set[str]) -> list[str]:
    """The Cyrillic words of ``text`` that are not the records' own."""
    return sorted({w for w in CYRILLIC_WORD.findall(text) if w not in records})


def test_an_english_run_says_1c_and_bitrix24_and_no_cyrillic_of_its_own(world: World) -> None:
    world.sync(lang="en")
    # A phone changed in 1C, which desktop-sync does not write to the CRM: «changed in 1C»
    links = phone_changed_in_1c(world)
    # A linked company renamed in the CRM: a conflict
    company = next(lk for lk in links if lk.crm_id and "/" in lk.crm_id and lk.onec_ref)
    with Bitrix24Client(world.crm.webhook, throttle=False) as crm:
        crm.companies.update_company(
            int((company.crm_id or "").split("/")[0]), {"TITLE": "Renamed"}
        )

    outputs = {
        "sync": _run(world, "sync", "--apply"),
        "inbox": _run(world, "inbox"),
        "inbox --json": _run(world, "inbox", "--json"),
        "journal": _run(world, "journal"),
        "a wrong 1C password": _run(
            world, "sync", "--dry-run", env={"DESKTOP_SYNC_ONEC_PASSWORD": "wrong"}
        ),
        "a wrong webhook": _run(
            world,
            "sync",
            "--dry-run",
            env={"DESKTOP_SYNC_CRM_SECRET": world.crm.webhook.rstrip("/")[:-3] + "bad/"},
        ),
    }
    assert "changed in 1C, but desktop-sync does not write" in outputs["inbox"]
    assert "1C: " in outputs["a wrong 1C password"], outputs["a wrong 1C password"]
    assert "Bitrix24: " in outputs["a wrong webhook"], outputs["a wrong webhook"]
    records = _records_words(world)
    for what, text in outputs.items():
        assert "1С" not in text and "Битрикс24" not in text, (what, text)
        assert _ours(text, records) == [], (what, text)
