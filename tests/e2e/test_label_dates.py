"""Plan labels follow the language as the window's tables do: «Payment No. 29 of
2026-03-14» in English (was «of 14.03.2026», seen on the English Inbox), «Платёж № 29 от
14.03.2026» in Russian. What is written into the CRM keeps 1C's dd.mm.yyyy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.engine.records import Plan
from desktop_sync.i18n import set_language
from tests.e2e.conftest import World, make_world

RUSSIAN_DAY = re.compile(r"\b\d\d\.\d\d\.\d{4}\b")
ISO_DAY = re.compile(r"\b\d{4}-\d\d-\d\d\b")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch)


def _labels(plan: Plan) -> list[str]:
    return [op.record_label for op in plan.operations] + [i.record_label for i in plan.items]


def test_labels_write_dates_as_the_language_does(world: World) -> None:
    plans: dict[str, Plan] = {}
    try:
        for lang in ("en", "ru"):
            set_language(lang)
            with world.service() as svc:
                plans[lang] = svc.prepare()[1]
    finally:
        set_language("en")
    english, russian = _labels(plans["en"]), _labels(plans["ru"])
    dated = [x for x in english if x.startswith(("Payment No.", "Invoice No."))]
    assert dated, "the seed's plan names payments and invoices"
    assert not [x for x in english if RUSSIAN_DAY.search(x)]
    assert all(ISO_DAY.search(x) for x in dated)
    said = [x for x in russian if x.startswith(("Платёж №", "Счёт №"))]
    assert said and all(RUSSIAN_DAY.search(x) for x in said)
    assert not [x for x in russian if ISO_DAY.search(x)]
