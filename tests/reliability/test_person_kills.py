"""Private persons (issue 22) under SIGKILL: deals of contacts without a company moved
to "send", a real ``desktop-sync sync --apply`` killed at a random point of the writes
(the person's counterparty, its contract, the document, the write-back), then
restarted. Every contact ends with exactly one 1C counterparty, every deal with one
1C document for it, and the next run plans nothing for them."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.domain.entities import CounterpartyKind, InvoiceLine, Requisite
from desktop_sync.domain.requisites import make_inn
from desktop_sync.exitcodes import Exit
from tests.e2e.test_deals_e2e import SEND, made_from

from .checks import open_world
from .conftest import Tally
from .killed_runs import apply_killed_twice, by_configuration_and_seed, map_the_deal_pipeline
from .test_kills import cli_apply

PEOPLE = 2


pytest_generate_tests = by_configuration_and_seed


def _person_deal(c: Bitrix24Client, n: int, lines: Sequence[InvoiceLine]) -> tuple[int, str]:
    """A contact (with a 12-digit ИНН) and its deal at «Согласовано»: (deal id, ИНН)."""
    inn = make_inn(f"77070838{n:02d}")
    contact = int(
        c.call("crm.contact.add", {"fields": {"LAST_NAME": f"Сидоров{n}", "NAME": "Пётр"}}).result
    )
    c.companies.add_requisite(
        contact, Requisite(inn=inn), name=f"Сидоров{n} Пётр", kind=CounterpartyKind.PERSON,
        owner_type=3,
    )  # fmt: skip
    deal = c.deals.add_deal(
        {"TITLE": f"Частное лицо {n}", "CATEGORY_ID": 1, "STAGE_ID": "C1:NEW",
         "CONTACT_ID": contact}
    )  # fmt: skip
    c.deals.set_product_rows(deal, lines)
    c.deals.update_deal(deal, {"STAGE_ID": SEND})
    return deal, inn


def test_killed_person_sends_leave_no_twins(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    configuration: str,
    seed: int,
    tally: Tally,
) -> None:
    rng = random.Random(f"persons/{configuration}/{seed}")
    tally.tried += 1
    with open_world(
        tmp_path, monkeypatch, onec_faults="delay:0.005", configuration=configuration
    ) as world:
        map_the_deal_pipeline(world)
        first = cli_apply(world)
        assert first.returncode in (Exit.OK, Exit.WAITING), first.stderr
        with world.service() as svc:
            sent = sorted(int(lk.crm_id or 0) for lk in svc.links("invoice"))
        with Bitrix24Client(world.crm.webhook, throttle=False) as c:
            lines = next(i for i in map(c.invoices.get, sent) if i.invoice.lines).invoice.lines
            made = [_person_deal(c, n, lines) for n in range(PEOPLE)]
        killed = apply_killed_twice(world, rng, ("F1", "F7"), 4 * PEOPLE)
        tally.kills += killed
        final = cli_apply(world)
        assert final.returncode in (Exit.OK, Exit.WAITING), final.stderr
        with world.service() as svc:
            people = svc.onec.counterparties()
            _s, plan = svc.run()
        twins = 0
        for deal_id, inn in made:
            mine = [cp for cp in people if cp.inn == inn]
            docs = made_from(world, deal_id)
            twins += max(len(mine) - 1, 0) + max(len(docs) - 1, 0)
            assert len(mine) == 1, (inn, [cp.onec_ref for cp in mine])
            assert len(docs) == 1 and docs[0].counterparty_ref == mine[0].onec_ref
        tally.duplicated += twins
        assert plan.operations == (), [op.reason for op in plan.operations]
        tally.passed += 1
        tally.notes.append(f"persons seed {seed}: {killed}/2 runs killed")
