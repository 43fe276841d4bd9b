"""`desktop-sync inbox` names what a conflict is about: a counterparty by its name with
ИНН/КПП, a product by its name, a CRM invoice without a company «нет в CRM» — never a
1C reference (a GUID) or «crm:None», in Russian and in English. The values are made
in words by the door (``engine/inbox_words``), so the window's Inbox shows the same.
Real sandboxes on loopback (tests/e2e's world, both configurations), the real console
script."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.planner import COUNTERPARTY, INVOICE
from tests.e2e.conftest import World, make_world
from tests.killing import HANG

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@pytest.fixture(params=["bp30", "ut11"])
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, configuration=str(request.param))


def _inbox(world: World, lang: str, *args: str) -> str:
    return _inbox_like(world, lang, "inbox", *args)


def _inbox_like(world: World, lang: str, *args: str) -> str:
    """A command's output (``args``), in ``lang``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env.update(world.env(), DESKTOP_SYNC_LANG=lang)
    done = subprocess.run(
        [EXE, *args], capture_output=True, text=True, encoding="utf-8",
        env=env, timeout=HANG, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def make_conflicts(world: World) -> tuple[str, str]:
    """After a first sync: a linked counterparty renamed on both sides, one linked
    invoice's company cleared in the CRM, another's moved to another company and its
    first row's quantity changed (1C leads a sent invoice: conflicts). Returns the
    names the second invoice's conflict must show: (its 1C buyer, its CRM company)."""
    world.sync()
    with world.service() as svc:
        parties = [lk for lk in svc.journal.links(COUNTERPARTY) if lk.crm_id and "/" in lk.crm_id]
        invoices = [lk for lk in svc.journal.links(INVOICE) if lk.crm_id and lk.onec_ref]
    assert len(invoices) >= 2 and len(parties) >= 2
    renamed = parties[0]
    assert renamed.onec_ref and renamed.crm_id
    world.onec.edit(world.story.counterparties, renamed.onec_ref, Description="Имя из 1С")
    first, second = invoices[0], invoices[1]
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        c.companies.update_company(int(renamed.crm_id.split("/")[0]), {"TITLE": "Имя из CRM"})
        c.invoices.update_invoice(int(first.crm_id or 0), {"companyId": 0})
        was = c.invoices.get(int(second.crm_id or 0))
        buyer = str(was.company_id)
        other = next(lk for lk in parties if not (lk.crm_id or "").startswith(buyer + "/"))
        c.invoices.update_invoice(
            int(second.crm_id or 0), {"companyId": int((other.crm_id or "").split("/")[0])}
        )
        lines = list(was.invoice.lines)
        lines[0] = replace(lines[0], quantity=lines[0].quantity + 5)
        c.invoices.set_product_rows(int(second.crm_id or 0), lines)
    summary, _plan = world.sync()
    assert summary.counts["conflict"] >= 3
    with world.service() as svc:
        onec_buyer = svc.journal.link(COUNTERPARTY, onec_ref=second.onec_values["counterparty"])
    assert onec_buyer is not None
    return str(onec_buyer.onec_values["name"]), str(other.onec_values["name"])


def test_inbox_names_records_and_never_shows_a_guid_or_none(world: World) -> None:
    buyer, moved_to = make_conflicts(world)
    for lang, missing, inn, row in (
        ("ru", "нет в CRM", "ИНН", "строка 1: "),
        ("en", "not in the CRM", "INN", "row 1: "),
    ):
        out = _inbox(world, lang)
        conflicts = [ln for ln in out.splitlines() if ln.startswith("      1")]
        assert len(conflicts) >= 4, out  # the name, two counterparties, the rows
        assert not GUID.search(out), out
        assert "None" not in out and "crm:" not in out, out
        assert missing in out  # the invoice whose company was cleared
        assert f"{buyer} ({inn} " in out and f"{moved_to} ({inn} " in out
        assert row in out
        assert "Имя из 1С" in out and "Имя из CRM" in out  # the renamed counterparty
        items = json.loads(_inbox(world, lang, "--json"))["items"]
        shown = json.dumps(items, ensure_ascii=False)
        assert not GUID.search(shown) and "crm:None" not in shown


def test_the_journal_keeps_what_a_decision_is_checked_against(world: World) -> None:
    """The words are the door's: the journal's item keeps the references the next plan
    compares a decision with, and a decision taken on the door's item holds."""
    make_conflicts(world)
    with world.service() as svc:
        raw = [i for i in svc.journal.inbox() if i.kind == "conflict" and i.flow == "F2"]
        assert any(GUID.fullmatch(str(i.onec_value)) for i in raw)
        shown = {i.id: i for i in svc.inbox()}
        for item in raw:
            assert not GUID.search(str(shown[item.id].onec_value))
            svc.resolve(item.id, "skip", by="Бухгалтер")
    world.sync()
    with world.service() as svc:
        assert [i for i in svc.inbox() if i.flow == "F2" and i.kind == "conflict"] == []


def test_inbox_json_names_the_contact_and_the_1c_persons_of_a_person_item(world: World) -> None:
    """Two 1C private persons with the ИНН of a CRM contact wait for a person (F7,
    engine/plan_persons): `inbox --json` said ``"crm_value": "contact/2"`` and listed
    the two 1C references; it says the contact and the persons in words, as the rest of
    the inbox does."""
    from tests.e2e.test_person_is_contact import invoice_for, seed_person

    onec_ref, contact_id = seed_person(world)
    invoice_for(world, contact_id)
    person = world.onec.store.get(world.story.counterparties, onec_ref)
    assert person is not None
    kind = ("ИНН", "ЮридическоеФизическоеЛицо", "ЮрФизЛицо", "Партнер_Key")
    twin = {k: person[k] for k in kind if k in person}
    world.onec.add(world.story.counterparties, Description="Иванов Д. С. (второй)", **twin)
    world.sync()
    for lang, contact in (
        ("ru", f"контакт CRM № {contact_id}"),
        ("en", f"CRM contact {contact_id}"),
    ):
        items = json.loads(_inbox(world, lang, "--json"))["items"]
        person_items = [i for i in items if i["flow"] == "F7"]
        assert len(person_items) >= 2, person_items
        shown = json.dumps(items, ensure_ascii=False)
        assert "contact/" not in shown and not GUID.search(shown), shown
        assert contact in shown


def test_inbox_items_are_shown_in_the_language_of_the_moment(world: World) -> None:
    """A run in Russian, then `inbox` in English: the items in English, as a run in
    English writes them (and the other way round). The journal kept each item's words
    in the language of the run that found it."""
    from desktop_sync.i18n import language, set_language

    was = language()
    set_language("ru")
    try:
        make_conflicts(world)
    finally:
        set_language(was)
    after_ru = {lang: json.loads(_inbox(world, lang, "--json"))["items"] for lang in ("ru", "en")}
    world.sync(lang="en")
    after_en = {lang: json.loads(_inbox(world, lang, "--json"))["items"] for lang in ("ru", "en")}
    assert len(after_en["en"]) >= 5
    for lang in ("ru", "en"):
        for before, now in zip(after_ru[lang], after_en[lang], strict=True):
            assert before == now
    # the journal's texts too: the first run's (in Russian) operations in English
    first = min(r["run"] for r in json.loads(_inbox_like(world, "en", "journal", "--json"))["runs"])
    reasons = {
        lang: [op["reason"] for op in json.loads(
            _inbox_like(world, lang, "journal", "--run", str(first), "--json"))["operations"]]
        for lang in ("ru", "en")
    }  # fmt: skip
    assert len(reasons["en"]) >= 10
    assert sum("будет" in r for r in reasons["ru"]) >= 10
    assert not [r for r in reasons["en"] if "будет" in r or "Счёт №" in r], reasons["en"]
    assert sum("will be" in r for r in reasons["en"]) >= 10
