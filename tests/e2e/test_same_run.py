"""A flow reads what an earlier flow of the same run made (issue 16 item 5).

On UT 11 a partner's counterparties are one CRM company with a requisite each. When F7
adds a branch's requisite to a company in the same run in which F1 sends that company's
invoice, F1 must see the company as it will be after F7 (two requisites, none chosen on
the invoice: a person decides), not as it was read (one requisite). Otherwise the end
state depends on whether a killed run had added the requisite already: the invoice is
sent with the old counterparty and then raises a conflict nobody caused, or it waits.
Here the same world is synchronised twice: once uninterrupted, once as if the first run
had been killed right after F7; the end states and the inbox must be the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.domain.entities import Counterparty
from desktop_sync.engine.matcher import match_counterparties
from desktop_sync.engine.model import Flow
from desktop_sync.engine.snapshot import requisites_of
from tests.reliability.checks import diff, state

from .conftest import World, make_world

world_of = contextmanager(make_world)


def branch_of_a_partner(world: World) -> tuple[int, int] | None:
    """UT 11: a new branch (same ИНН, another КПП) of a linked-to-be counterparty's
    partner, a customer in 1C documents and not in the CRM; and a CRM invoice of the
    company at the "send" stage with no requisite chosen. -> (company id, invoice id)."""
    if world.configuration != "ut11":
        return None
    with world.service() as svc:
        snap, _plan = svc.prepare()
        match = match_counterparties(snap.onec.counterparties, snap.crm.companies, [])
        found = None
        for ref, pair in sorted(match.pairs.items()):
            cp = snap.onec.counterparties[ref]
            company = snap.crm.companies[int(pair.crm_key.split("/")[0])]
            if cp.partner_ref and cp.kpp and len(requisites_of(company)) == 1:
                found = (cp, company)
                break
        assert found is not None, "the seeded base has no partner linked by ИНН/КПП"
        head, company = found
        order = next(i for i in snap.onec.invoices.values() if i.lines and not i.deleted)
        c = svc.onec
        branch = Counterparty(
            f"{head.name} (филиал)",
            head.kind,
            inn=head.inn,
            kpp=head.kpp[:4] + "02002",
            partner_ref=head.partner_ref,
        )
        made = c.create_counterparty(branch, "test/branch")
        contract = c.create_contract(made.ref, "test/branch/contract")
        c.create_invoice(
            replace(order, onec_ref=None, counterparty_ref=made.ref, contract_ref=contract.ref),
            "test/branch/order",
        )
    company_id = company.counterparty.crm_id or 0
    with Bitrix24Client(world.crm.webhook, throttle=False) as crm:
        draft = next(i for i in crm.invoices.read() if i.stage_id == "DT31_1:N" and i.invoice.lines)
        crm_id = draft.invoice.crm_id or 0
        crm.invoices.update_invoice(crm_id, {"companyId": company_id, "stageId": "DT31_1:S"})
    return company_id, crm_id


def _settle(world: World) -> None:
    for _ in range(4):
        with world.service() as svc:
            summary, plan = svc.run()
        assert summary.counts.get("failed", 0) == 0, summary.failures
        if not plan.operations:
            return
    raise AssertionError("no convergence")


def _inbox(world: World) -> Counter[str]:
    """Open items by what a person reads (ids of records made by a run differ)."""
    with world.service() as svc:
        return Counter(
            f"{i.kind}|{i.flow}|{i.field}|{i.record_label}|{i.message}" for i in svc.journal.inbox()
        )


@contextmanager
def _world(tmp: Path, configuration: str) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp, world_of(tmp, mp, configuration=configuration) as w:
        yield w


def test_f1_reads_the_requisites_f7_adds_in_the_same_run(
    tmp_path: Path, configuration: str
) -> None:
    with _world(tmp_path / "whole", configuration) as whole:
        scenario = branch_of_a_partner(whole)
        _settle(whole)  # uninterrupted
        end_whole, inbox_whole = state(whole), _inbox(whole)
    with _world(tmp_path / "killed", configuration) as killed:
        assert branch_of_a_partner(killed) == scenario
        with killed.service() as svc:  # a run killed right after F7's writes
            svc.run(flows=(Flow.F7,))
        _settle(killed)
        end_killed, inbox_killed = state(killed), _inbox(killed)
    lost, dup, lines = diff(end_whole, end_killed)
    assert (lost, dup) == (0, 0), "\n".join(lines[:20])
    assert inbox_killed == inbox_whole
    assert not [k for k in inbox_whole if k.split("|")[1] == "F2"]  # no conflict nobody caused
    if scenario is not None:
        _company_id, crm_id = scenario
        waiting = [k for k in inbox_whole if "|F1|" in k and f"СЧ-{crm_id:04d}" in k]
        assert waiting, "the invoice waits for a person to choose the requisite"


def test_a_requisite_added_to_the_company_of_a_sent_invoice_is_no_conflict(world: World) -> None:
    """The invoice went to 1C with the company's only requisite; later the company gets
    a second one (a branch) and the invoice still names none. Its 1C counterparty is
    still one of the company's requisites: nothing changed in the CRM, no conflict."""
    from desktop_sync.domain.entities import CounterpartyKind, Requisite
    from desktop_sync.domain.requisites import make_inn
    from desktop_sync.engine.planner import INVOICE

    _settle(world)
    with world.service() as svc:
        links = svc.journal.links(INVOICE)
    with Bitrix24Client(world.crm.webhook, throttle=False) as crm:
        companies = {co.counterparty.crm_id: co for co in crm.companies.read()}
        sent = [
            crm.invoices.get(int(lk.crm_id or 0))
            for lk in links
            if lk.crm_id and lk.crm_id.isdigit()
        ]
        ci = next(
            i
            for i in sent
            if i.company_id in companies
            and len(companies[i.company_id].counterparty.requisites) == 1
            and not i.requisite_id
        )
        crm.companies.add_requisite(
            ci.company_id or 0,
            Requisite(make_inn("772912345"), "772901001", "ООО «Филиал»"),
            name="ООО «Филиал»",
            kind=CounterpartyKind.ORGANIZATION,
        )
    with world.service() as svc:
        _summary, plan = svc.run()
    assert [i.key for i in plan.items if i.flow is Flow.F2] == []
    assert plan.operations == ()
